# Copyright (c) vireid contributors. All rights reserved.
"""The base visible-infrared re-identification model (AGW / CAJ)."""
import inspect
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel

from vireid.registry import MODELS
from vireid.structures import VIReIDDataSample

SampleList = List[VIReIDDataSample]


def _build(cfg: Union[dict, nn.Module, None]) -> Optional[nn.Module]:
    if cfg is None or isinstance(cfg, nn.Module):
        return cfg
    return MODELS.build(cfg)


@MODELS.register_module()
class VIReIDModel(BaseModel):
    """Backbone -> neck -> head re-identification model.

    The backbone receives each sample's modality (from
    ``data_samples[i].metainfo['modality']``) so that a two-stream backbone
    can route it; :meth:`extract_feat` returns the backbone's tuple of stage
    maps. The neck (e.g. GeM) pools them and the head (e.g.
    :class:`~vireid.models.heads.BNNeckHead`) computes features, logits and
    losses.

    Modes of :meth:`forward`:

    - ``'loss'``: dict of losses (keys containing ``loss`` are summed by
      mmengine; ``acc`` is only logged);
    - ``'predict'``: the data samples with ``pred_feature = dict(bn=...,
      pool=...)``; with ``flip_test=True`` every output of the head is the
      mean of the outputs for the image and its horizontal flip (features
      are averaged before any normalisation; the metric normalises);
    - ``'tensor'``: the head's :meth:`forward` output (``pool``, ``bn``,
      ``logits``); needs no labels (only the modality, for a two-stream
      backbone).

    Subclasses (e.g. ICRE) override :meth:`neck_forward`,
    :meth:`head_forward`, :meth:`loss` and :meth:`predict_outs`; keep
    :meth:`extract_feat` returning the backbone's tuple of maps.

    Args:
        backbone (dict | nn.Module): Backbone config; its ``forward`` may
            take a ``modality`` argument.
        head (dict | nn.Module): Head config (``forward`` / ``loss`` /
            ``predict_by_feat``).
        neck (dict | nn.Module, optional): Neck config, e.g. ``GeMPooling``.
        data_preprocessor (dict | nn.Module, optional): Defaults to
            ``VIReIDDataPreprocessor`` (ImageNet mean/std).
        flip_test (bool): Horizontal-flip test-time augmentation in
            ``'predict'`` mode. Defaults to False.
        channels_last (bool): Keep parameters and inputs in
            ``torch.channels_last`` memory format (faster convolutions on
            recent GPUs, especially under AMP). Defaults to False.
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    def __init__(self,
                 backbone: Union[dict, nn.Module],
                 head: Union[dict, nn.Module],
                 neck: Optional[Union[dict, nn.Module]] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 flip_test: bool = False,
                 channels_last: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='VIReIDDataPreprocessor')
        super().__init__(
            data_preprocessor=_build(data_preprocessor), init_cfg=init_cfg)
        if backbone is None or head is None:
            raise ValueError('VIReIDModel needs a backbone and a head')
        self.backbone = _build(backbone)
        self.neck = _build(neck)
        self.head = _build(head)
        self.flip_test = flip_test
        self.channels_last = channels_last
        try:
            params = inspect.signature(self.backbone.forward).parameters
        except (TypeError, ValueError):  # pragma: no cover
            params = {}
        self._backbone_takes_modality = 'modality' in params
        if channels_last:
            self.to(memory_format=torch.channels_last)

    @property
    def with_neck(self) -> bool:
        """bool: Whether the model has a neck."""
        return self.neck is not None

    # ------------------------------------------------------------------ #
    # features
    # ------------------------------------------------------------------ #
    @staticmethod
    def get_modality(data_samples: Optional[SampleList],
                     batch_size: int,
                     device: Optional[torch.device] = None
                     ) -> Optional[torch.Tensor]:
        """Collect ``metainfo['modality']`` into a LongTensor ``[B]``.

        The values are host ints, so the tensor is built on the host and,
        for another device, copied there once with ``non_blocking=True``
        (no host-device synchronisation).

        Args:
            data_samples (list[VIReIDDataSample], optional): The batch's
                samples; ``None`` gives ``None``.
            batch_size (int): Expected number of samples.
            device (torch.device, optional): Device of the result; ``None``
                keeps it on the host (what the backbone's routing needs).

        Returns:
            Tensor | None: Modalities (0 visible, 1 infrared).
        """
        if data_samples is None:
            return None
        if len(data_samples) != batch_size:
            raise ValueError(f'VIReIDModel: {batch_size} inputs but '
                             f'{len(data_samples)} data samples')
        values = [ds.metainfo.get('modality') for ds in data_samples]
        if None in values:
            i = values.index(None)
            raise KeyError(
                f'data_samples[{i}] '
                f'({data_samples[i].metainfo.get("img_path", "unknown image")}'
                f") has no metainfo 'modality' (0 visible, 1 infrared)")
        host = torch.tensor([int(m) for m in values], dtype=torch.long)
        if device is None or torch.device(device).type == 'cpu':
            return host
        return host.to(device, non_blocking=True)

    def extract_feat(self,
                     inputs: torch.Tensor,
                     data_samples: Optional[SampleList] = None
                     ) -> Tuple[torch.Tensor, ...]:
        """Run the backbone with each sample's modality.

        Args:
            inputs (Tensor): Normalised images ``B x 3 x H x W``.
            data_samples (list[VIReIDDataSample], optional): Provide the
                modality (needed by two-stream backbones).

        Returns:
            tuple[Tensor]: The backbone's stage maps.
        """
        if self.channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        if self._backbone_takes_modality:
            # on the host: the backbone routes on host-side group sizes
            modality = self.get_modality(data_samples, inputs.shape[0])
            feats = self.backbone(inputs, modality=modality)
        else:
            feats = self.backbone(inputs)
        if isinstance(feats, torch.Tensor):
            feats = (feats, )
        return tuple(feats)

    def neck_forward(self, feats: Tuple[torch.Tensor, ...]):
        """Apply the neck (identity without one).

        Args:
            feats (tuple[Tensor]): Output of :meth:`extract_feat`.

        Returns:
            The neck's output (for GeM: a tuple of ``B x C`` vectors).
        """
        return self.neck(feats) if self.with_neck else feats

    def head_forward(self, feats: Tuple[torch.Tensor, ...]
                     ) -> Dict[str, torch.Tensor]:
        """Neck + head forward on backbone maps.

        Args:
            feats (tuple[Tensor]): Output of :meth:`extract_feat`.

        Returns:
            dict[str, Tensor]: The head's forward output.
        """
        return self.head(self.neck_forward(feats))

    def _forward(self,
                 inputs: torch.Tensor,
                 data_samples: Optional[SampleList] = None
                 ) -> Dict[str, torch.Tensor]:
        """``'tensor'`` mode: the head's forward output.

        Args:
            inputs (Tensor): Normalised images.
            data_samples (list[VIReIDDataSample], optional): For modality.

        Returns:
            dict[str, Tensor]: ``pool``, ``bn``, ``logits`` for BNNeckHead.
        """
        return self.head_forward(self.extract_feat(inputs, data_samples))

    # ------------------------------------------------------------------ #
    # modes
    # ------------------------------------------------------------------ #
    def loss(self, inputs: torch.Tensor,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """``'loss'`` mode.

        Args:
            inputs (Tensor): Normalised images.
            data_samples (list[VIReIDDataSample]): With ``gt_label`` and
                ``modality``.

        Returns:
            dict[str, Tensor]: The head's losses (and ``acc``).
        """
        feats = self.extract_feat(inputs, data_samples)
        return self.head.loss(self.neck_forward(feats), data_samples)

    def predict_outs(self,
                     inputs: torch.Tensor,
                     data_samples: Optional[SampleList] = None
                     ) -> Dict[str, torch.Tensor]:
        """Head outputs used for prediction, with optional flip averaging.

        Args:
            inputs (Tensor): Normalised images.
            data_samples (list[VIReIDDataSample], optional): For modality.

        Returns:
            dict[str, Tensor]: ``_forward(x)``, or with ``flip_test`` the
            element-wise mean ``(_forward(x) + _forward(flip(x))) / 2`` of
            every tensor output.
        """
        outs = self._forward(inputs, data_samples)
        if not self.flip_test:
            return outs
        flipped = self._forward(inputs.flip(-1), data_samples)
        return {
            k: (v + flipped[k]) / 2 if isinstance(v, torch.Tensor) else v
            for k, v in outs.items()
        }

    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[SampleList] = None) -> SampleList:
        """``'predict'`` mode.

        Args:
            inputs (Tensor): Normalised images.
            data_samples (list[VIReIDDataSample], optional): Samples to fill.

        Returns:
            list[VIReIDDataSample]: With ``pred_feature`` (dict of ``[C]``).
        """
        return self.head.predict_by_feat(
            self.predict_outs(inputs, data_samples), data_samples)

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[SampleList] = None,
                mode: str = 'tensor'):
        """Dispatch on ``mode``.

        Args:
            inputs (Tensor): Normalised images ``B x 3 x H x W``.
            data_samples (list[VIReIDDataSample], optional): The samples.
            mode (str): ``'loss'``, ``'predict'`` or ``'tensor'``.

        Returns:
            dict | list: Losses, filled samples, or the head's outputs.
        """
        if mode == 'loss':
            if data_samples is None:
                raise ValueError("VIReIDModel: mode='loss' needs data_samples")
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise ValueError(f"VIReIDModel: invalid mode {mode!r}; use 'loss', "
                         f"'predict' or 'tensor'")
