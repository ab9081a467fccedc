# Copyright (c) vireid contributors. All rights reserved.
"""BNNeck head: BatchNorm bottleneck + bias-free identity classifier."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from vireid.registry import MODELS
from vireid.structures import VIReIDDataSample

#: AGW's head initialisation as mmengine init configs: BatchNorm1d weight
#: ~ N(1, 0.01), bias 0; classifier ~ N(0, 0.001).
AGW_HEAD_INIT = [
    dict(type='Normal', layer='BatchNorm1d', mean=1.0, std=0.01, bias=0.0),
    dict(type='Normal', layer='Linear', mean=0.0, std=0.001, bias=0.0),
]


@MODELS.register_module()
class BNNeckHead(BaseModule):
    """BNNeck (Luo et al., 2019) with ID and triplet losses.

    ``pool`` (the pooled feature, ``B x C``) feeds the triplet loss;
    ``bn = BatchNorm1d(pool)`` (bias frozen at 0) feeds a bias-free
    ``Linear(C, num_classes)`` whose logits feed the ID loss. Follows the
    mmdet head split: :meth:`forward` (traceable) -> :meth:`loss` /
    :meth:`loss_by_feat` and :meth:`predict` / :meth:`predict_by_feat`.

    Args:
        in_channels (int): ``C``.
        num_classes (int): Training identities.
        loss_id (dict, optional): ID loss config; ``None`` disables it.
        loss_triplet (dict, optional): Metric loss config on ``pool``;
            ``None`` disables it.
        loss_id_weight (float): Extra multiplier of the ID loss (on top of
            the loss's own ``loss_weight``).
        loss_triplet_weight (float): Extra multiplier of the metric loss.
        init (str): ``'agw'`` (BN weight ~ N(1, 0.01), classifier ~
            N(0, 0.001), see :data:`AGW_HEAD_INIT`) or ``'default'``
            (PyTorch defaults). Ignored when ``init_cfg`` is given.
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 loss_id: Optional[dict] = dict(type='CrossEntropyLoss'),
                 loss_triplet: Optional[dict] = dict(type='WRTripletLoss'),
                 loss_id_weight: float = 1.0,
                 loss_triplet_weight: float = 1.0,
                 init: str = 'agw',
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if init not in ('agw', 'default'):
            raise ValueError(f"BNNeckHead: init must be 'agw' or 'default', "
                             f'got {init!r}')
        if init_cfg is None and init == 'agw':
            init_cfg = [dict(c) for c in AGW_HEAD_INIT]
        super().__init__(init_cfg=init_cfg)
        if in_channels < 1 or num_classes < 1:
            raise ValueError(f'BNNeckHead: in_channels and num_classes must '
                             f'be >= 1, got {in_channels}, {num_classes}')
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.loss_id_weight = loss_id_weight
        self.loss_triplet_weight = loss_triplet_weight
        self.bn = nn.BatchNorm1d(in_channels)
        nn.init.zeros_(self.bn.bias)
        self.bn.bias.requires_grad_(False)
        self.classifier = nn.Linear(in_channels, num_classes, bias=False)
        self.loss_id = MODELS.build(loss_id) if loss_id else None
        self.loss_triplet = (
            MODELS.build(loss_triplet) if loss_triplet else None)

    def init_weights(self) -> None:
        """Apply ``init_cfg``; the frozen BN bias stays exactly zero."""
        super().init_weights()
        with torch.no_grad():
            self.bn.bias.zero_()

    def forward(
        self, feats: Union[torch.Tensor, Sequence[torch.Tensor]]
    ) -> Dict[str, torch.Tensor]:
        """Compute the features and logits.

        Args:
            feats (Tensor | Sequence[Tensor]): ``B x C`` pooled feature, or
                a tuple of them (the last one is used).

        Returns:
            dict[str, Tensor]: ``pool`` (``B x C``, input), ``bn``
            (``B x C``, after BNNeck) and ``logits`` (``B x num_classes``).
        """
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        if feats.dim() != 2 or feats.shape[1] != self.in_channels:
            raise ValueError(f'BNNeckHead: expected B x {self.in_channels} '
                             f'features, got {tuple(feats.shape)}')
        bn = self.bn(feats)
        logits = self.classifier(bn)
        return dict(pool=feats, bn=bn, logits=logits)

    def loss(self, feats: Union[torch.Tensor, Sequence[torch.Tensor]],
             data_samples: List[VIReIDDataSample]) -> Dict[str, torch.Tensor]:
        """Forward and compute the losses.

        Args:
            feats (Tensor | Sequence[Tensor]): See :meth:`forward`.
            data_samples (list[VIReIDDataSample]): With ``gt_label``.

        Returns:
            dict[str, Tensor]: See :meth:`loss_by_feat`.
        """
        return self.loss_by_feat(self(feats), data_samples)

    @staticmethod
    def gather_labels(data_samples: List[VIReIDDataSample],
                      device: torch.device,
                      num_classes: Optional[int] = None) -> torch.Tensor:
        """Stack ``gt_label`` of the samples into a LongTensor ``[B]``.

        :class:`~vireid.models.data_preprocessors.VIReIDDataPreprocessor`
        leaves the labels on the host, so this builds one host tensor and
        copies it to ``device`` once with ``non_blocking=True``; the range
        check then reads host values (no host-device synchronisation).
        Labels already on the device (samples moved by other code) are
        concatenated there; their range check, when asked for, costs one
        sync.

        Args:
            data_samples (list[VIReIDDataSample]): Training samples.
            device (torch.device): Target device.
            num_classes (int, optional): Check that every label is in
                ``0..num_classes - 1`` (ValueError otherwise).

        Returns:
            Tensor: Labels ``[B]``.
        """
        labels = []
        for i, ds in enumerate(data_samples):
            label = getattr(ds, 'gt_label', None)
            if label is None:
                raise KeyError(
                    f'data_samples[{i}] ({ds.metainfo.get("img_path", "?")}) '
                    f'has no gt_label; training needs the contiguous label')
            labels.append(torch.as_tensor(label).reshape(-1)[:1])
        devices = {t.device for t in labels}
        if len(devices) > 1:
            labels = [t.cpu() for t in labels]
        labels = torch.cat(labels).long()
        if num_classes is not None and labels.numel():
            # on a host tensor: no sync; on a device tensor: one
            low, high = labels.aminmax()
            if int(low) < 0 or int(high) >= num_classes:
                raise ValueError(
                    f'BNNeckHead: gt_label values must be in 0..'
                    f'{num_classes - 1} (num_classes), got '
                    f'{sorted(set(labels.tolist()))[:10]}')
        return labels.to(device=device, non_blocking=True)

    def loss_by_feat(self, outs: Dict[str, torch.Tensor],
                     data_samples: List[VIReIDDataSample]
                     ) -> Dict[str, torch.Tensor]:
        """Compute the losses from :meth:`forward`'s output.

        Args:
            outs (dict[str, Tensor]): Output of :meth:`forward`.
            data_samples (list[VIReIDDataSample]): With ``gt_label``.

        Returns:
            dict[str, Tensor]: ``loss_id`` and/or ``loss_triplet`` (summed by
            mmengine) and ``acc`` (top-1 training accuracy of the ID
            classifier in ``[0, 1]``, detached; logged, not optimised).
        """
        labels = self.gather_labels(data_samples, outs['logits'].device,
                                    num_classes=self.num_classes)
        losses = dict()
        if self.loss_id is not None:
            losses['loss_id'] = self.loss_id_weight * self.loss_id(
                outs['logits'], labels)
        if self.loss_triplet is not None:
            losses['loss_triplet'] = (
                self.loss_triplet_weight *
                self.loss_triplet(outs['pool'], labels))
        with torch.no_grad():
            losses['acc'] = (outs['logits'].argmax(dim=1) == labels).float(
            ).mean()
        return losses

    def predict(self, feats: Union[torch.Tensor, Sequence[torch.Tensor]],
                data_samples: Optional[List[VIReIDDataSample]] = None
                ) -> List[VIReIDDataSample]:
        """Forward and write the test features into the data samples.

        Args:
            feats (Tensor | Sequence[Tensor]): See :meth:`forward`.
            data_samples (list[VIReIDDataSample], optional): Samples to
                fill; new ones are created when ``None``.

        Returns:
            list[VIReIDDataSample]: See :meth:`predict_by_feat`.
        """
        return self.predict_by_feat(self(feats), data_samples)

    def predict_by_feat(self, outs: Dict[str, torch.Tensor],
                        data_samples: Optional[List[VIReIDDataSample]] = None
                        ) -> List[VIReIDDataSample]:
        """Write ``pred_feature = dict(bn=..., pool=...)`` into each sample.

        The features are raw (not L2-normalised); the metric normalises.

        Args:
            outs (dict[str, Tensor]): Output of :meth:`forward` (only
                ``bn`` and ``pool`` are used).
            data_samples (list[VIReIDDataSample], optional): Samples to
                fill; new ones are created when ``None``.

        Returns:
            list[VIReIDDataSample]: One per image, ``pred_feature`` is a dict
            of ``[C]`` tensors (detached).
        """
        bn, pool = outs['bn'].detach(), outs['pool'].detach()
        if data_samples is None:
            data_samples = [VIReIDDataSample() for _ in range(bn.shape[0])]
        if len(data_samples) != bn.shape[0]:
            raise ValueError(f'BNNeckHead: {bn.shape[0]} features but '
                             f'{len(data_samples)} data samples')
        for i, ds in enumerate(data_samples):
            ds.pred_feature = dict(bn=bn[i], pool=pool[i])
        return data_samples

