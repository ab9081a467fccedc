# Copyright (c) vireid contributors. All rights reserved.
"""Batch-hard triplet loss."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from vireid.registry import MODELS
from .utils import (check_metric_inputs, masked_mean, maybe_normalize,
                    pairwise_euclidean)


@MODELS.register_module()
class TripletLoss(BaseModule):
    """Batch-hard triplet loss (Hermans et al., 2017) over the whole batch.

    For every anchor ``i`` the hardest positive (largest distance to a
    sample of the same label, the anchor itself included) and the hardest
    negative (smallest distance to another label) are mined over the whole
    mixed-modality batch, and
    ``loss = mean_i relu(d(i, p_i) - d(i, n_i) + margin)``; with
    ``margin=None`` the soft margin ``softplus(d_ap - d_an)`` is used.
    Anchors without any negative in the batch are skipped.

    Args:
        margin (float, optional): The margin; ``None`` for soft margin.
            Defaults to 0.3.
        normalize (bool): L2-normalise features first. Defaults to False.
        loss_weight (float): Multiplier of the loss. Defaults to 1.
        init_cfg (dict, optional): Unused (no parameters).
    """

    def __init__(self,
                 margin: Optional[float] = 0.3,
                 normalize: bool = False,
                 loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.margin = margin
        self.normalize = normalize
        self.loss_weight = loss_weight

    def forward(self, feats: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            feats (Tensor): ``N x D`` features (e.g. the pre-BN pool
                feature).
            labels (Tensor): ``[N]`` identity labels.

        Returns:
            Tensor: Scalar loss (float32).
        """
        feats, labels = check_metric_inputs('TripletLoss', feats, labels)
        dist = pairwise_euclidean(maybe_normalize(feats, self.normalize))
        same = labels.view(-1, 1) == labels.view(1, -1)
        # Anchors without a negative get d_an = inf, a zero loss term with a
        # zero gradient, and are left out of the mean by the mask (no
        # host-device synchronisation, unlike boolean indexing).
        has_neg = (~same).any(dim=1)
        d_ap = dist.masked_fill(~same, float('-inf')).amax(dim=1)
        d_an = dist.masked_fill(same, float('inf')).amin(dim=1)
        if self.margin is None:
            per_anchor = F.softplus(d_ap - d_an)
        else:
            per_anchor = F.relu(d_ap - d_an + self.margin)
        loss = masked_mean(per_anchor, has_neg)
        return self.loss_weight * loss
