# Copyright (c) vireid contributors. All rights reserved.
"""AGW-style two-stream ResNet: modality-specific shallow part, shared rest."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.model.weight_init import PretrainedInit, update_init_info
from torchvision.models.resnet import BasicBlock, Bottleneck, conv1x1

from vireid.registry import MODELS
from ..layers import NonLocalBlock2d
from ..utils import (CheckpointMismatchError, load_local_state_dict,
                     load_state_dict_checked)

_ARCH = {
    18: (BasicBlock, (2, 2, 2, 2)),
    34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)),
    101: (Bottleneck, (3, 4, 23, 3)),
    152: (Bottleneck, (3, 8, 36, 3)),
}

#: Stage ids used by ``share_from``: 0 is the stem (conv1, bn1, relu,
#: maxpool), 1..4 are layer1..layer4.
_NUM_STAGES = 5


def _is_pretrained_cfg(cfg: dict) -> bool:
    return isinstance(cfg, dict) and (cfg.get('type') == 'Pretrained'
                                      or cfg.get('type') is PretrainedInit)


def check_resnet_args(name: str, depth: int, last_stride: int,
                      base_width: int) -> None:
    """Validate the ResNet layout arguments shared by the backbones.

    Args:
        name (str): Backbone name for the error message.
        depth (int): A key of ``_ARCH``.
        last_stride (int): 1 or 2.
        base_width (int): Channels of the stem, >= 1.
    """
    if depth not in _ARCH:
        raise ValueError(f'{name}: depth must be one of {sorted(_ARCH)}, got '
                         f'{depth}')
    if last_stride not in (1, 2):
        raise ValueError(f'{name}: last_stride must be 1 or 2, got '
                         f'{last_stride}')
    if base_width < 1:
        raise ValueError(f'{name}: base_width must be >= 1, got '
                         f'{base_width}')


def init_weights_strict_pretrained(module: BaseModule) -> None:
    """``init_weights`` of a backbone whose ``Pretrained`` entry loads
    strictly through its own ``load_pretrained(path, prefix=None)``.

    The other ``init_cfg`` entries go through mmengine as usual; the
    ``Pretrained`` one is loaded last (weights-only, key-mapped, strict)
    instead of by mmengine's lenient ``load_checkpoint``.

    Args:
        module (BaseModule): A direct ``BaseModule`` subclass with
            ``load_pretrained``.
    """
    name = type(module).__name__
    cfgs = module.init_cfg
    cfgs = [cfgs] if isinstance(cfgs, dict) else list(cfgs or [])
    pretrained = [c for c in cfgs if _is_pretrained_cfg(c)]
    if module._is_init or not pretrained:
        BaseModule.init_weights(module)
        return
    others = [c for c in cfgs if not _is_pretrained_cfg(c)]
    saved = module.init_cfg
    module.init_cfg = others or None
    try:
        BaseModule.init_weights(module)
    finally:
        module.init_cfg = saved
    cfg = pretrained[-1]
    if 'checkpoint' not in cfg:
        raise ValueError(f'{name}: init_cfg {cfg} of type '
                         f"'Pretrained' needs a 'checkpoint' path")
    module.load_pretrained(cfg['checkpoint'], prefix=cfg.get('prefix'))
    if hasattr(module, '_params_init_info'):
        update_init_info(
            module, init_info=f'Loaded from {cfg["checkpoint"]} by '
            f'{name}.load_pretrained')


class _ResNetPart(nn.Module):
    """A contiguous run of ResNet stages with torchvision's attribute names.

    Stage 0 creates ``conv1``, ``bn1``, ``relu``, ``maxpool``; stage ``i``
    (1..4) creates ``layer{i}`` and, when non-local blocks are requested,
    ``nl_layer{i}`` (a ModuleList) applied after the blocks listed in
    ``nl_positions[i]``. Keys therefore match a torchvision ResNet state
    dict for the stages the part holds.
    """

    def __init__(self, stages: Sequence[int], block: type,
                 layers: Sequence[int], base_width: int, last_stride: int,
                 nl_positions: Dict[int, Tuple[int, ...]],
                 nl_kwargs: dict) -> None:
        super().__init__()
        self.stages = tuple(stages)
        self.nl_positions = {i: tuple(p) for i, p in nl_positions.items()}
        for s in self.stages:
            if s == 0:
                self.conv1 = nn.Conv2d(
                    3, base_width, 7, stride=2, padding=3, bias=False)
                self.bn1 = nn.BatchNorm2d(base_width)
                self.relu = nn.ReLU(inplace=True)
                self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
                continue
            planes = base_width * 2**(s - 1)
            inplanes = (base_width if s == 1 else base_width * 2**(s - 2) *
                        block.expansion)
            stride = 1 if s == 1 else (last_stride if s == 4 else 2)
            setattr(self, f'layer{s}',
                    self._make_layer(block, inplanes, planes, layers[s - 1],
                                     stride))
            positions = self.nl_positions.get(s, ())
            if positions:
                setattr(
                    self, f'nl_layer{s}',
                    nn.ModuleList(
                        NonLocalBlock2d(planes * block.expansion, **nl_kwargs)
                        for _ in positions))

    @staticmethod
    def _make_layer(block: type, inplanes: int, planes: int, num_blocks: int,
                    stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion))
        blocks = [block(inplanes, planes, stride, downsample)]
        for _ in range(1, num_blocks):
            blocks.append(block(planes * block.expansion, planes))
        return nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        """Run the stages.

        Args:
            x (Tensor): Input of the first stage.

        Returns:
            list[Tensor]: The output of every stage of the part, in order.
        """
        outs = []
        for s in self.stages:
            if s == 0:
                x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            else:
                layer = getattr(self, f'layer{s}')
                positions = self.nl_positions.get(s, ())
                nls = getattr(self, f'nl_layer{s}', None)
                for i, blk in enumerate(layer):
                    x = blk(x)
                    if i in positions:
                        x = nls[positions.index(i)](x)
            outs.append(x)
        return outs


@MODELS.register_module()
class TwoStreamResNet(BaseModule):
    """ResNet whose shallow stages are copied per modality (AGW / CAJ).

    Stages are numbered 0 (stem: conv1, bn1, relu, maxpool) and 1..4
    (layer1..layer4). Stages ``< share_from`` exist once per modality;
    stages ``>= share_from`` are shared. AGW uses ``share_from=1``
    (modality-specific stem, shared layer1-4); ``share_from=0`` gives an
    ordinary one-stream ResNet.

    Each sample is routed through the specific part of its own modality
    (any order or mix of modalities in the batch), the results are put back
    in the input order and go through the shared stages together.

    Built from torchvision's ``BasicBlock`` / ``Bottleneck`` with
    torchvision's attribute names, so a torchvision ResNet state dict can be
    loaded with ``init_cfg=dict(type='Pretrained', checkpoint='<local
    .pth>')``: the stem keys ``conv1.*``, ``bn1.*`` (and ``layer{i}.*`` for
    every modality-specific stage) are copied into **each** modality's copy,
    ``fc.*`` is dropped, and the non-local blocks keep their identity
    initialisation. Any other missing or unexpected key or shape mismatch
    raises :class:`~vireid.models.utils.CheckpointMismatchError`. A
    checkpoint already in this module's own layout (keys ``specific.*`` /
    ``shared.*``) is loaded as it is. The optional ``prefix`` of the
    ``Pretrained`` config (e.g. ``'backbone.'``) selects a sub-dict first.

    Args:
        depth (int): 18, 34, 50, 101 or 152.
        num_modalities (int): Number of modality-specific copies.
            Defaults to 2 (0 visible, 1 infrared).
        share_from (int): First shared stage id (0..5). Defaults to 1.
        last_stride (int): Stride of layer4; 1 for re-identification.
        out_indices (Sequence[int]): Which of layer1..layer4 (0..3; negative
            values count from the end) to return. Defaults to ``(3,)``.
        non_local (bool): Insert AGW non-local blocks. Defaults to False.
        non_local_cfg (dict, optional): ``num_blocks`` (4 ints: how many
            blocks in layer1..layer4, each placed after the *last* residual
            blocks of the layer; AGW: ``(0, 2, 3, 0)``, i.e. after blocks
            2, 3 of layer2 and 3, 4, 5 of layer3 of a ResNet-50) or
            ``positions`` (4 tuples of block indices); the remaining keys
            (``reduction``, ``inter_channels``, ``mode``) go to
            :class:`~vireid.models.layers.NonLocalBlock2d`; AGW's official
            code uses ``inter_channels=1`` (selected by the AGW configs).
        base_width (int): Stem channels (64 for the standard ResNet; the
            stages have ``base_width * (1, 2, 4, 8) * expansion``
            channels). Reduce it for tiny test models.
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    def __init__(self,
                 depth: int = 50,
                 num_modalities: int = 2,
                 share_from: int = 1,
                 last_stride: int = 1,
                 out_indices: Sequence[int] = (3, ),
                 non_local: bool = False,
                 non_local_cfg: Optional[dict] = None,
                 base_width: int = 64,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        check_resnet_args('TwoStreamResNet', depth, last_stride, base_width)
        if not 0 <= share_from <= _NUM_STAGES:
            raise ValueError(f'TwoStreamResNet: share_from must be in '
                             f'0..{_NUM_STAGES} (0 stem, 1..4 layer1..4, 5 '
                             f'nothing shared), got {share_from}')
        if num_modalities < 1:
            raise ValueError(f'TwoStreamResNet: num_modalities must be >= 1, '
                             f'got {num_modalities}')
        block, layers = _ARCH[depth]
        self.depth = depth
        self.num_modalities = num_modalities
        self.share_from = share_from
        self.last_stride = last_stride
        self.base_width = base_width
        self.out_indices = self._check_out_indices(out_indices)
        self.non_local = non_local
        self.stage_channels = tuple(base_width * 2**i * block.expansion
                                    for i in range(4))
        nl_positions, nl_kwargs = ({}, {})
        if non_local:
            nl_positions, nl_kwargs = self._parse_non_local(
                non_local_cfg, layers)

        def part(stages):
            return _ResNetPart(stages, block, layers, base_width,
                               last_stride, nl_positions, nl_kwargs)

        specific_stages = list(range(0, share_from))
        shared_stages = list(range(share_from, _NUM_STAGES))
        self.specific = nn.ModuleList(
            part(specific_stages)
            for _ in range(num_modalities)) if specific_stages else None
        self.shared = part(shared_stages) if shared_stages else None
        self._default_init()

    @property
    def out_channels(self) -> Tuple[int, ...]:
        """tuple[int]: Channels of each returned map (``out_indices``)."""
        return tuple(self.stage_channels[i] for i in self.out_indices)

    @staticmethod
    def _check_out_indices(out_indices: Sequence[int]) -> Tuple[int, ...]:
        if isinstance(out_indices, int):
            out_indices = (out_indices, )
        norm = []
        for i in out_indices:
            if not isinstance(i, int) or not -4 <= i <= 3:
                raise ValueError(f'TwoStreamResNet: out_indices must be ints '
                                 f'in -4..3 (0 = layer1 .. 3 = layer4), got '
                                 f'{tuple(out_indices)}')
            norm.append(i % 4)
        if not norm or len(set(norm)) != len(norm):
            raise ValueError(f'TwoStreamResNet: out_indices must be a '
                             f'non-empty set of distinct stages, got '
                             f'{tuple(out_indices)}')
        return tuple(sorted(norm))

    @staticmethod
    def _parse_non_local(cfg: Optional[dict], layers: Sequence[int]
                         ) -> Tuple[Dict[int, Tuple[int, ...]], dict]:
        cfg = dict(cfg or {})
        num_blocks = cfg.pop('num_blocks', (0, 2, 3, 0))
        positions = cfg.pop('positions', None)
        if positions is None:
            if len(num_blocks) != 4:
                raise ValueError(f'TwoStreamResNet: non_local_cfg.num_blocks '
                                 f'needs 4 ints (layer1..4), got {num_blocks}')
            positions = []
            for i, (n, total) in enumerate(zip(num_blocks, layers)):
                if not 0 <= n <= total:
                    fit = tuple(min(k, t) for k, t in zip(num_blocks, layers))
                    raise ValueError(
                        f'TwoStreamResNet: non_local_cfg.num_blocks[{i}]={n} '
                        f'but layer{i + 1} has only {total} residual blocks; '
                        f'use e.g. num_blocks={fit}')
                positions.append(tuple(range(total - n, total)))
        if len(positions) != 4:
            raise ValueError(f'TwoStreamResNet: non_local_cfg.positions needs '
                             f'4 tuples (layer1..4), got {positions}')
        out = {}
        for i, (pos, total) in enumerate(zip(positions, layers)):
            pos = tuple(sorted(set(int(p) for p in pos)))
            if any(not 0 <= p < total for p in pos):
                raise ValueError(f'TwoStreamResNet: non_local_cfg.positions'
                                 f'[{i}]={pos} out of range for layer{i + 1} '
                                 f'with {total} residual blocks')
            if pos:
                out[i + 1] = pos
        unknown = set(cfg) - {'reduction', 'inter_channels', 'mode'}
        if unknown:
            raise ValueError(f'TwoStreamResNet: unknown non_local_cfg keys '
                             f'{sorted(unknown)}')
        return out, cfg

    def _default_init(self) -> None:
        """torchvision's ResNet initialisation (kaiming fan_out, BN 1/0).

        Non-local blocks keep PyTorch's default convolution init and their
        zero output BatchNorm.
        """
        in_nl = {
            id(m)
            for nl in self.modules() if isinstance(nl, NonLocalBlock2d)
            for m in nl.modules()
        }
        for m in self.modules():
            if id(m) in in_nl:
                continue
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(
                    m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    # ------------------------------------------------------------------ #
    # forward
    # ------------------------------------------------------------------ #
    def _check_modality(self, modality, batch_size: int,
                        device: torch.device) -> Optional[torch.Tensor]:
        """Validate ``modality`` and return it as a **host** LongTensor.

        The routing needs the group sizes on the host. A host tensor (what
        :class:`~vireid.models.reid.VIReIDModel` passes), an int or a
        sequence of ints is checked and routed without any host-device
        synchronisation; a tensor on an accelerator is copied to the host
        once (one sync per call), so pass host tensors in training loops.

        Args:
            modality (Tensor | int | Sequence[int] | None): See
                :meth:`forward`.
            batch_size (int): Number of images.
            device (torch.device): Device of the images (for messages only).

        Returns:
            Tensor | None: CPU LongTensor ``[B]``, or None when every sample
            goes through the first (or only) specific part.
        """
        if self.specific is None:
            return None
        if modality is None:
            if self.num_modalities == 1:
                return None
            raise ValueError(
                f'TwoStreamResNet(share_from={self.share_from}, '
                f'num_modalities={self.num_modalities}) needs `modality` (a '
                f'LongTensor [B] of 0 visible / 1 infrared) to route each '
                f'sample to its modality-specific stem; got None (in a '
                f'VIReIDModel it comes from data_samples[i].metainfo'
                f"['modality'])")
        if isinstance(modality, int):
            modality = torch.full((batch_size, ), modality, dtype=torch.long)
        modality = torch.as_tensor(modality)
        if modality.dtype.is_floating_point or modality.dtype == torch.bool:
            raise TypeError(f'TwoStreamResNet: modality must be an integer '
                            f'tensor, got dtype {modality.dtype}')
        if modality.shape != (batch_size, ):
            raise ValueError(f'TwoStreamResNet: modality must have shape '
                             f'[{batch_size}] (one per sample), got '
                             f'{tuple(modality.shape)}')
        # a no-op for host tensors; one device->host copy otherwise
        modality = modality.cpu().long()
        if batch_size and (int(modality.min()) < 0 or
                           int(modality.max()) >= self.num_modalities):
            raise ValueError(
                f'TwoStreamResNet: modality values must be in '
                f'0..{self.num_modalities - 1}, got '
                f'{sorted(set(modality.tolist()))}')
        return modality

    @staticmethod
    def _runs(modality: torch.Tensor) -> Optional[List[Tuple[int, int, int]]]:
        """Contiguous ``(modality, start, end)`` runs of a host tensor, or
        None when a modality occurs in more than one run."""
        values = modality.tolist()
        runs: List[Tuple[int, int, int]] = []
        for i, m in enumerate(values):
            if runs and runs[-1][0] == m:
                runs[-1] = (m, runs[-1][1], i + 1)
            else:
                runs.append((m, i, i + 1))
        if len({m for m, _, _ in runs}) != len(runs):
            return None
        return runs

    def _forward_specific(self, x: torch.Tensor,
                          modality: Optional[torch.Tensor]
                          ) -> List[torch.Tensor]:
        """Route samples through their modality's copy, keep input order.

        Everything that decides the routing (group sizes, index lists) is
        computed on the host from the host ``modality`` tensor, so no step
        waits for the device:

        - each modality in one contiguous run of the batch (e.g. all
          visible images first): the runs are slices of ``x`` (views, no
          copy) and the outputs are concatenated in input order;
        - interleaved modalities: host-built index lists are copied to the
          device (non-blocking), the groups are gathered with
          ``index_select`` and scattered back with the inverse permutation.

        Both stems cannot simply run on the whole batch and be blended with
        a mask: besides doubling the stem cost, a training-mode BatchNorm
        would then normalise each stem over both modalities, which changes
        the result.
        """
        if modality is None:
            return self.specific[0](x)
        runs = self._runs(modality)
        if runs is not None and len(runs) <= 1:  # one modality or empty
            return self.specific[runs[0][0] if runs else 0](x)
        if runs is not None:
            per_run = [self.specific[m](x[start:end])
                       for m, start, end in runs]
            return [
                torch.cat([outs[s] for outs in per_run])
                for s in range(len(per_run[0]))
            ]
        groups = [(m, (modality == m).nonzero(as_tuple=True)[0])
                  for m in range(self.num_modalities)]
        groups = [(m, idx) for m, idx in groups if idx.numel()]
        order = torch.cat([idx for _, idx in groups])
        inverse = torch.empty_like(order)
        inverse[order] = torch.arange(order.numel())
        per_group = [
            self.specific[m](x.index_select(
                0, idx.to(x.device, non_blocking=True)))
            for m, idx in groups
        ]
        inverse = inverse.to(x.device, non_blocking=True)
        return [
            torch.cat([outs[s] for outs in per_group]).index_select(0, inverse)
            for s in range(len(per_group[0]))
        ]

    def forward(self,
                x: torch.Tensor,
                modality: Optional[Union[torch.Tensor, int]] = None
                ) -> Tuple[torch.Tensor, ...]:
        """Compute the requested stage maps.

        Args:
            x (Tensor): Images, ``B x 3 x H x W``.
            modality (Tensor | int, optional): Integer tensor ``[B]`` with
                each sample's modality (0 visible, 1 infrared), or one int
                for the whole batch. Required when stages are
                modality-specific and ``num_modalities > 1``. Give it on
                the host (CPU): a device tensor costs one host-device sync
                per call (see :meth:`_check_modality`).

        Returns:
            tuple[Tensor]: One map per ``out_indices`` entry (stage order),
            e.g. ``B x 2048 x H/16 x W/16`` for layer4 of a ResNet-50 with
            last stride 1.
        """
        modality = self._check_modality(modality, x.shape[0], x.device)
        stage_outs: List[torch.Tensor] = []
        if self.specific is not None:
            stage_outs.extend(self._forward_specific(x, modality))
            x = stage_outs[-1]
        if self.shared is not None:
            stage_outs.extend(self.shared(x))
        # stage_outs[0] is the stem, stage_outs[i] is layer{i}
        return tuple(stage_outs[i + 1] for i in self.out_indices)

    # ------------------------------------------------------------------ #
    # weights
    # ------------------------------------------------------------------ #
    def init_weights(self) -> None:
        """Initialise through mmengine; ``Pretrained`` loads strictly.

        Non-pretrained entries of ``init_cfg`` go through mmengine as usual;
        a ``Pretrained`` entry is loaded last by :meth:`load_pretrained`
        (weights-only, key-mapped, strict) instead of mmengine's lenient
        ``load_checkpoint``.
        """
        init_weights_strict_pretrained(self)

    def map_torchvision_keys(self, state_dict: Dict[str, torch.Tensor]
                             ) -> Dict[str, torch.Tensor]:
        """Map a torchvision ResNet state dict into this module's layout.

        Args:
            state_dict (dict[str, Tensor]): torchvision keys (``conv1.*``,
                ``bn1.*``, ``layer{i}.*``, ``fc.*``).

        Returns:
            dict[str, Tensor]: Keys of this module. ``fc.*`` is dropped;
            stem / layer keys of modality-specific stages are duplicated
            into every modality's copy (``specific.{m}.``); the others get
            the ``shared.`` prefix. Unknown keys are kept unchanged so that
            the strict check reports them.
        """
        mapped = {}
        for k, v in state_dict.items():
            head = k.split('.', 1)[0]
            if head == 'fc':
                continue
            if head in ('conv1', 'bn1'):
                stage = 0
            elif head in ('layer1', 'layer2', 'layer3', 'layer4'):
                stage = int(head[-1])
            else:
                mapped[k] = v
                continue
            if stage < self.share_from:
                for m in range(self.num_modalities):
                    mapped[f'specific.{m}.{k}'] = v
            else:
                mapped[f'shared.{k}'] = v
        return mapped

    def load_pretrained(self, checkpoint: str,
                        prefix: Optional[str] = None) -> None:
        """Load a local torchvision-layout (or own-layout) checkpoint.

        Args:
            checkpoint (str): Local file path (never downloaded).
            prefix (str, optional): Take only keys with this prefix (it is
                stripped), e.g. ``'backbone.'``.

        Raises:
            FileNotFoundError: If the file is missing.
            UntrustedCheckpointError: If it pickles arbitrary objects.
            CheckpointMismatchError: If keys or shapes do not fit.
        """
        state = load_local_state_dict(
            checkpoint, prefix=prefix, what='TwoStreamResNet checkpoint')
        own_layout = any(
            k.startswith(('specific.', 'shared.')) for k in state)
        if not own_layout:
            state = self.map_torchvision_keys(state)
            allow = (lambda k: '.nl_layer' in k)  # noqa: E731
        else:
            allow = None
        try:
            load_state_dict_checked(self, state, checkpoint, allow)
        except CheckpointMismatchError as e:
            hint = ('' if own_layout else
                    f'\n  (read as a torchvision ResNet state dict; this '
                    f'module is depth={self.depth}, base_width='
                    f'{self.base_width}, share_from={self.share_from})')
            raise CheckpointMismatchError(str(e) + hint) from None
        print_log(f'TwoStreamResNet: loaded {checkpoint}', logger='current')
