# Copyright (c) vireid contributors. All rights reserved.
"""IDKL backbone: a shallow shared trunk feeding two deep ResNet streams."""
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule

from vireid.registry import MODELS
from ..utils import (CheckpointMismatchError, load_local_state_dict,
                     load_state_dict_checked)
from .two_stream_resnet import (_ARCH, TwoStreamResNet, _ResNetPart,
                                check_resnet_args,
                                init_weights_strict_pretrained)

_PARTS = ('trunk.', 'shared.', 'specific.')


@MODELS.register_module()
class IDKLResNet(BaseModule):
    """Shallow-shared / two-deep-stream ResNet of IDKL (CVPR 2024).

    ``trunk`` (stem, layer1, layer2 with torchvision's names) is used by
    both modalities and both streams. Its output goes through two deep
    stacks of layer3 + layer4 with their own weights: ``shared`` (the
    modality-shared stream, the only one used at test time) and
    ``specific`` (the "modality-specific" stream of the code: one branch
    for both modalities that becomes modality-aware through its losses).

    Only the parts the official forward uses are built: the official code
    instantiates three whole ResNet-50s (about 75 M parameters for SYSU,
    about 49.5 M of them trained); here the backbone holds one trunk and
    two deep stacks (1.4 M + 2 x 22.1 M for a ResNet-50).

    ``forward(x, specific=True)`` returns ``(x_sh, x_sp)``, the layer4
    maps of both streams; ``specific=False`` (inference) returns
    ``(x_sh,)`` and does not run the specific stream.

    ImageNet initialisation: ``init_cfg=dict(type='Pretrained',
    checkpoint='<local torchvision resnet .pth>')`` copies ``conv1``,
    ``bn1``, ``layer1``, ``layer2`` into ``trunk`` and ``layer3``,
    ``layer4`` into **both** deep streams (the official code loads the same
    ImageNet file into each of its three copies); ``fc`` is dropped and any
    other mismatch raises :class:`CheckpointMismatchError`. A checkpoint in
    this module's own layout (``trunk.*``, ``shared.*``, ``specific.*``) is
    loaded as it is.

    Args:
        depth (int): 18, 34, 50, 101 or 152. Defaults to 50.
        last_stride (int): Stride of layer4 (IDKL: 1, ``drop_last_stride``).
        with_specific (bool): Build the specific stream. Defaults to True.
        non_local (bool): Insert AGW non-local blocks into *both* deep
            streams and the trunk (for mixing AGW parts in; IDKL: False).
        non_local_cfg (dict, optional): As in
            :class:`~vireid.models.backbones.TwoStreamResNet`.
        base_width (int): Stem channels (64 standard; smaller for tests).
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    def __init__(self,
                 depth: int = 50,
                 last_stride: int = 1,
                 with_specific: bool = True,
                 non_local: bool = False,
                 non_local_cfg: Optional[dict] = None,
                 base_width: int = 64,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        check_resnet_args('IDKLResNet', depth, last_stride, base_width)
        block, layers = _ARCH[depth]
        self.depth = depth
        self.base_width = base_width
        self.with_specific = with_specific
        nl_positions, nl_kwargs = ({}, {})
        if non_local:
            nl_positions, nl_kwargs = TwoStreamResNet._parse_non_local(
                non_local_cfg, layers)

        def part(stages):
            return _ResNetPart(stages, block, layers, base_width, last_stride,
                               nl_positions, nl_kwargs)

        self.trunk = part((0, 1, 2))
        self.shared = part((3, 4))
        self.specific = part((3, 4)) if with_specific else None
        self.out_channels = base_width * 8 * block.expansion
        TwoStreamResNet._default_init(self)

    def forward(self, x: torch.Tensor,
                specific: bool = True) -> Tuple[torch.Tensor, ...]:
        """Run the trunk and the requested streams.

        Args:
            x (Tensor): Images ``B x 3 x H x W``.
            specific (bool): Also run the specific stream (training).

        Returns:
            tuple[Tensor]: ``(x_sh, x_sp)`` or ``(x_sh,)``; each
            ``B x C x H/16 x W/16`` with last stride 1.
        """
        x2 = self.trunk(x)[-1]
        x_sh = self.shared(x2)[-1]
        if not specific:
            return (x_sh, )
        if self.specific is None:
            raise ValueError('IDKLResNet(with_specific=False) cannot run the '
                             'specific stream')
        return (x_sh, self.specific(x2)[-1])

    # ------------------------------------------------------------------ #
    # weights
    # ------------------------------------------------------------------ #
    def init_weights(self) -> None:
        """Initialise; a ``Pretrained`` entry is loaded strictly."""
        init_weights_strict_pretrained(self)

    def map_torchvision_keys(self, state_dict: Dict[str, torch.Tensor]
                             ) -> Dict[str, torch.Tensor]:
        """Map torchvision ResNet keys into ``trunk`` / both deep streams.

        Args:
            state_dict (dict[str, Tensor]): torchvision keys.

        Returns:
            dict[str, Tensor]: This module's keys; unknown keys are kept
            unchanged so that the strict check reports them.
        """
        mapped = {}
        for k, v in state_dict.items():
            head = k.split('.', 1)[0]
            if head == 'fc':
                continue
            if head in ('conv1', 'bn1', 'layer1', 'layer2'):
                mapped[f'trunk.{k}'] = v
            elif head in ('layer3', 'layer4'):
                mapped[f'shared.{k}'] = v
                if self.specific is not None:
                    mapped[f'specific.{k}'] = v
            else:
                mapped[k] = v
        return mapped

    def load_pretrained(self, checkpoint: str,
                        prefix: Optional[str] = None) -> None:
        """Load a local torchvision-layout (or own-layout) checkpoint.

        Args:
            checkpoint (str): Local file path (never downloaded).
            prefix (str, optional): Take only keys with this prefix.
        """
        state = load_local_state_dict(
            checkpoint, prefix=prefix, what='IDKLResNet checkpoint')
        own = any(k.startswith(_PARTS) for k in state)
        if not own:
            state = self.map_torchvision_keys(state)
        try:
            load_state_dict_checked(self, state, checkpoint,
                                    lambda k: '.nl_layer' in k)
        except CheckpointMismatchError as e:
            hint = ('' if own else
                    f'\n  (read as a torchvision ResNet state dict; this '
                    f'module is depth={self.depth}, base_width='
                    f'{self.base_width})')
            raise CheckpointMismatchError(str(e) + hint) from None
        print_log(f'IDKLResNet: loaded {checkpoint}', logger='current')
