# Copyright (c) vireid contributors. All rights reserved.
"""Lazy adapter exposing torchreid models as multi-stage backbones."""
import os.path as osp
import warnings
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.model.weight_init import update_init_info

from vireid.registry import MODELS
from ..utils import load_local_state_dict, load_state_dict_checked

#: Stage layouts, tried in order; a layout applies when the model has all of
#: its ``required`` children. Optional names (``pool2``...) are used when
#: present. The stages are the maps returned for ``out_indices``.
_LAYOUTS = (
    dict(
        family='osnet',  # OSNet, OSNet-IBN, OSNet-AIN
        required=('conv1', 'maxpool', 'conv2', 'conv3', 'conv4', 'conv5'),
        stages=(('conv1', ), ('maxpool', 'conv2', 'pool2'), ('conv3',
                                                              'pool3'),
                ('conv4', ), ('conv5', ))),
    dict(
        family='resnet',  # torchreid resnet*, resnext*, resnet50_ibn_a/b
        required=('conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2',
                  'layer3', 'layer4'),
        stages=(('conv1', 'bn1', 'relu', 'maxpool', 'layer1'), ('layer2', ),
                ('layer3', ), ('layer4', ))),
)


def _import_torchreid_models():
    """Import ``torchreid.reid.models`` quietly (slow; only when needed)."""
    with warnings.catch_warnings():
        # torchreid 0.2.5 ships no compiled rank_cy and warns on import.
        warnings.filterwarnings(
            'ignore', message='Cython evaluation', category=UserWarning)
        try:
            from torchreid.reid import models
        except ImportError as e:
            raise ImportError(
                'TorchreidBackbone needs torchreid 0.2.5 (imported as '
                f'torchreid.reid.*) and its import-time dependencies: {e}'
            ) from e
    return models


