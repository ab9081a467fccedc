# Copyright (c) vireid contributors. All rights reserved.
"""Normalisation inside the pipeline, for augmentations that act on it."""
from typing import Sequence

import numpy as np

from vireid.registry import TRANSFORMS
from .base import BaseVIReIDTransform

#: ImageNet mean / std on the 0-255 scale (the data preprocessor's default).
IMAGENET_MEAN_255 = (123.675, 116.28, 103.53)
IMAGENET_STD_255 = (58.395, 57.12, 57.375)


@TRANSFORMS.register_module()
class NormalizeImage(BaseVIReIDTransform):
    """``(img - mean) / std`` per channel: uint8 HWC -> float32 HWC.

    vireid normally normalises in the data preprocessor. CAJ and DEEN run
    some augmentations (random erasing with a fixed fill, CAJ's channel
    operations) on the *normalised* tensor, which is not the same as
    running them on pixels; put this transform before those
    augmentations to get their exact behaviour. It records
    ``results['img_norm_cfg'] = dict(mean=..., std=...)``;
    :class:`PackVIReIDInputs` keeps it in the metainfo and
    :class:`~vireid.models.VIReIDDataPreprocessor` then checks that it
    equals its own mean/std and does not normalise a second time.

    Args:
        mean (Sequence[float]): Per-channel mean, 0-255 scale. Defaults to
            ImageNet's.
        std (Sequence[float]): Per-channel std, 0-255 scale. Defaults to
            ImageNet's.
        modality (int, optional): Must stay ``None`` (a batch cannot mix
            normalised and raw images).
    """

    def __init__(self,
                 mean: Sequence[float] = IMAGENET_MEAN_255,
                 std: Sequence[float] = IMAGENET_STD_255,
                 modality=None) -> None:
        super().__init__(modality)
        if modality is not None:
            raise ValueError('NormalizeImage: modality must be None; a batch '
                             'cannot mix normalised and raw images')
        if len(mean) != 3 or len(std) != 3 or any(s <= 0 for s in std):
            raise ValueError(f'NormalizeImage: mean and std need 3 values, '
                             f'std > 0; got mean={mean!r}, std={std!r}')
        self.mean = tuple(float(m) for m in mean)
        self.std = tuple(float(s) for s in std)

    def transform(self, results: dict) -> dict:
        """Normalise the image.

        Args:
            results (dict): Needs a uint8 ``img``.

        Returns:
            dict: ``results`` with a float32 ``img`` and ``img_norm_cfg``.
        """
        img = self._get_img(results, 'NormalizeImage')
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            raise TypeError(
                f'NormalizeImage expects an HWC uint8 RGB image, got '
                f'{img.dtype} {img.shape} for {results.get("img_path")} '
                f'(normalised twice?)')
        mean = np.asarray(self.mean, dtype=np.float32)
        std = np.asarray(self.std, dtype=np.float32)
        results['img'] = (img.astype(np.float32) - mean) / std
        results['img_norm_cfg'] = dict(mean=self.mean, std=self.std)
        return results

    def _params(self) -> dict:
        return dict(mean=self.mean, std=self.std)
