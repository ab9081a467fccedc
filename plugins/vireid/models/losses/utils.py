# Copyright (c) vireid contributors. All rights reserved.
"""Helpers shared by the metric-learning losses."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F


def pairwise_euclidean(feats: torch.Tensor, eps: float = 1e-12
                       ) -> torch.Tensor:
    """Euclidean distances between all rows, computed in float32.

    Uses ``||a||^2 + ||b||^2 - 2ab`` clamped at ``eps`` before the square
    root (the diagonal is ~``sqrt(eps)`` and has a zero gradient).

    Args:
        feats (Tensor): ``N x D``.
        eps (float): Clamp before ``sqrt``.

    Returns:
        Tensor: ``N x N`` float32 distances.
    """
    x = feats.float()
    sq = x.pow(2).sum(dim=1, keepdim=True)
    dist = sq + sq.t() - 2.0 * (x @ x.t())
    return dist.clamp(min=eps).sqrt()


def check_metric_inputs(name: str, feats: torch.Tensor,
                        labels: torch.Tensor) -> Tuple[torch.Tensor,
                                                       torch.Tensor]:
    """Validate ``feats`` (N x D) / ``labels`` (N) of a metric loss.

    Args:
        name (str): Loss name for error messages.
        feats (Tensor): Features.
        labels (Tensor): Integer labels.

    Returns:
        tuple[Tensor, Tensor]: ``feats`` and ``labels`` flattened to ``[N]``.
    """
    if feats.dim() != 2:
        raise ValueError(f'{name}: feats must be N x D, got '
                         f'{tuple(feats.shape)}')
    labels = labels.reshape(-1)
    if labels.numel() != feats.shape[0]:
        raise ValueError(f'{name}: {feats.shape[0]} features but '
                         f'{labels.numel()} labels')
    return feats, labels.to(feats.device, non_blocking=True)


def identity_slots(labels: torch.Tensor
                   ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Number the identities like ``torch.unique(return_inverse=True)``
    without its host-device synchronisation.

    Args:
        labels (Tensor): ``[N]`` integer labels.

    Returns:
        tuple[Tensor, Tensor]: ``inv`` (``[N]``, the rank of each label
        among the distinct labels) and ``used`` (``[N]`` bool, the
        slots ``0..U-1`` that hold an identity).
    """
    ordered, order = labels.sort(stable=True)
    first = torch.ones_like(ordered, dtype=torch.bool)
    first[1:] = ordered[1:] != ordered[:-1]
    rank = first.cumsum(0) - 1
    inv = torch.empty_like(rank).scatter_(0, order, rank)
    used = torch.arange(labels.numel(), device=labels.device) < \
        first.sum()
    return inv, used


def to_device(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """``t`` on ``device`` (an asynchronous copy from the host)."""
    return t.to(device, non_blocking=True)


def rows_where(mask: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Indices of the True entries of ``mask`` (computed where ``mask``
    lives, e.g. the host), on ``device``. Indexing with them selects the
    same rows in the same order as indexing with ``mask``."""
    return to_device(torch.nonzero(mask).flatten(), device)


def masked_mean(values: torch.Tensor,
                keep: Optional[torch.Tensor]) -> torch.Tensor:
    """Mean of the kept entries, without a host-device synchronisation.

    ``values[keep].mean()`` would need the number of kept entries on the
    host; this sums ``where(keep, values, 0)`` and divides by the count on
    the device instead. The dropped entries get an exactly zero gradient
    (they must be finite or ``-inf`` *through functions whose derivative
    there is 0*, e.g. ``relu`` / ``softplus`` of ``-inf``, never NaN).

    Args:
        values (Tensor): ``[N]`` per-anchor values.
        keep (Tensor, optional): ``[N]`` bool; None keeps every entry.

    Returns:
        Tensor: The mean of the kept values; 0 when none is kept.
    """
    if keep is None:
        return values.mean()
    kept = torch.where(keep, values, values.new_zeros(()))
    return kept.sum() / keep.sum().clamp(min=1).to(values.dtype)


def maybe_normalize(feats: torch.Tensor, normalize: bool) -> torch.Tensor:
    """L2-normalise rows when ``normalize`` is set.

    Args:
        feats (Tensor): ``N x D``.
        normalize (bool): Whether to normalise.

    Returns:
        Tensor: ``feats`` or its row-normalised copy (float32).
    """
    feats = feats.float()
    return F.normalize(feats, dim=1) if normalize else feats
