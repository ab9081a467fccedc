# Copyright (c) vireid contributors. All rights reserved.
"""MTRL's modality-transition contrastive loss (reconstruction)."""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from vireid.registry import MODELS
from .transition_utils import (INFRARED, TRANSITION, VISIBLE,
                               check_grouped_inputs)
from .utils import rows_where, to_device

_NEGATIVES = ('all', 'other_ids')


@MODELS.register_module()
class MTCLoss(BaseModule):
    """Modality-transition contrastive loss ``L_mtc`` with M as the bridge.

    MTRL (Yuan et al., arXiv 2511.02685) names a "modality-transition
    contrastive loss"; its formula was not available, so this is the
    **[RECON]** of the MTRL README, every choice a switch. With
    ``v_i``, ``m_i``, ``r_k`` the (L2-normalised) features of the visible,
    middle and infrared rows, ``s(a, b) = a . b / tau``:

    - **instance term** (InfoNCE, the pixel-aligned pair is the positive):
      ``L_inst = mean_i -log( exp s(m_i, v_i) / sum_j exp s(m_i, v_j) )``,
      the sum over the visible rows ``j`` of the batch (``negatives=
      'other_ids'`` leaves out the other visible rows of ``m_i``'s identity;
      ``symmetric=True`` averages it with the same loss with ``v_i`` as the
      anchor over the middle rows);
    - **identity term** (supervised contrast between M and I):
      ``L_id = mean_i -1/|P_i| sum_{k in P_i} log( exp s(m_i, r_k) /
      sum_l exp s(m_i, r_l) )``, ``P_i`` the infrared rows of ``m_i``'s
      identity, ``l`` over all infrared rows; anchors without a positive are
      skipped (zero if none has one); ``symmetric=True`` averages it with
      the infrared rows as anchors over the middle rows.

    ``loss = loss_weight * (inst_weight * L_inst + id_weight * L_id)``.

    **Pairing.** Rows are told apart by ``groups`` (0 visible, 1 infrared,
    2 middle); the ``k``-th middle row must come from the ``k``-th visible
    row (as in a ``[V; M; I]`` batch) and have its label. Any model that
    builds such rows (e.g. CAJ's ``[V; V_channel-exchanged; I]``) can use
    it.

    Args:
        temperature (float): ``tau``. Defaults to 0.1 [RECON].
        inst_weight (float): Weight of the instance term. Defaults to 1.
        id_weight (float): Weight of the identity term. Defaults to 1.
        negatives (str): ``'all'`` (default; every other visible row) or
            ``'other_ids'`` for the instance term.
        symmetric (bool): Symmetric versions of both terms. Defaults to
            False [RECON].
        normalize (bool): L2-normalise the features. Defaults to True.
        loss_weight (float): Overall multiplier. Defaults to 1 [RECON].
        init_cfg (dict, optional): Unused (no parameters).
    """

    def __init__(self,
                 temperature: float = 0.1,
                 inst_weight: float = 1.0,
                 id_weight: float = 1.0,
                 negatives: str = 'all',
                 symmetric: bool = False,
                 normalize: bool = True,
                 loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if temperature <= 0:
            raise ValueError(f'MTCLoss: temperature must be > 0, got '
                             f'{temperature}')
        if inst_weight < 0 or id_weight < 0:
            raise ValueError(f'MTCLoss: inst_weight and id_weight must be '
                             f'>= 0, got {inst_weight}, {id_weight}')
        if negatives not in _NEGATIVES:
            raise ValueError(f'MTCLoss: negatives must be one of '
                             f'{_NEGATIVES}, got {negatives!r}')
        self.temperature = float(temperature)
        self.inst_weight = float(inst_weight)
        self.id_weight = float(id_weight)
        self.negatives = negatives
        self.symmetric = bool(symmetric)
        self.normalize = bool(normalize)
        self.loss_weight = float(loss_weight)

    #: the groups the loss needs in the batch
    required_groups = (VISIBLE, INFRARED, TRANSITION)

    def _instance(self, a: torch.Tensor, b: torch.Tensor,
                  ya: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        # (ya, yb: labels on their own device, e.g. the host)
        logits = a @ b.t() / self.temperature
        if self.negatives == 'other_ids':
            same = ya.view(-1, 1) == yb.view(1, -1)
            same.fill_diagonal_(False)
            logits = logits.masked_fill(to_device(same, a.device),
                                        float('-inf'))
        target = torch.arange(len(a), device=a.device)
        return F.cross_entropy(logits, target)

    def _supcon(self, a: torch.Tensor, b: torch.Tensor, ya: torch.Tensor,
                yb: torch.Tensor) -> torch.Tensor:
        logits = a @ b.t() / self.temperature
        log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
        same = ya.view(-1, 1) == yb.view(1, -1)  # where the labels are
        keep = same.any(dim=1)
        if not bool(keep.any()):  # (host values: no sync)
            return logits.sum() * 0.0
        pos = to_device(same, a.device).float()
        npos = pos.sum(dim=1)
        rows = rows_where(keep, a.device)
        per = -(log_prob * pos).sum(dim=1)[rows] / npos[rows]
        return per.mean()

    def compute_terms(self, feats: torch.Tensor, labels: torch.Tensor,
                      groups: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The unweighted terms.

        Args:
            feats (Tensor): ``N x D`` features.
            labels (Tensor): ``[N]`` identity labels.
            groups (Tensor): ``[N]`` groups (0 V, 1 I, 2 M).

        Returns:
            dict[str, Tensor]: ``inst`` and ``id`` (float32 scalars).
        """
        x, labels, groups = check_grouped_inputs('MTCLoss', feats, labels,
                                                 groups)
        if self.normalize:
            x = F.normalize(x, dim=1)
        # row indices where the groups are (the host, from MTRLModel), rows
        # selected on the features' device
        idx = [torch.nonzero(groups == g).flatten()
               for g in (VISIBLE, TRANSITION, INFRARED)]
        yv, ym, yr = (labels[i] for i in idx)
        v, m, r = (x[to_device(i, x.device)] for i in idx)
        if len(m) != len(v):
            raise ValueError(f'MTCLoss: {len(m)} middle rows but {len(v)} '
                             f'visible rows; each middle image pairs with '
                             f'the visible image it was made from')
        if not torch.equal(ym, yv):
            raise ValueError('MTCLoss: the k-th middle row must have the '
                             'label of the k-th visible row')
        zero = x.sum() * 0.0
        if len(m) == 0:
            return dict(inst=zero, id=zero)
        inst = self._instance(m, v, ym, yv)
        if self.symmetric:
            inst = (inst + self._instance(v, m, yv, ym)) / 2
        if len(r) == 0:
            ident = zero
        else:
            ident = self._supcon(m, r, ym, yr)
            if self.symmetric:
                ident = (ident + self._supcon(r, m, yr, ym)) / 2
        return dict(inst=inst, id=ident)

    def forward(self, feats: torch.Tensor, labels: torch.Tensor,
                groups: torch.Tensor) -> torch.Tensor:
        """Compute the weighted loss.

        Args:
            feats (Tensor): ``N x D`` features (MTRL: pre-BN pooled).
            labels (Tensor): ``[N]`` identity labels.
            groups (Tensor): ``[N]`` groups (0 V, 1 I, 2 M).

        Returns:
            Tensor: Scalar loss (float32).
        """
        t = self.compute_terms(feats, labels, groups)
        return self.loss_weight * (self.inst_weight * t['inst'] +
                                   self.id_weight * t['id'])

    def extra_repr(self) -> str:
        return (f'temperature={self.temperature}, inst_weight='
                f'{self.inst_weight}, id_weight={self.id_weight}, negatives='
                f'{self.negatives!r}, symmetric={self.symmetric}, '
                f'normalize={self.normalize}, loss_weight={self.loss_weight}')
