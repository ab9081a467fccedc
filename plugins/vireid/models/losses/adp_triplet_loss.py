# Copyright (c) vireid contributors. All rights reserved.
"""CAJ's adaptive weighted triplet loss (``--method adp``)."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from vireid.registry import MODELS
from .utils import (check_metric_inputs, masked_mean, maybe_normalize,
                    pairwise_euclidean)
from .wr_triplet_loss import (anchors_for_weighting, check_weighting,
                              weighted_distances)

#: ``gamma * (d_p - d_n)^2`` is clamped here before the soft margin, as in
#: CAJ's code (``exp(88)`` is close to the float32 maximum).
SQUARE_CLAMP = 88.0


@MODELS.register_module()
class ADPTripletLoss(BaseModule):
    """CAJ's adaptive weighted triplet loss (``TripletLoss_ADP``).

    Weighted positive / negative distances as in :class:`WRTripletLoss`,
    with the distances scaled by ``alpha`` inside the weights
    (``w = softmax(alpha * d)`` over positives, ``softmax(-alpha * d)``
    over negatives; ``weighting`` as in :class:`WRTripletLoss`). With
    ``t = d_p - d_n`` per anchor:

    - ``square=False``: ``mean softplus(gamma * t)`` (WRT with a scale);
    - ``square=True`` (CAJ's setting, ``--square 1``):
      ``s = min(gamma * t^2, 88)`` and the loss is ``mean softplus(s)`` on
      anchors violating the order (``d_p > d_n``) and
      ``mean softplus(-s)`` on the others, i.e. a squared gap that is
      pushed down when violated and up when satisfied.

    Every anchor of the batch is used, as in the released code.

    Reference: Ye et al., "Channel Augmented Joint Learning for
    Visible-Infrared Recognition", ICCV 2021.

    Args:
        alpha (float): Temperature of the weights. Defaults to 1 (CAJ).
        gamma (float): Scale of the gap. Defaults to 1 (CAJ).
        square (bool): Squared gap (CAJ: True). Defaults to True.
        weighting (str): ``'official'`` (default, the released code's
            weights) or ``'softmax'`` (exact masked softmax).
        normalize (bool): L2-normalise features first. Defaults to False.
        loss_weight (float): Multiplier of the loss. Defaults to 1.
        init_cfg (dict, optional): Unused (no parameters).
    """

    def __init__(self,
                 alpha: float = 1.0,
                 gamma: float = 1.0,
                 square: bool = True,
                 weighting: str = 'official',
                 normalize: bool = False,
                 loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if alpha <= 0 or gamma <= 0:
            raise ValueError(f'ADPTripletLoss: alpha and gamma must be '
                             f'positive, got alpha={alpha}, gamma={gamma}')
        self.alpha = float(alpha)
        self.gamma = float(gamma)
        self.square = bool(square)
        self.weighting = check_weighting('ADPTripletLoss', weighting)
        self.normalize = normalize
        self.loss_weight = loss_weight

    def forward(self, feats: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            feats (Tensor): ``N x D`` features.
            labels (Tensor): ``[N]`` identity labels.

        Returns:
            Tensor: Scalar loss (float32).
        """
        feats, labels = check_metric_inputs('ADPTripletLoss', feats, labels)
        dist = pairwise_euclidean(maybe_normalize(feats, self.normalize))
        same = labels.view(-1, 1) == labels.view(1, -1)
        neg, keep = anchors_for_weighting(same, self.weighting)
        d_p, d_n = weighted_distances(dist, same, self.weighting,
                                      scale=self.alpha, neg=neg)
        gap = d_p - d_n
        if not self.square:
            loss = F.softplus(self.gamma * gap)
        else:
            s = (self.gamma * gap.pow(2)).clamp(max=SQUARE_CLAMP)
            sign = torch.where(gap > 0, 1.0, -1.0).to(s.dtype)
            loss = F.softplus(sign * s)
        return self.loss_weight * masked_mean(loss, keep)
