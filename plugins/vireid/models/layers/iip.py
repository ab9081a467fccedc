# Copyright (c) vireid contributors. All rights reserved.
"""IDKL's IN-guided information purifier (IIP)."""
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from vireid.registry import MODELS


class _Gate(nn.Module):
    """Per-pixel, per-channel sigmoid gate: conv1x1 -> ReLU -> conv1x1."""

    def __init__(self, channels: int, reduction: int) -> None:
        super().__init__()
        hidden = max(1, channels // reduction)
        self.reduce = nn.Conv2d(channels, hidden, 1, bias=False)
        self.relu = nn.ReLU(inplace=True)
        self.expand = nn.Conv2d(hidden, channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.expand(self.relu(self.reduce(x))))


@MODELS.register_module()
class IIPPurifier(BaseModule):
    """IN-guided information purifier of IDKL's specific stream.

    With ``F`` the specific stream's map:

    - ``F_IN = IN(F)``: ``InstanceNorm2d(C, affine=True,
      track_running_stats=True)`` (IDKL's settings);
    - two gates of the same structure and separate weights, with no pooling
      (each is a ``B x C x H x W`` mask): ``M_IN = gate_in(F_IN)``,
      ``M_F = gate_f(F)``, ``gate = sigmoid(conv1x1(C -> C/r) -> ReLU ->
      conv1x1(C/r -> C))``, convolutions without bias;
    - ``F_IN^p = M_IN * F_IN``, ``F^p = M_F * F``;
    - ``out = M_IN * F^p + M_F * F_IN^p`` (``= M_IN M_F (F + F_IN)``).

    The intermediate maps are returned for
    :class:`~vireid.models.losses.IIPLoss`.

    Args:
        in_channels (int): ``C`` (2048 for a ResNet-50).
        reduction (int): Gate bottleneck ratio ``r``. Defaults to 16.
        init_cfg (dict, optional): mmengine init config (PyTorch defaults
            when ``None``, as in the official code).
    """

    def __init__(self,
                 in_channels: int,
                 reduction: int = 16,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels < 1 or reduction < 1:
            raise ValueError(f'IIPPurifier: in_channels and reduction must be '
                             f'>= 1, got {in_channels}, {reduction}')
        self.in_channels = in_channels
        self.norm = nn.InstanceNorm2d(
            in_channels, affine=True, track_running_stats=True)
        self.gate_in = _Gate(in_channels, reduction)
        self.gate_f = _Gate(in_channels, reduction)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Purify a map.

        Args:
            x (Tensor): ``F``, ``B x C x H x W``.

        Returns:
            dict[str, Tensor]: ``out`` (the purified map), ``f`` (``F``),
            ``f_p`` (``F^p``), ``f_in`` (``F_IN``), ``f_in_p``
            (``F_IN^p``), all ``B x C x H x W``.
        """
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'IIPPurifier: expected B x {self.in_channels} '
                             f'x H x W, got {tuple(x.shape)}')
        f_in = self.norm(x)
        m_in = self.gate_in(f_in)
        m_f = self.gate_f(x)
        f_in_p = m_in * f_in
        f_p = m_f * x
        out = m_in * f_p + m_f * f_in_p
        return dict(out=out, f=x, f_p=f_p, f_in=f_in, f_in_p=f_in_p)
