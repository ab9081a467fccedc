# Copyright (c) vireid contributors. All rights reserved.
"""Identity Clues Guided (ICG) loss of ICRE (reconstruction)."""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from vireid.registry import MODELS
from .utils import identity_slots


@MODELS.register_module()
class ICGLoss(BaseModule):
    """Identity Clues Guided loss with modality-aware identity centres.

    ICRE (Zhang et al., "Identity Clue Refinement and Enhancement for
    Visible-Infrared Person Re-Identification", arXiv 2512.04522) states
    only that the ICG loss "reduces modality discrepancy within the enhanced
    features and promotes a diverse representation space" using
    modality-aware centres. The formula below is a **[RECON]**
    reconstruction (close to the hetero-centre loss of Liu et al., 2020);
    every choice is a switch.

    For each identity ``y`` of the batch, with ``V`` = visible (modality 0)
    and ``I`` = infrared (modality 1) samples:

    - modality centres ``c_V^y = mean_{i: y_i=y, m_i=0} f_i`` and ``c_I^y``;
    - joint centre ``c^y``: the mean of all samples of ``y`` (or, with
      ``balanced_joint=True``, ``(c_V^y + c_I^y) / 2`` for identities seen
      in both modalities).

    Terms (each has its own weight; the total is multiplied by
    ``loss_weight``):

    - (a) **gap**: ``mean_y ||c_V^y - c_I^y||_2`` (modality-gap
      compactness);
    - (b) **pull**: ``mean_i ||f_i - c^{y_i}_{1 - m_i}||_2`` (cross-modal
      pull of each sample to the centre of the *other* modality of its
      identity);
    - (c) **diversity**: ``mean_y relu(margin - min_{y' != y}
      ||c^y - c^{y'}||_2)`` over all identities of the batch (needs at least
      two; zero otherwise).

    (``reduction='sum'`` replaces every mean by a sum, as the specification
    writes it.)

    A note on collapse: with (a) + (b) weighted against the bounded hinge
    (c), putting every feature on one point gives ``loss = margin`` exactly
    (a = b = 0, c = margin), a trivial minimum whenever the spread state
    costs more. On the BNNeck output (``ICRE(icg_feature='bn')``, what
    the ICRE configs use since issue #10) the batch standardisation keeps
    the features from being pulled to one point, unless the BN scale
    itself shrinks to 0 (see ``projects/icre/README.md``).

    Identities seen in one modality only are **skipped** for (a) and (b)
    (their other-modality centre does not exist; their samples do not count
    in the mean of (b)); they do take part in (c). If no identity of the
    batch has both modalities, (a) and (b) are zero (with a zero gradient).
    The Euclidean norm has a zero (sub)gradient at 0, so coinciding centres
    give exactly 0 and no NaN.

    Everything is vectorised (``index_add_``; no Python loop over
    identities) and computed in float32, without a host-device
    synchronisation: the identities are numbered on the device (sort +
    first-occurrence cumsum, the ranks ``torch.unique`` would give) into
    ``N`` slots (``N`` = batch size, an upper bound on the number of
    identities known on the host), the unused slots are masked out of every
    reduction, and the one-modality / no-cross-identity / single-identity
    cases are masks instead of branches. The values are those of the
    ``torch.unique`` formulation up to float rounding of the reductions.

    Args:
        gap_weight (float): Weight of (a). Defaults to 1.0 [RECON].
        pull_weight (float): Weight of (b). Defaults to 1.0 [RECON].
        diversity_weight (float): Weight of (c). Defaults to 1.0 [RECON].
        margin (float): ``rho`` of (c). Defaults to 0.3 [RECON], meant for
            L2-normalised features.
        normalize (bool): L2-normalise the features first. Defaults to True
            [RECON].
        balanced_joint (bool): Joint centre as the mean of the two modality
            centres instead of the mean of the samples. Defaults to False
            [RECON].
        loss_weight (float): Overall multiplier. Defaults to 1.0 [RECON]
            (``lambda_ICG``).
        reduction (str): ``'mean'`` (default): each term is the mean over
            its identities (a, c) or samples (b); ``'sum'``: the sums the
            specification writes (``docs/methods.md`` section 3,
            ``sum_y``, ``sum_{i in y}``). The mean is the default because
            the sums grow with the batch (8 identities x 8 images: a 64x
            larger pull term than the mean) and would outweigh the ID and
            triplet losses at ``loss_weight=1``; ``'sum'`` with
            ``loss_weight=1/N`` is the same loss for a fixed batch.
        init_cfg (dict, optional): Unused (no parameters).
    """

    def __init__(self,
                 gap_weight: float = 1.0,
                 pull_weight: float = 1.0,
                 diversity_weight: float = 1.0,
                 margin: float = 0.3,
                 normalize: bool = True,
                 balanced_joint: bool = False,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if reduction not in ('mean', 'sum'):
            raise ValueError(f"ICGLoss: reduction must be 'mean' or 'sum', "
                             f'got {reduction!r}')
        self.reduction = reduction
        for name, value in (('gap_weight', gap_weight),
                            ('pull_weight', pull_weight),
                            ('diversity_weight', diversity_weight),
                            ('margin', margin)):
            if value < 0:
                raise ValueError(f'ICGLoss: {name} must be >= 0, got {value}')
        self.gap_weight = gap_weight
        self.pull_weight = pull_weight
        self.diversity_weight = diversity_weight
        self.margin = margin
        self.normalize = normalize
        self.balanced_joint = balanced_joint
        self.loss_weight = loss_weight

    @staticmethod
    def _check(feats: torch.Tensor, labels: torch.Tensor,
               modality: torch.Tensor):
        if feats.dim() != 2:
            raise ValueError(f'ICGLoss: feats must be N x D, got '
                             f'{tuple(feats.shape)}')
        n = feats.shape[0]
        labels = torch.as_tensor(labels, device=feats.device).reshape(-1)
        modality = torch.as_tensor(modality, device=feats.device).reshape(-1)
        if labels.numel() != n or modality.numel() != n:
            raise ValueError(f'ICGLoss: {n} features but {labels.numel()} '
                             f'labels and {modality.numel()} modalities')
        if modality.dtype.is_floating_point or labels.dtype.is_floating_point:
            raise TypeError('ICGLoss: labels and modality must be integer '
                            'tensors')
        if n and modality.device.type == 'cpu':
            if int(modality.min()) < 0 or int(modality.max()) > 1:
                raise ValueError(f'ICGLoss: modality values must be 0 '
                                 f'(visible) or 1 (infrared), got '
                                 f'{sorted(set(modality.tolist()))}')
        elif n:  # checked on the device: no host-device synchronisation
            torch._assert_async(((modality >= 0) & (modality <= 1)).all(),
                                'ICGLoss: modality values must be 0 '
                                '(visible) or 1 (infrared)')
        return labels.long(), modality.long()

    def _reduce(self, values: torch.Tensor,
                keep: torch.Tensor) -> torch.Tensor:
        """Sum or mean of ``values`` over the ``True`` entries of ``keep``
        (0 when there is none), by masking instead of indexing."""
        total = torch.where(keep, values, values.new_zeros(())).sum()
        if self.reduction == 'sum':
            return total
        return total / keep.sum().clamp(min=1).to(values.dtype)

    def compute_terms(self, feats: torch.Tensor, labels: torch.Tensor,
                      modality: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Compute the three unweighted terms.

        Args:
            feats (Tensor): ``N x D`` features.
            labels (Tensor): ``[N]`` identity labels.
            modality (Tensor): ``[N]`` modalities (0 visible, 1 infrared).

        Returns:
            dict[str, Tensor]: ``gap``, ``pull``, ``diversity`` (float32
            scalars) and ``num_cross_ids`` (number of identities seen in
            both modalities, a detached float).
        """
        labels, modality = self._check(feats, labels, modality)
        x = feats.float()
        if self.normalize:
            x = F.normalize(x, dim=1)
        zero = x.sum() * 0.0
        if x.shape[0] == 0:
            return dict(gap=zero, pull=zero, diversity=zero,
                        num_cross_ids=zero.detach())
        inv, used = identity_slots(labels)
        num_ids, dim = x.shape[0], x.shape[1]  # slots: >= the identities
        slot = inv * 2 + modality  # (identity, modality) cell of each row
        sums = x.new_zeros(num_ids * 2, dim).index_add_(0, slot, x)
        counts = x.new_zeros(num_ids * 2).index_add_(
            0, slot, torch.ones_like(slot, dtype=x.dtype))
        sums, counts = sums.view(num_ids, 2, dim), counts.view(num_ids, 2)
        centres = sums / counts.clamp(min=1.0).unsqueeze(-1)  # U x 2 x D
        both = (counts > 0).all(dim=1)  # U (False on unused slots)
        # unused slots: 0 / 1 = 0 instead of 0 / 0 (masked out below)
        total = counts.sum(dim=1, keepdim=True).clamp(min=1.0)
        if self.balanced_joint:
            joint = torch.where(both.unsqueeze(-1), centres.mean(dim=1),
                                sums.sum(dim=1) / total)
        else:
            joint = sums.sum(dim=1) / total

        # identities without both modalities are masked out (zero terms and
        # gradients when there is none)
        gap = self._reduce(
            torch.linalg.vector_norm(centres[:, 0] - centres[:, 1], dim=1),
            both)
        other = centres[inv, 1 - modality]
        pull = self._reduce(torch.linalg.vector_norm(x - other, dim=1),
                            both[inv])

        if self.margin > 0:
            dist = torch.cdist(
                joint.unsqueeze(0), joint.unsqueeze(0),
                compute_mode='donot_use_mm_for_euclid_dist').squeeze(0)
            # the nearest other *used* identity; none (one identity) gives
            # inf and a zero term, as the unique-based "num_ids > 1" test
            skip = torch.eye(num_ids, dtype=torch.bool, device=x.device)
            skip = skip | ~used.unsqueeze(0)
            nearest = dist.masked_fill(skip, float('inf')).amin(dim=1)
            diversity = self._reduce(F.relu(self.margin - nearest), used)
        else:
            diversity = zero
        return dict(gap=gap, pull=pull, diversity=diversity,
                    num_cross_ids=both.sum().float().detach())

    def forward(self, feats: torch.Tensor, labels: torch.Tensor,
                modality: torch.Tensor) -> torch.Tensor:
        """Compute the weighted loss.

        Args:
            feats (Tensor): ``N x D`` features (ICRE: the enhanced feature).
            labels (Tensor): ``[N]`` identity labels.
            modality (Tensor): ``[N]`` modalities (0 visible, 1 infrared).

        Returns:
            Tensor: ``loss_weight * (gap_weight * gap + pull_weight * pull +
            diversity_weight * diversity)`` (float32 scalar).
        """
        return self.combine(self.compute_terms(feats, labels, modality))

    def combine(self, terms: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Weight and sum the terms of :meth:`compute_terms`.

        Args:
            terms (dict[str, Tensor]): Output of :meth:`compute_terms`.

        Returns:
            Tensor: The loss :meth:`forward` returns.
        """
        loss = (self.gap_weight * terms['gap'] +
                self.pull_weight * terms['pull'] +
                self.diversity_weight * terms['diversity'])
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return (f'gap_weight={self.gap_weight}, pull_weight='
                f'{self.pull_weight}, diversity_weight='
                f'{self.diversity_weight}, margin={self.margin}, '
                f'normalize={self.normalize}, balanced_joint='
                f'{self.balanced_joint}, loss_weight={self.loss_weight}, '
                f'reduction={self.reduction!r}')
