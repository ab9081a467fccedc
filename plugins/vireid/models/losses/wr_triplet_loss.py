# Copyright (c) vireid contributors. All rights reserved.
"""AGW's weighted regularisation triplet loss."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from vireid.registry import MODELS
from .utils import check_metric_inputs, maybe_normalize, pairwise_euclidean


@MODELS.register_module()
class WRTripletLoss(BaseModule):
    """Weighted regularisation triplet (WRT) loss of AGW.

    For every anchor ``i`` (distances ``d`` over the whole mixed-modality
    batch):

    - positive distance ``d_p(i) = sum_j w_ij d_ij`` over same-label ``j``
      (the anchor included), ``w_i = softmax_j(d_ij)``: far positives weigh
      more;
    - negative distance ``d_n(i) = sum_k v_ik d_ik`` over other labels,
      ``v_i = softmax_k(-d_ik)``: close negatives weigh more;
    - ``loss = mean_i softplus(d_p(i) - d_n(i))`` (soft margin, no margin
      hyper-parameter).

    Anchors without a negative in the batch are skipped.

    Reference: Ye et al., "Deep Learning for Person Re-identification: A
    Survey and Outlook", TPAMI 2021.

    Args:
        normalize (bool): L2-normalise features first. Defaults to False.
        loss_weight (float): Multiplier of the loss. Defaults to 1.
        init_cfg (dict, optional): Unused (no parameters).
    """

    def __init__(self,
                 normalize: bool = False,
                 loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
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
        feats, labels = check_metric_inputs('WRTripletLoss', feats, labels)
        dist = pairwise_euclidean(maybe_normalize(feats, self.normalize))
        same = labels.view(-1, 1) == labels.view(1, -1)
        has_neg = (~same).any(dim=1)
        if not bool(has_neg.any()):
            return dist.sum() * 0.0
        dist, same = dist[has_neg], same[has_neg]
        w_pos = dist.masked_fill(~same, float('-inf')).softmax(dim=1)
        w_neg = (-dist).masked_fill(same, float('-inf')).softmax(dim=1)
        d_p = (dist * w_pos).sum(dim=1)
        d_n = (dist * w_neg).sum(dim=1)
        return self.loss_weight * F.softplus(d_p - d_n).mean()
