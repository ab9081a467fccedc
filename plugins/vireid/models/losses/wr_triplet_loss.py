# Copyright (c) vireid contributors. All rights reserved.
"""AGW's weighted regularisation triplet loss."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from vireid.registry import MODELS
from .utils import (check_metric_inputs, masked_mean, maybe_normalize,
                    pairwise_euclidean)

#: The two ways of turning distances into WRT weights (see WRTripletLoss).
WEIGHTINGS = ('official', 'softmax')


def masked_softmax(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Exact softmax of ``values`` over the ``True`` entries of each row.

    Args:
        values (Tensor): ``N x M``.
        mask (Tensor): ``N x M`` bool; every row needs one ``True``.

    Returns:
        Tensor: ``N x M`` weights, 0 outside the mask, rows summing to 1.
    """
    return values.masked_fill(~mask, float('-inf')).softmax(dim=1)


def official_code_weights(values: torch.Tensor, mask: torch.Tensor,
                          eps: float = 1e-6) -> torch.Tensor:
    """The weights of AGW's released code (``softmax_weights``).

    ``w_ij = m_ij exp(v_ij - s_i) / (sum_j m_ij exp(v_ij - s_i) + eps)``
    with the shift ``s_i = max_j (v_ij m_ij)``, i.e. the maximum taken
    with the masked-out entries set to **0**, not left out. For the
    negatives (called with ``v = -d``) every kept entry is negative, so the
    shift is 0 and the weights are ``exp(-d) / (sum exp(-d) + 1e-6)``: at
    real feature scales (distances 15-40) the denominator is dominated by
    ``eps`` and the weights, hence the weighted negative distance, collapse
    towards 0.

    Args:
        values (Tensor): ``N x M``.
        mask (Tensor): ``N x M`` bool.
        eps (float): Added to the denominator. Defaults to 1e-6.

    Returns:
        Tensor: ``N x M`` weights, 0 outside the mask.
    """
    m = mask.to(values.dtype)
    shift = (values * m).max(dim=1, keepdim=True).values
    e = torch.exp(values - shift) * m
    return e / (e.sum(dim=1, keepdim=True) + eps)


def weighted_distances(dist: torch.Tensor, same: torch.Tensor,
                       weighting: str, scale: float = 1.0,
                       neg: Optional[torch.Tensor] = None
                       ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Softmax-weighted positive and negative distance of every anchor.

    Args:
        dist (Tensor): ``N x N`` distances.
        same (Tensor): ``N x N`` bool, same label.
        weighting (str): ``'official'`` (:func:`official_code_weights` on
            the masked distances, as AGW/CAJ's code) or ``'softmax'``
            (:func:`masked_softmax`, the paper's formula).
        scale (float): Temperature ``alpha`` applied to the distances inside
            the weights (CAJ's ``TripletLoss_ADP``). Defaults to 1.
        neg (Tensor, optional): ``N x N`` bool mask of the negatives;
            defaults to ``~same`` (see :func:`anchors_for_weighting`).

    Returns:
        tuple[Tensor, Tensor]: ``d_p`` and ``d_n``, both ``[N]``.
    """
    diff = ~same if neg is None else neg
    if weighting == 'official':
        d_pos = dist * same.to(dist.dtype)
        d_neg = dist * diff.to(dist.dtype)
        w_pos = official_code_weights(d_pos * scale, same)
        w_neg = official_code_weights(-d_neg * scale, diff)
        return (d_pos * w_pos).sum(dim=1), (d_neg * w_neg).sum(dim=1)
    w_pos = masked_softmax(dist * scale, same)
    w_neg = masked_softmax(-dist * scale, diff)
    return (dist * w_pos).sum(dim=1), (dist * w_neg).sum(dim=1)


def anchors_for_weighting(same: torch.Tensor, weighting: str
                          ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """The negative mask and the anchors a weighting can score.

    The exact masked softmax needs at least one negative per anchor, so
    ``'softmax'`` scores only those anchors; the official code's weights
    score every anchor. Instead of dropping rows (boolean indexing, which
    waits for the device to know how many), every row is computed and the
    anchors without a negative get an all-``True`` negative mask (their
    softmax stays finite, their value is ignored) and ``keep = False``,
    to be left out by :func:`~vireid.models.losses.utils.masked_mean`.
    The kept rows are computed exactly as before.

    Args:
        same (Tensor): ``N x N`` bool, same label.
        weighting (str): ``'official'`` or ``'softmax'``.

    Returns:
        tuple[Tensor, Tensor | None]: The ``N x N`` negative mask for
        :func:`weighted_distances` and the ``[N]`` bool mask of the scored
        anchors (None: all).
    """
    diff = ~same
    if weighting != 'softmax':
        return diff, None
    keep = diff.any(dim=1)
    return diff | ~keep.unsqueeze(1), keep


def check_weighting(name: str, weighting: str) -> str:
    """Validate a ``weighting`` argument.

    Args:
        name (str): Loss name for the error message.
        weighting (str): The value.

    Returns:
        str: ``weighting``.
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f'{name}: weighting must be one of {WEIGHTINGS} '
                         f"('official' = AGW/CAJ released code, 'softmax' = "
                         f'exact masked softmax), got {weighting!r}')
    return weighting


@MODELS.register_module()
class WRTripletLoss(BaseModule):
    """Weighted regularisation triplet (WRT) loss of AGW.

    For every anchor ``i`` (distances ``d`` over the whole mixed-modality
    batch):

    - positive distance ``d_p(i) = sum_j w_ij d_ij`` over same-label ``j``
      (the anchor included), far positives weigh more;
    - negative distance ``d_n(i) = sum_k v_ik d_ik`` over other labels,
      close negatives weigh more;
    - ``loss = mean_i softplus(d_p(i) - d_n(i))`` (soft margin, no margin
      hyper-parameter).

    Two ``weighting`` modes:

    - ``'softmax'`` (default of the class, the paper's formula):
      ``w_i = softmax_j(d_ij)`` over the positives and ``v_i =
      softmax_k(-d_ik)`` over the negatives, exactly. Anchors without a
      negative in the batch are skipped.
    - ``'official'`` (what AGW's ``TripletLoss_WRT`` computes, selected by
      the shipped AGW configs): :func:`official_code_weights`, i.e. the
      shift is the row maximum with masked-out entries counted as 0 and
      ``1e-6`` is added to the denominator. On un-normalised 2048-d GeM
      features the negative weights then collapse and the loss is close to
      ``mean softplus(d_p)``. Every anchor is used (one without negatives
      gets ``d_n = 0``), as in the released code.

    Reference: Ye et al., "Deep Learning for Person Re-identification: A
    Survey and Outlook", TPAMI 2021.

    Args:
        normalize (bool): L2-normalise features first. Defaults to False.
        weighting (str): ``'softmax'`` or ``'official'``.
            Defaults to ``'softmax'``.
        loss_weight (float): Multiplier of the loss. Defaults to 1.
        init_cfg (dict, optional): Unused (no parameters).
    """

    def __init__(self,
                 normalize: bool = False,
                 weighting: str = 'softmax',
                 loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.normalize = normalize
        self.weighting = check_weighting('WRTripletLoss', weighting)
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
        neg, keep = anchors_for_weighting(same, self.weighting)
        d_p, d_n = weighted_distances(dist, same, self.weighting, neg=neg)
        return self.loss_weight * masked_mean(F.softplus(d_p - d_n), keep)
