# Copyright (c) vireid contributors. All rights reserved.
"""Group conventions and checks shared by the MTRL losses."""
from typing import Tuple

import torch

from .utils import to_device

#: Group ids of a ``[V; M; I]`` batch: visible, infrared, middle
#: (modality-transition) images. 0 and 1 equal the modality ids.
VISIBLE = 0
INFRARED = 1
TRANSITION = 2
GROUP_NAMES = {VISIBLE: 'V', INFRARED: 'I', TRANSITION: 'M'}


def check_grouped_inputs(name: str, feats: torch.Tensor, labels: torch.Tensor,
                         groups: torch.Tensor
                         ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Validate ``feats`` (N x D), ``labels`` (N) and ``groups`` (N).

    ``labels`` and ``groups`` stay where they are. Passed on the host (as
    :class:`~vireid.models.MTRL` does), every decision the MTRL losses
    take from them (which rows, which identities, the checks) reads host
    values, and only index tensors are copied to ``feats``' device
    (``non_blocking``): the losses never wait for the device.

    Args:
        name (str): Loss name for error messages.
        feats (Tensor): Features.
        labels (Tensor): Integer identity labels.
        groups (Tensor): Integer group ids (0 V, 1 I, 2 M).

    Returns:
        tuple[Tensor, Tensor, Tensor]: ``feats`` (float32) and ``labels``,
        ``groups`` as flat LongTensors on their own device.
    """
    if feats.dim() != 2:
        raise ValueError(f'{name}: feats must be N x D, got '
                         f'{tuple(feats.shape)}')
    n = feats.shape[0]
    labels = torch.as_tensor(labels).reshape(-1)
    groups = torch.as_tensor(groups).reshape(-1)
    if labels.numel() != n or groups.numel() != n:
        raise ValueError(f'{name}: {n} features but {labels.numel()} labels '
                         f'and {groups.numel()} groups')
    if labels.dtype.is_floating_point or groups.dtype.is_floating_point:
        raise TypeError(f'{name}: labels and groups must be integer tensors')
    if n and (int(groups.min()) < 0 or int(groups.max()) > 2):
        raise ValueError(f'{name}: groups must be 0 (visible), 1 (infrared) '
                         f'or 2 (middle), got {sorted(set(groups.tolist()))}')
    return feats.float(), labels.long(), groups.long()


def group_centres(x: torch.Tensor, labels: torch.Tensor,
                  groups: torch.Tensor, num_groups: int = 3):
    """Mean feature of every (identity, group) cell, vectorised.

    Args:
        x (Tensor): ``N x D`` float features.
        labels (Tensor): ``[N]`` labels (host or ``x``'s device).
        groups (Tensor): ``[N]`` group ids in ``0..num_groups-1`` (same
            device as ``labels``).
        num_groups (int): Number of groups.

    Returns:
        tuple: ``uniq`` (``[U]`` labels) and ``present`` (``U x G`` bool),
        both on ``labels``' device, and ``centres`` (``U x G x D`` on ``x``'s
        device; zero for empty cells).
    """
    uniq, inv = torch.unique(labels, return_inverse=True)
    num_ids, dim = uniq.numel(), x.shape[1]
    slot_here = inv * num_groups + groups
    present = torch.bincount(slot_here, minlength=num_ids *
                             num_groups).view(num_ids, num_groups) > 0
    slot = to_device(slot_here, x.device)
    sums = x.new_zeros(num_ids * num_groups, dim).index_add_(0, slot, x)
    counts = x.new_zeros(num_ids * num_groups).index_add_(
        0, slot, torch.ones_like(slot, dtype=x.dtype))
    sums = sums.view(num_ids, num_groups, dim)
    counts = counts.view(num_ids, num_groups)
    centres = sums / counts.clamp(min=1.0).unsqueeze(-1)
    return uniq, centres, present
