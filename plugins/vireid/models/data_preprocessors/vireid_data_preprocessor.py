# Copyright (c) vireid contributors. All rights reserved.
"""Batch, normalise and move VI-ReID inputs to the model's device."""
from typing import Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor

from vireid.registry import MODELS


@MODELS.register_module()
class VIReIDDataPreprocessor(BaseDataPreprocessor):
    """Stack uint8 images into a normalised float batch on the device.

    ``PackVIReIDInputs`` yields ``inputs`` as uint8 ``C x H x W`` tensors in
    RGB order (infrared images are 3-channel). This module stacks them
    (all images of a batch must have the same size; a mismatch is an
    error, nothing is padded), moves them and the data samples to the
    device, converts to float32 and applies ``(x - mean) / std`` per
    channel on the 0-255 scale.

    A batch of **float** images was normalised in the pipeline by
    :class:`~vireid.datasets.NormalizeImage` (CAJ / DEEN augmentations act
    on normalised images): every data sample must then carry
    ``metainfo['img_norm_cfg']`` equal to this module's mean/std, and the
    batch is only stacked and moved. A float batch without it, with other
    statistics, or a batch mixing uint8 and float images is an error.

    The data samples stay on the host: their only tensor before the
    forward pass is the one-element ``gt_label``, and moving each of them
    would be one small copy per sample and step. The heads gather the
    labels into one host tensor, check them there and copy it once
    (:meth:`~vireid.models.heads.BNNeckHead.gather_labels`); the modality
    is host metadata anyway. Together with ``non_blocking=True`` (the
    default) and ``pin_memory=True`` in the data loader, preprocessing a
    batch needs no host-device synchronisation.

    Args:
        mean (Sequence[float]): Per-channel mean (0-255 scale). Defaults to
            ImageNet's ``(123.675, 116.28, 103.53)``.
        std (Sequence[float]): Per-channel std (0-255 scale). Defaults to
            ImageNet's ``(58.395, 57.12, 57.375)``.
        channels_last (bool): Return the batch in ``torch.channels_last``
            memory format. Defaults to False.
        non_blocking (bool): Non-blocking host-to-device copy of the
            images. Defaults to True (the copy is queued on the current
            stream like any kernel; ordered, hence safe, and asynchronous
            from pinned memory).
    """

    def __init__(self,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 channels_last: bool = False,
                 non_blocking: bool = True) -> None:
        super().__init__(non_blocking=non_blocking)
        if len(mean) != len(std):
            raise ValueError(f'VIReIDDataPreprocessor: mean ({len(mean)}) and '
                             f'std ({len(std)}) need the same length')
        if any(s <= 0 for s in std):
            raise ValueError(f'VIReIDDataPreprocessor: std must be positive, '
                             f'got {tuple(std)}')
        # host copies for the checks of pre-normalised batches (reading the
        # device buffers there would synchronise every step)
        self._host_mean = tuple(float(v) for v in mean)
        self._host_std = tuple(float(v) for v in std)
        self.register_buffer(
            'mean', torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1),
            persistent=False)
        self.register_buffer(
            'std', torch.tensor(std, dtype=torch.float32).view(-1, 1, 1),
            persistent=False)
        self.channels_last = channels_last

    def _stack(self, inputs: Union[torch.Tensor, Sequence[torch.Tensor]]
               ) -> torch.Tensor:
        if isinstance(inputs, torch.Tensor):
            if inputs.dim() == 3:
                inputs = inputs.unsqueeze(0)
            if inputs.dim() != 4:
                raise ValueError(f'VIReIDDataPreprocessor: inputs must be '
                                 f'B x C x H x W, got {tuple(inputs.shape)}')
            return inputs
        if not isinstance(inputs, (list, tuple)) or not inputs:
            raise TypeError(f'VIReIDDataPreprocessor: inputs must be a '
                            f'non-empty list of C x H x W tensors or a '
                            f'B x C x H x W tensor, got {type(inputs)}')
        first = inputs[0]
        dtypes = {img.dtype for img in inputs
                  if isinstance(img, torch.Tensor)}
        if len(dtypes) > 1:
            raise ValueError(
                f'VIReIDDataPreprocessor: the batch mixes image dtypes '
                f'{sorted(str(d) for d in dtypes)}; NormalizeImage must run '
                f'on every image of a pipeline or on none')
        for i, img in enumerate(inputs):
            if not isinstance(img, torch.Tensor) or img.dim() != 3:
                raise ValueError(
                    f'VIReIDDataPreprocessor: inputs[{i}] must be a C x H x W '
                    f'tensor, got {getattr(img, "shape", type(img))}')
            if img.shape != first.shape:
                raise ValueError(
                    f'VIReIDDataPreprocessor: inputs[{i}] has shape '
                    f'{tuple(img.shape)} but inputs[0] has '
                    f'{tuple(first.shape)}; resize all images to one size in '
                    f'the pipeline')
        return torch.stack(list(inputs))

    def forward(self, data: dict, training: bool = False) -> dict:
        """Stack, move and normalise one batch.

        Args:
            data (dict): ``inputs`` (list of uint8 ``C x H x W`` tensors or a
                ``B x C x H x W`` tensor) and optional ``data_samples``.
            training (bool): Unused (no batch augmentation).

        Returns:
            dict: ``inputs`` (float32 ``B x C x H x W`` on the device) and
            ``data_samples`` (unchanged, on the host, or ``None``).
        """
        if not isinstance(data, dict) or 'inputs' not in data:
            raise KeyError('VIReIDDataPreprocessor: expected a dict with an '
                           "'inputs' key (output of PackVIReIDInputs + "
                           'collate)')
        batch = self._stack(data['inputs'])
        channels = batch.shape[1]
        if channels != len(self._host_mean):
            raise ValueError(
                f'VIReIDDataPreprocessor: inputs have {channels} channels but '
                f'mean/std have {len(self._host_mean)}')
        batch = batch.to(self.device, non_blocking=self._non_blocking)
        if batch.dtype.is_floating_point:
            self._check_pre_normalised(data.get('data_samples'))
            batch = batch.float()
        else:
            batch = (batch.float() - self.mean) / self.std
        if self.channels_last:
            batch = batch.contiguous(memory_format=torch.channels_last)
        return dict(inputs=batch, data_samples=data.get('data_samples'))

    def _check_pre_normalised(self, data_samples) -> None:
        """Check that float inputs were normalised with this mean/std."""
        if not data_samples:
            raise ValueError(
                'VIReIDDataPreprocessor: got float inputs without data '
                'samples; float inputs must come from NormalizeImage (whose '
                'img_norm_cfg is checked), uint8 inputs are normalised here')
        mean, std = list(self._host_mean), list(self._host_std)
        for i, ds in enumerate(data_samples):
            cfg = ds.metainfo.get('img_norm_cfg')
            if cfg is None:
                raise ValueError(
                    f'VIReIDDataPreprocessor: inputs[{i}] is a float image '
                    f'but its data sample has no img_norm_cfg; put '
                    f'NormalizeImage in the pipeline or feed uint8 images')
            ok = (len(cfg['mean']) == len(mean) and all(
                abs(a - b) < 1e-4 for a, b in zip(cfg['mean'], mean))
                  and all(abs(a - b) < 1e-4 for a, b in zip(cfg['std'], std)))
            if not ok:
                raise ValueError(
                    f'VIReIDDataPreprocessor: inputs[{i}] was normalised with '
                    f'mean={tuple(cfg["mean"])}, std={tuple(cfg["std"])} but '
                    f'this preprocessor uses mean={tuple(mean)}, '
                    f'std={tuple(std)}; make them equal')
