# Copyright (c) vireid contributors. All rights reserved.
"""IDKL's distillation and purification losses (TGSA, CSA, IIP, modality CE).

Formulas follow the official code (``1KK077/IDKL@8676b62``) as described in
the project's method specification, section 2b. V and I are the rows of
modality 0 and 1 taken in batch order; with vireid's cross-modal identity
sampler row ``j`` of V and row ``j`` of I share an identity.
"""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from vireid.registry import MODELS
from .utils import identity_slots, masked_mean, rows_where

__all__ = [
    'symmetric_kl', 'offdiag_distances', 'split_by_modality',
    'pseudo_modality_labels', 'TGSALoss', 'CSABatchLoss', 'CSASampleLoss',
    'IIPLoss', 'ModalityCELoss'
]


def symmetric_kl(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``KL(softmax b || softmax a) + KL(softmax a || softmax b)``.

    Row-wise softmax over the last axis, ``batchmean`` reduction (sum over
    everything divided by the number of rows), float32. Nothing is
    detached: gradients flow into both inputs.

    Args:
        a (Tensor): ``N x C`` scores.
        b (Tensor): ``N x C`` scores.

    Returns:
        Tensor: Scalar.
    """
    if a.shape != b.shape or a.dim() != 2:
        raise ValueError(f'symmetric_kl: expected two N x C tensors of the '
                         f'same shape, got {tuple(a.shape)} and '
                         f'{tuple(b.shape)}')
    la, lb = F.log_softmax(a.float(), 1), F.log_softmax(b.float(), 1)
    return (F.kl_div(la, lb, reduction='batchmean', log_target=True) +
            F.kl_div(lb, la, reduction='batchmean', log_target=True))


def offdiag_distances(x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Euclidean distances between the rows of ``x`` without the diagonal.

    ``sqrt(clamp(||a||^2 + ||b||^2 - 2ab, eps))`` (IDKL clamps the squared
    distance at 1e-6), with each row's distance to itself removed.

    Args:
        x (Tensor): ``n x D``, ``n >= 2``.
        eps (float): Clamp of the squared distance.

    Returns:
        Tensor: ``n x (n - 1)`` float32.
    """
    if x.dim() != 2 or x.shape[0] < 2:
        raise ValueError(f'offdiag_distances: expected n x D with n >= 2, got '
                         f'{tuple(x.shape)}')
    x = x.float()
    sq = x.pow(2).sum(1, keepdim=True)
    dist = (sq + sq.t() - 2.0 * x @ x.t()).clamp(min=eps).sqrt()
    n = x.shape[0]
    # the off-diagonal entries in row-major order, by views (no boolean
    # mask, so no host-device sync): dropping the first entry leaves n - 1
    # rows of n + 1 whose last entries are the other diagonal ones
    return dist.reshape(-1)[1:].view(n - 1, n + 1)[:, :-1].reshape(n, n - 1)


def split_by_modality(modality: torch.Tensor, *tensors: torch.Tensor,
                      name: str = 'loss') -> Tuple[Tuple[torch.Tensor, ...],
                                                   Tuple[torch.Tensor, ...]]:
    """Select the visible (0) and infrared (1) rows, in batch order.

    Args:
        modality (Tensor): ``[B]`` integers 0 / 1.
        *tensors (Tensor): ``B x ...`` tensors.
        name (str): Caller name for error messages.

    Returns:
        tuple: ``(visible rows of each tensor, infrared rows of each)``.

    Raises:
        ValueError: If the two modalities have different numbers of rows
            (the losses pair row ``j`` of V with row ``j`` of I).
    """
    # the masks, counts and row indices are computed where ``modality`` is
    # (the host, from IDKL): no host-device synchronisation; the rows are
    # then selected on the tensors' device
    modality = torch.as_tensor(modality).reshape(-1)
    for t in tensors:
        if t.shape[0] != modality.numel():
            raise ValueError(f'{name}: {t.shape[0]} rows but '
                             f'{modality.numel()} modality labels')
    vis, ir = modality == 0, modality == 1
    if int(vis.sum()) != int(ir.sum()) or int(vis.sum()) < 2:
        raise ValueError(
            f'{name}: needs the same number (>= 2) of visible and infrared '
            f'samples, paired by identity (use CrossModalIdentitySampler); '
            f'got {int(vis.sum())} visible and {int(ir.sum())} infrared')
    device = tensors[0].device
    vis_rows, ir_rows = rows_where(vis, device), rows_where(ir, device)
    return (tuple(t[vis_rows] for t in tensors),
            tuple(t[ir_rows] for t in tensors))


def pseudo_modality_labels(modality: torch.Tensor) -> torch.Tensor:
    """IDKL's label for the shared-stream discriminator (loss L5).

    ``roll(repeat_interleave(first_half(modality), 2), -1)``. With the
    interleaved ``I, V, I, V`` batch this is the true modality for half
    the samples and the flipped one for the other half (period 4).

    Args:
        modality (Tensor): ``[B]``, ``B`` even.

    Returns:
        Tensor: ``[B]`` long.
    """
    modality = modality.reshape(-1).long()
    if modality.numel() % 2:
        raise ValueError(f'pseudo_modality_labels: the batch size must be '
                         f'even, got {modality.numel()}')
    half = modality[:modality.numel() // 2]
    return torch.roll(half.repeat_interleave(2), -1)


class _SwitchMixin:
    """The code's hard-coded batch-size test (``bb = 120``)."""

    switch_batch_size: Optional[int]

    def _use_main(self, batch_size: int) -> bool:
        return (self.switch_batch_size is None
                or batch_size == self.switch_batch_size)


@MODELS.register_module()
class TGSALoss(BaseModule, _SwitchMixin):
    """Triplet graph structure alignment (IDKL loss L7).

    ``D(X)`` are the off-diagonal distance rows of X (``n x (n-1)``), each
    turned into a distribution by a softmax over the **raw** distances
    (``negate=False``, the code) or over negated distances
    (``negate=True``). With ``SKL`` from :func:`symmetric_kl`,
    ``f_cross = [first half of f_sh^V; first half of f_sh^I]``:

    - ``intra = SKL(D f_sh^V, D f_sh^I) + SKL(D f_sh^V, D f_cross) +
      SKL(D f_cross, D f_sh^I)``
    - ``inter = SKL(D f_sh^V, D f_sp^V) + SKL(D f_sh^I, D f_sp^I)``
    - loss = ``intra + inter_weight * inter``.

    When ``switch_batch_size`` is set and the batch has another size, the
    code's other branch is used: ``fallback_scale * (SKL(D f_sh^V, D
    f_sh^I) + inter)``.

    Args:
        inter_weight (float): Weight of the inter terms. Defaults to 0.6.
        negate (bool): Softmax over ``-D`` instead of ``D``. Defaults to
            False (the code).
        switch_batch_size (int, optional): The code's ``bb = 120`` switch;
            ``None`` always uses the main formula. Defaults to None.
        fallback_scale (float): Scale of the other branch. Defaults to 0.1.
        eps (float): Clamp of squared distances. Defaults to 1e-6.
        loss_weight (float): Multiplier. Defaults to 1.
        init_cfg (dict, optional): Unused.
    """

    def __init__(self,
                 inter_weight: float = 0.6,
                 negate: bool = False,
                 switch_batch_size: Optional[int] = None,
                 fallback_scale: float = 0.1,
                 eps: float = 1e-6,
                 loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.inter_weight = inter_weight
        self.negate = negate
        self.switch_batch_size = switch_batch_size
        self.fallback_scale = fallback_scale
        self.eps = eps
        self.loss_weight = loss_weight

    def _d(self, x: torch.Tensor) -> torch.Tensor:
        d = offdiag_distances(x, self.eps)
        return -d if self.negate else d

    def forward(self, f_sh: torch.Tensor, f_sp: torch.Tensor,
                modality: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            f_sh (Tensor): Shared pre-BN features ``B x D``.
            f_sp (Tensor): Specific pre-BN features ``B x D``.
            modality (Tensor): ``[B]`` 0 / 1.

        Returns:
            Tensor: Scalar.
        """
        (sh_v, sp_v), (sh_i, sp_i) = split_by_modality(
            modality, f_sh, f_sp, name='TGSALoss')
        d_sh_v, d_sh_i = self._d(sh_v), self._d(sh_i)
        inter = (symmetric_kl(d_sh_v, self._d(sp_v)) +
                 symmetric_kl(d_sh_i, self._d(sp_i)))
        intra1 = symmetric_kl(d_sh_v, d_sh_i)
        if not self._use_main(f_sh.shape[0]):
            return self.loss_weight * self.fallback_scale * (intra1 + inter)
        half_v, half_i = sh_v.shape[0] // 2, sh_i.shape[0] // 2
        d_cross = self._d(torch.cat([sh_v[:half_v], sh_i[:half_i]]))
        if d_cross.shape != d_sh_v.shape:
            raise ValueError(
                f'TGSALoss: the cross set has {d_cross.shape[0]} rows but '
                f'each modality has {d_sh_v.shape[0]}; needs an even number '
                f'of samples per modality')
        intra = (intra1 + symmetric_kl(d_sh_v, d_cross) +
                 symmetric_kl(d_cross, d_sh_i))
        return self.loss_weight * (intra + self.inter_weight * inter)


class _CSABase(BaseModule, _SwitchMixin):
    """``SKL(R z_sh^V, R z_sh^I) + w [SKL(R z_sh^V, R z_sp^V) + SKL(R
    z_sh^I, R z_sp^I)]`` with a regrouping ``R`` of the logits."""

    def __init__(self,
                 inter_weight: float = 0.8,
                 switch_batch_size: Optional[int] = None,
                 fallback_inter_weight: float = 0.3,
                 loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.inter_weight = inter_weight
        self.switch_batch_size = switch_batch_size
        self.fallback_inter_weight = fallback_inter_weight
        self.loss_weight = loss_weight

    def _regroup(self, z: torch.Tensor, labels: Optional[torch.Tensor]
                 ) -> torch.Tensor:
        return z

    def _csa(self, z_sh: torch.Tensor, z_sp: torch.Tensor,
             modality: torch.Tensor,
             labels: Optional[torch.Tensor]) -> torch.Tensor:
        name = type(self).__name__
        (sh_v, sp_v), (sh_i, sp_i) = split_by_modality(
            modality, z_sh, z_sp, name=name)
        r = lambda z: self._regroup(z, labels)  # noqa: E731
        intra = symmetric_kl(r(sh_v), r(sh_i))
        inter = symmetric_kl(r(sh_v), r(sp_v)) + symmetric_kl(
            r(sh_i), r(sp_i))
        w = (self.inter_weight if self._use_main(z_sh.shape[0]) else
             self.fallback_inter_weight)
        return self.loss_weight * (intra + w * inter)


@MODELS.register_module()
class CSABatchLoss(_CSABase):
    """Class semantic alignment over the batch (IDKL loss L8).

    ``SKL(z_sh^V, z_sh^I) + inter_weight * [SKL(z_sh^V, z_sp^V) +
    SKL(z_sh^I, z_sp^I)]``, softmax over classes, logits after the BNNeck
    classifiers. The code uses ``inter_weight = 0.8`` for a batch of 120
    and 0.3 otherwise (``switch_batch_size=120``).

    Args:
        inter_weight (float): Defaults to 0.8.
        switch_batch_size (int, optional): ``None`` always uses
            ``inter_weight``.
        fallback_inter_weight (float): Used for other batch sizes when the
            switch is on. Defaults to 0.3.
        loss_weight (float): Multiplier. Defaults to 1.
        init_cfg (dict, optional): Unused.
    """

    def forward(self, z_sh: torch.Tensor, z_sp: torch.Tensor,
                modality: torch.Tensor) -> torch.Tensor:
        """Compute the loss from ``B x N`` shared / specific logits."""
        return self._csa(z_sh, z_sp, modality, None)


@MODELS.register_module()
class CSASampleLoss(_CSABase):
    """Class semantic alignment over regrouped samples (IDKL loss L9).

    As :class:`CSABatchLoss` on regrouped logits: the ``n`` rows of one
    modality are cut into consecutive chunks of ``m`` rows (one chunk per
    identity with the cross-modal sampler) and the chunks are concatenated
    along the class axis, giving ``m x (n / m * N)``; the softmax runs over
    those ``n / m * N`` entries. ``m = chunk_size``, or (``None``, the code)
    half the number of samples that share the first sample's label.

    Args:
        chunk_size (int, optional): ``m``; ``None`` derives it from the
            labels as the code does.
        inter_weight, switch_batch_size, fallback_inter_weight,
        loss_weight: As :class:`CSABatchLoss`.
        init_cfg (dict, optional): Unused.
    """

    def __init__(self, chunk_size: Optional[int] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if chunk_size is not None and chunk_size < 1:
            raise ValueError(f'CSASampleLoss: chunk_size must be >= 1, got '
                             f'{chunk_size}')
        self.chunk_size = chunk_size

    def _regroup(self, z: torch.Tensor, labels: Optional[torch.Tensor]
                 ) -> torch.Tensor:
        m = self.chunk_size
        if m is None:
            m = int((labels == labels[0]).sum()) // 2
        if m < 1 or z.shape[0] % m:
            raise ValueError(
                f'CSASampleLoss: {z.shape[0]} rows per modality cannot be '
                f'cut into chunks of {m} (set chunk_size, or sample K/2 '
                f'images per identity and modality)')
        return torch.cat(z.split(m, 0), 1)

    def forward(self, z_sh: torch.Tensor, z_sp: torch.Tensor,
                modality: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Compute the loss from ``B x N`` logits and ``[B]`` labels."""
        return self._csa(z_sh, z_sp, modality, labels.reshape(-1))


@MODELS.register_module()
class IIPLoss(BaseModule):
    """IN-guided information purification loss (IDKL loss L6).

    With GeM (``p``) pooled vectors of the maps of
    :class:`~vireid.models.layers.IIPPurifier`, ``p(x) =
    softmax(C(x))`` for a bias-free linear classifier ``C`` owned by this
    loss (IDKL's ``C_sp_f``; it receives gradients only from this loss) and
    ``H`` the entropy:

    - ``L_F = mean_i [exp(relu(H(p(F^p_i)) - H(p(F_i)) + m_F)) - 1]``;
    - ``L_IN = mean_y relu(||mu_V^y - mu_I^y||(F_IN^p) -
      ||mu_V^y - mu_I^y||(F_IN) + m_IN)`` over the identities of the batch
      that have both modalities (``mu`` = mean GeM vector of the
      identity's rows of one modality; the norm is
      ``F.pairwise_distance`` with its ``eps``);
    - loss = ``loss_weight * (L_F + L_IN)`` (IDKL: 0.1).

    ``probe`` chooses how ``C`` is trained. ``'official'`` (IDKL's code):
    by ``L_F`` alone, under the optimiser's weight decay. Once the hinge is
    satisfied ``C`` gets no gradient, the decay shrinks it to zero, its
    softmax becomes uniform and ``H(p(F^p)) = H(p(F)) = ln N``: ``L_F`` is
    then 0 for good (measured on the IDKL demo: ``|C|`` 6.3 -> 0.13 and
    ``H = 4.787 = ln 120`` after 12 epochs). ``'supervised'``: ``C`` is an
    identity probe trained by cross-entropy on the *detached* ``GeM(F)``
    (``probe_weight`` times that CE is added to the loss; it reaches no
    other parameter), and ``L_F`` sees ``C`` through detached weights, so
    ``L_F`` trains the purifier against an identity classifier it cannot
    flatten.

    Args:
        in_channels (int): Channels of the maps.
        num_classes (int): Classes of ``C``.
        entropy_margin (float): ``m_F``. Defaults to 0.
        centroid_margin (float): ``m_IN``. Defaults to 0.
        p (float): GeM exponent. Defaults to 3.
        gem_eps (float): GeM clamp. Defaults to 1e-6.
        dist_eps (float): ``eps`` of ``F.pairwise_distance``. Defaults
            to 1e-6.
        loss_weight (float): Defaults to 0.1.
        probe (str): ``'official'`` or ``'supervised'`` (see above).
            Defaults to ``'official'``.
        probe_weight (float): Weight of the probe's CE with
            ``probe='supervised'`` (not scaled by ``loss_weight``).
            Defaults to 1.0.
        init_cfg (dict, optional): mmengine init config.
    """

    PROBES = ('official', 'supervised')

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 entropy_margin: float = 0.0,
                 centroid_margin: float = 0.0,
                 p: float = 3.0,
                 gem_eps: float = 1e-6,
                 dist_eps: float = 1e-6,
                 loss_weight: float = 0.1,
                 probe: str = 'official',
                 probe_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if probe not in self.PROBES:
            raise ValueError(f'IIPLoss: probe must be one of {self.PROBES}, '
                             f'got {probe!r}')
        self.probe = probe
        self.probe_weight = probe_weight
        self.classifier = nn.Linear(in_channels, num_classes, bias=False)
        self.entropy_margin = entropy_margin
        self.centroid_margin = centroid_margin
        self.p = p
        self.gem_eps = gem_eps
        self.dist_eps = dist_eps
        self.loss_weight = loss_weight

    def _gem(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float().clamp(min=self.gem_eps).pow(self.p)
        return x.mean(dim=(-2, -1)).pow(1.0 / self.p)

    @staticmethod
    def _entropy(logits: torch.Tensor) -> torch.Tensor:
        logp = F.log_softmax(logits.float(), 1)
        return -(logp.exp() * logp).sum(1)

    def _centroid_gaps(self, x: torch.Tensor, labels: torch.Tensor,
                       modality: torch.Tensor
                       ) -> Tuple[torch.Tensor, torch.Tensor]:
        """V/I centroid distance of every identity of the batch, without a
        host-device sync (no ``unique``, no boolean indexing, no Python
        loop over identities).

        The identities are numbered by :func:`identity_slots`; the
        per-identity V and I sums are one-hot matrix products (deterministic
        on CUDA, unlike ``index_add_``). There are at most ``N``
        identities, so the outputs have ``N`` slots.

        Returns:
            tuple[Tensor, Tensor]: ``gaps`` (``[N]``) and ``valid``
            (``[N]`` bool: the slot is an identity with both modalities).
        """
        n = labels.numel()
        codes, _ = identity_slots(labels)
        member = codes.unsqueeze(0) == torch.arange(
            n, device=codes.device).unsqueeze(1)  # [slot, sample]
        means, counts = [], []
        # float32 sums under AMP too (autocast would run the product in
        # half precision; the loop it replaces summed in float32)
        with torch.autocast(device_type=x.device.type, enabled=False):
            for value in (0, 1):
                onehot = (member & (modality == value).unsqueeze(0)).to(
                    x.dtype)
                count = onehot.sum(dim=1)
                means.append((onehot @ x) / count.clamp(min=1).unsqueeze(1))
                counts.append(count)
        gaps = F.pairwise_distance(means[0], means[1], eps=self.dist_eps)
        return gaps, (counts[0] > 0) & (counts[1] > 0)

    def components(self, maps: Dict[str, torch.Tensor], labels: torch.Tensor,
                   modality: torch.Tensor) -> Dict[str, torch.Tensor]:
        """``L_F`` and ``L_IN`` (unweighted).

        Args:
            maps (dict[str, Tensor]): ``f``, ``f_p``, ``f_in``, ``f_in_p``
                maps ``B x C x H x W``.
            labels (Tensor): ``[B]`` identities.
            modality (Tensor): ``[B]`` 0 / 1.

        Returns:
            dict[str, Tensor]: ``entropy`` (``L_F``) and ``centroid``
            (``L_IN``; 0 when no identity has both modalities); with
            ``probe='supervised'`` also ``probe`` (the probe's CE).
        """
        missing = {'f', 'f_p', 'f_in', 'f_in_p'} - set(maps)
        if missing:
            raise KeyError(f'IIPLoss: maps lack {sorted(missing)}')
        labels = labels.reshape(-1).to(maps['f'].device, non_blocking=True)
        modality = modality.reshape(-1).to(maps['f'].device,
                                           non_blocking=True)
        weight = self.classifier.weight
        if self.probe == 'supervised':
            weight = weight.detach()
        g_f = self._gem(maps['f'])
        h_f = self._entropy(F.linear(g_f, weight))
        h_fp = self._entropy(F.linear(self._gem(maps['f_p']), weight))
        l_f = (torch.exp(F.relu(h_fp - h_f + self.entropy_margin)) -
               1).mean()
        gap_in, valid = self._centroid_gaps(self._gem(maps['f_in']), labels,
                                            modality)
        gap_in_p, _ = self._centroid_gaps(self._gem(maps['f_in_p']), labels,
                                          modality)
        # mean over the identities with both modalities (0 when none)
        l_in = masked_mean(
            F.relu(gap_in_p - gap_in + self.centroid_margin), valid)
        out = dict(entropy=l_f, centroid=l_in)
        if self.probe == 'supervised':
            out['probe'] = F.cross_entropy(
                self.classifier(g_f.detach()), labels)
        return out

    def forward(self, maps: Dict[str, torch.Tensor], labels: torch.Tensor,
                modality: torch.Tensor) -> torch.Tensor:
        """``loss_weight * (L_F + L_IN)``; see :meth:`components`."""
        c = self.components(maps, labels, modality)
        loss = self.loss_weight * (c['entropy'] + c['centroid'])
        if 'probe' in c:
            loss = loss + self.probe_weight * c['probe']
        return loss


@MODELS.register_module()
class ModalityCELoss(BaseModule):
    """Cross-entropy of a modality discriminator (IDKL losses L4 / L5).

    Args:
        target (str): ``'true'`` (the sample's modality, L4) or
            ``'pseudo'`` (:func:`pseudo_modality_labels`, the code's L5
            label).
        loss_weight (float): Defaults to 1.
        init_cfg (dict, optional): Unused.
    """

    def __init__(self,
                 target: str = 'true',
                 loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if target not in ('true', 'pseudo'):
            raise ValueError(f"ModalityCELoss: target must be 'true' or "
                             f"'pseudo', got {target!r}")
        self.target = target
        self.loss_weight = loss_weight

    def forward(self, logits: torch.Tensor,
                modality: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            logits (Tensor): ``B x num_modalities``.
            modality (Tensor): ``[B]`` true modalities.

        Returns:
            Tensor: Scalar.
        """
        modality = modality.reshape(-1).long()
        target = (pseudo_modality_labels(modality)
                  if self.target == 'pseudo' else modality)
        target = target.to(logits.device, non_blocking=True)
        return self.loss_weight * F.cross_entropy(logits.float(), target)