@MODELS.register_module()
class TorchreidBackbone(BaseModule):
    """A torchreid model without its head, returning its stage maps.

    ``torchreid`` is imported only when this class is instantiated. The
    model is built with ``build_model(name, num_classes=1,
    pretrained=False, use_gpu=False)`` (never downloads); its pooling,
    ``fc`` and classifier are removed, and the stages are:

    - OSNet / OSNet-IBN / OSNet-AIN (``osnet_*``, ``osnet_ain_*``): 0
      ``conv1``, 1 ``maxpool+conv2`` (with ``pool2`` for AIN), 2 ``conv3``
      (``+pool3``), 3 ``conv4``, 4 ``conv5``;
    - ResNet-like (``resnet*``, ``resnext*``, ``resnet50_ibn_a/b``): 0
      ``stem+layer1``, 1 ``layer2``, 2 ``layer3``, 3 ``layer4``.

    Other torchreid architectures raise ``NotImplementedError``.

    Args:
        name (str): A ``torchreid.reid.models`` name, e.g. ``'osnet_x1_0'``,
            ``'osnet_ain_x1_0'``, ``'resnet50_ibn_a'``.
        pretrained (str, optional): Local state-dict file (torchreid model
            zoo layout: the original model's keys; its ``fc`` / classifier
            keys are ignored). Loaded weights-only and strictly in
            :meth:`init_weights`.
        out_indices (Sequence[int]): Stages to return (negative values count
            from the end). Defaults to ``(-1,)``.
        last_stride (int, optional): For ResNet-like models, set the stride
            of layer4 (1 for re-identification; torchreid hard-codes 2).
            ``None`` keeps the model's own.
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    def __init__(self,
                 name: str = 'osnet_x1_0',
                 pretrained: Optional[str] = None,
                 out_indices: Sequence[int] = (-1, ),
                 last_stride: Optional[int] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        models = _import_torchreid_models()
        factory = getattr(models, '__model_factory', None)
        available = sorted(factory) if factory is not None else None
        if available is not None and name not in available:
            raise KeyError(f'TorchreidBackbone: unknown torchreid model '
                           f'{name!r}; available: {available}')
        with warnings.catch_warnings():
            warnings.filterwarnings('ignore', category=UserWarning)
            model = models.build_model(
                name, num_classes=1, pretrained=False, use_gpu=False)
        children = dict(model.named_children())
        layout = next((lay for lay in _LAYOUTS
                       if all(n in children for n in lay['required'])), None)
        if layout is None:
            raise NotImplementedError(
                f'TorchreidBackbone: no stage layout for {name!r} (children '
                f'{list(children)}); supported families: OSNet / OSNet-AIN '
                f'and ResNet-like models (resnet*, resnext*, resnet50_ibn_*)')
        self.name = name
        self.family = layout['family']
        self.stage_names: Tuple[Tuple[str, ...], ...] = tuple(
            tuple(n for n in stage if n in children)
            for stage in layout['stages'])
        kept = {n for stage in self.stage_names for n in stage}
        self.removed = tuple(n for n in children if n not in kept)
        for n in self.removed:
            delattr(model, n)
        self.model = model
        num_stages = len(self.stage_names)
        if isinstance(out_indices, int):
            out_indices = (out_indices, )
        norm = []
        for i in out_indices:
            if not isinstance(i, int) or not -num_stages <= i < num_stages:
                raise ValueError(
                    f'TorchreidBackbone({name}): out_indices must be ints in '
                    f'{-num_stages}..{num_stages - 1} (stages '
                    f'{list(self.stage_names)}), got {tuple(out_indices)}')
            norm.append(i % num_stages)
        if not norm or len(set(norm)) != len(norm):
            raise ValueError(f'TorchreidBackbone({name}): out_indices must be '
                             f'distinct and non-empty, got '
                             f'{tuple(out_indices)}')
        self.out_indices = tuple(sorted(norm))
        if last_stride is not None:
            self._set_last_stride(last_stride)
        self.pretrained = pretrained
        if pretrained is not None:
            if not isinstance(pretrained, str) or '://' in pretrained:
                raise ValueError(
                    f'TorchreidBackbone: pretrained must be a local file '
                    f'path (nothing is downloaded), got {pretrained!r}')
            if not osp.isfile(osp.expanduser(pretrained)):
                raise FileNotFoundError(
                    f'TorchreidBackbone: pretrained file not found: '
                    f'{pretrained}')

    def _set_last_stride(self, stride: int) -> None:
        if self.family != 'resnet':
            raise ValueError(f'TorchreidBackbone({self.name}): last_stride is '
                             f'only supported for ResNet-like models')
        if stride not in (1, 2):
            raise ValueError(f'TorchreidBackbone: last_stride must be 1 or 2, '
                             f'got {stride}')
        first = self.model.layer4[0]
        changed = 0
        for m in first.modules():
            if isinstance(m, nn.Conv2d) and max(m.stride) > 1:
                m.stride = (stride, stride)
                changed += 1
        if changed == 0:
            raise ValueError(f'TorchreidBackbone({self.name}): found no '
                             f'strided convolution in layer4[0]')

    def init_weights(self) -> None:
        """Apply ``init_cfg``, then load ``pretrained`` strictly if given."""
        was_init = self._is_init
        super().init_weights()
        if was_init or self.pretrained is None:
            return
        self.load_pretrained(self.pretrained)
        if hasattr(self, '_params_init_info'):
            update_init_info(
                self, init_info=f'Loaded from {self.pretrained} by '
                f'TorchreidBackbone.load_pretrained')

    def load_pretrained(self, path: str) -> None:
        """Load a local torchreid-layout state dict into the model.

        Keys of the removed head (``fc``, ``classifier``, pooling) are
        ignored; any other missing / unexpected key or shape mismatch
        raises :class:`~vireid.models.utils.CheckpointMismatchError`.

        Args:
            path (str): Local ``.pth`` file.
        """
        state = load_local_state_dict(
            path, what=f'TorchreidBackbone({self.name}) pretrained file')
        state = {
            k: v
            for k, v in state.items() if k.split('.', 1)[0] not in self.removed
        }
        load_state_dict_checked(self.model, state, path)
        print_log(f'TorchreidBackbone({self.name}): loaded {path}',
                  logger='current')

    def forward(self,
                x: torch.Tensor,
                modality: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, ...]:
        """Compute the stage maps (``modality`` is ignored: one stream).

        Args:
            x (Tensor): Images, ``B x 3 x H x W``.
            modality (Tensor, optional): Ignored.

        Returns:
            tuple[Tensor]: The maps of ``out_indices``, in stage order.
        """
        outs = []
        last = self.out_indices[-1]
        for s, names in enumerate(self.stage_names):
            for n in names:
                x = getattr(self.model, n)(x)
            if s in self.out_indices:
                outs.append(x)
            if s == last:
                break
        return tuple(outs)
