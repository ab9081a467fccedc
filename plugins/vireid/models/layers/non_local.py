# Copyright (c) vireid contributors. All rights reserved.
"""The non-local block used by AGW."""
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from vireid.registry import MODELS


def _low_precision_is_safe(device_type: str) -> bool:
    """Whether autocast is on for ``device_type`` with bfloat16."""
    if not torch.is_autocast_enabled(device_type):
        return False
    return torch.get_autocast_dtype(device_type) == torch.bfloat16


@MODELS.register_module()
class NonLocalBlock2d(BaseModule):
    """Non-local block (Wang et al., CVPR 2018) as used in AGW.

    ``theta``, ``phi`` and ``g`` are 1x1 convolutions from ``C`` to
    ``C // reduction`` channels; the pairwise affinity of all ``N = H*W``
    positions is

    - ``'dot'`` (AGW, the default): ``theta^T phi / N``;
    - ``'embedded_gaussian'``: ``softmax(theta^T phi)`` over positions.

    The aggregated ``g`` features go through ``W`` (1x1 conv back to ``C``
    channels + BatchNorm) and are added to the input. The BatchNorm's weight
    and bias start at zero, so the block starts as the identity (the
    residual branch is switched off until training moves the BN weight).

    **AGW's width.** The official AGW code (``Non_local`` in ``model.py``)
    computes its inner width as ``reduc_ratio // reduc_ratio``, i.e. **one**
    channel, whatever ``C`` is (7 C + 3 parameters per block, 28.7 K for
    AGW's five blocks instead of 7.36 M at ``C // 2``). The released
    numbers were trained with it: ``inter_channels=1`` reproduces it and
    is what the AGW / CAJ configs select; ``reduction=2`` (the default
    here) is the non-local paper's C/2 width.

    **Precision.** Without autocast everything is float32. Under bfloat16
    autocast the affinity matmuls run in bfloat16 (its range is float32's,
    nothing overflows; only the softmax of ``'embedded_gaussian'`` is
    computed in float32). Under float16 autocast the affinity path stays
    float32, since its sums of products can exceed float16's range.

    Reference: Ye et al., "Deep Learning for Person Re-identification: A
    Survey and Outlook" (AGW), TPAMI 2021.

    Args:
        in_channels (int): Channels ``C`` of the input map.
        reduction (int): ``C // reduction`` inner channels. Defaults to 2.
        inter_channels (int, optional): Explicit inner channels; overrides
            ``reduction``. ``1`` is AGW's official-code width.
        mode (str): ``'dot'`` or ``'embedded_gaussian'``.
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 reduction: int = 2,
                 inter_channels: Optional[int] = None,
                 mode: str = 'dot',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if mode not in ('dot', 'embedded_gaussian'):
            raise ValueError(f"NonLocalBlock2d: mode must be 'dot' or "
                             f"'embedded_gaussian', got {mode!r}")
        if inter_channels is None:
            if reduction < 1 or in_channels // reduction < 1:
                raise ValueError(
                    f'NonLocalBlock2d: reduction={reduction} leaves no inner '
                    f'channel for in_channels={in_channels}')
            inter_channels = in_channels // reduction
        self.in_channels = in_channels
        self.inter_channels = inter_channels
        self.mode = mode
        self.theta = nn.Conv2d(in_channels, inter_channels, 1)
        self.phi = nn.Conv2d(in_channels, inter_channels, 1)
        self.g = nn.Conv2d(in_channels, inter_channels, 1)
        self.W = nn.Sequential(
            nn.Conv2d(inter_channels, in_channels, 1),
            nn.BatchNorm2d(in_channels))
        self.reset_residual()

    def reset_residual(self) -> None:
        """Zero the output BatchNorm so the block is the identity."""
        nn.init.zeros_(self.W[1].weight)
        nn.init.zeros_(self.W[1].bias)

    def init_weights(self) -> None:
        """Apply ``init_cfg`` and keep the zero-initialised output BN.

        A generic ``init_cfg`` on an enclosing module (e.g. ``Constant`` on
        every BatchNorm) must not switch the block on before training, so
        the residual is zeroed again unless this block's own ``init_cfg``
        is a ``Pretrained`` one.
        """
        super().init_weights()
        cfgs = self.init_cfg if isinstance(self.init_cfg,
                                           list) else [self.init_cfg]
        if not any(c and c.get('type') == 'Pretrained' for c in cfgs):
            self.reset_residual()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the block.

        Args:
            x (Tensor): ``B x C x H x W``.

        Returns:
            Tensor: ``B x C x H x W``, ``x`` plus the non-local response.
        """
        b, _, h, w = x.shape
        theta = self.theta(x).flatten(2).transpose(1, 2)  # B x N x C'
        phi = self.phi(x).flatten(2)  # B x C' x N
        g = self.g(x).flatten(2).transpose(1, 2)  # B x N x C'
        if _low_precision_is_safe(x.device.type):
            # bfloat16 autocast: float32's range, so the two matmuls run in
            # bfloat16 (float32 accumulation inside, like every convolution
            # of the network) and the N x N affinity moves half the bytes;
            # the softmax of 'embedded_gaussian' normalises in float32.
            affinity = torch.matmul(theta, phi)  # B x N x N
            if self.mode == 'dot':
                affinity = affinity / affinity.shape[-1]
            else:
                affinity = affinity.float().softmax(dim=-1).to(g.dtype)
            y = torch.matmul(affinity, g)  # B x N x C'
        else:
            # float32, and float16 autocast: the affinity sums C' products
            # per entry (and 'dot' N of them in the second matmul) and can
            # overflow float16's range, so it is computed in float32.
            with torch.autocast(device_type=x.device.type, enabled=False):
                affinity = torch.matmul(theta.float(), phi.float())
                if self.mode == 'dot':
                    affinity = affinity / affinity.shape[-1]
                else:
                    affinity = affinity.softmax(dim=-1)
                y = torch.matmul(affinity, g.float())  # B x N x C'
        y = y.to(g.dtype).transpose(1, 2).reshape(b, self.inter_channels, h,
                                                  w)
        return x + self.W(y)
