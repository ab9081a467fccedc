# Copyright (c) vireid contributors. All rights reserved.
"""Identity (classification) loss."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from vireid.registry import MODELS


@MODELS.register_module()
class CrossEntropyLoss(BaseModule):
    """Cross-entropy over identities, with optional label smoothing.

    A thin wrapper of ``F.cross_entropy`` (computed in float32) scaled by
    ``loss_weight``. AGW and IDKL use no smoothing; torchreid's
    ``CrossEntropyLoss(label_smooth=True)`` equals ``label_smoothing=0.1``.

    Args:
        label_smoothing (float): In ``[0, 1)``. Defaults to 0.
        loss_weight (float): Multiplier of the loss. Defaults to 1.
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``.
        init_cfg (dict, optional): Unused (no parameters).
    """

    def __init__(self,
                 label_smoothing: float = 0.0,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f'CrossEntropyLoss: label_smoothing must be in '
                             f'[0, 1), got {label_smoothing}')
        if reduction not in ('mean', 'sum', 'none'):
            raise ValueError(f'CrossEntropyLoss: bad reduction {reduction!r}')
        self.label_smoothing = label_smoothing
        self.loss_weight = loss_weight
        self.reduction = reduction

    def forward(self, cls_score: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            cls_score (Tensor): Logits ``N x num_classes``.
            labels (Tensor): Class indices ``[N]``.

        Returns:
            Tensor: The (weighted, reduced) loss.
        """
        if cls_score.dim() != 2:
            raise ValueError(f'CrossEntropyLoss: cls_score must be N x C, got '
                             f'{tuple(cls_score.shape)}')
        labels = labels.reshape(-1).to(cls_score.device).long()
        if labels.numel() != cls_score.shape[0]:
            raise ValueError(f'CrossEntropyLoss: {cls_score.shape[0]} scores '
                             f'but {labels.numel()} labels')
        loss = F.cross_entropy(
            cls_score.float(),
            labels,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing)
        return self.loss_weight * loss
