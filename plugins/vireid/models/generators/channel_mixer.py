# Copyright (c) vireid contributors. All rights reserved.
"""A learnable 1x1 channel mixer as the middle-image generator."""
from typing import List, Optional, Union

import torch
import torch.nn as nn

from vireid.registry import MODELS
from vireid.structures import VIReIDDataSample
from .base import BaseTransitionGenerator
from .parameter_free import GRAY_WEIGHTS

_ACTIVATIONS = ('sigmoid', 'clamp')


@MODELS.register_module()
class ChannelMixerTransition(BaseTransitionGenerator):
    """Middle image = ``act(W x + b)``: a 1x1 convolution trained jointly.

    Option (c) of the MTRL reconstruction (**[RECON]**, in the spirit of
    the X-modality / MMN generators): a per-pixel linear mix of R, G, B into
    ``out_channels`` channels (1 is replicated to 3), then an activation
    that keeps the result in ``[0, 1]``. It is trained with the re-id
    losses (gradients reach it through the backbone) and **discarded at
    test time**: its parameters (``generator.mix.*``) are the only train-only
    weights of an MTRL model with this generator.

    Initialisation makes the generator start as (a monotone map of) the
    luma: ``W = gain * GRAY_WEIGHTS`` and ``b = -gain / 2`` with the sigmoid
    (so the output is ``sigmoid(gain * (gray - 0.5))``), ``W =
    GRAY_WEIGHTS``, ``b = 0`` with ``'clamp'`` (exactly the luma).

    Args:
        out_channels (int): 1 (one channel replicated to 3) or 3. Defaults
            to 1.
        activation (str): ``'sigmoid'`` (default) or ``'clamp'`` (to
            ``[0, 1]``).
        gain (float): Sigmoid slope at initialisation. Defaults to 4.
        init_cfg (dict | list[dict], optional): mmengine init config; the
            default initialisation above is applied in ``__init__``.
    """

    def __init__(self,
                 out_channels: int = 1,
                 activation: str = 'sigmoid',
                 gain: float = 4.0,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if out_channels not in (1, 3):
            raise ValueError(f'ChannelMixerTransition: out_channels must be 1 '
                             f'or 3, got {out_channels!r}')
        if activation not in _ACTIVATIONS:
            raise ValueError(f'ChannelMixerTransition: activation must be one '
                             f'of {_ACTIVATIONS}, got {activation!r}')
        self.out_channels = out_channels
        self.activation = activation
        self.gain = float(gain)
        self.mix = nn.Conv2d(3, out_channels, 1, bias=True)
        with torch.no_grad():
            w = torch.tensor(GRAY_WEIGHTS).view(1, 3, 1, 1)
            w = w.expand(out_channels, 3, 1, 1).clone()
            if activation == 'sigmoid':
                self.mix.weight.copy_(w * self.gain)
                self.mix.bias.fill_(-self.gain / 2)
            else:
                self.mix.weight.copy_(w)
                self.mix.bias.zero_()

    def forward(self, images: torch.Tensor,
                data_samples: Optional[List[VIReIDDataSample]] = None
                ) -> torch.Tensor:
        """See :meth:`BaseTransitionGenerator.forward`."""
        self._check('ChannelMixerTransition', images)
        out = self.mix(images)
        out = torch.sigmoid(out) if self.activation == 'sigmoid' else \
            out.clamp(0.0, 1.0)
        if self.out_channels == 1:
            out = out.expand(-1, 3, -1, -1)
        return out.contiguous()

    def extra_repr(self) -> str:
        return (f'out_channels={self.out_channels}, activation='
                f'{self.activation!r}, gain={self.gain}')
