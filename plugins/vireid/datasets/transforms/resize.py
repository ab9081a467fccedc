# Copyright (c) vireid contributors. All rights reserved.
"""Resizing to the network input size."""
from typing import Sequence

import cv2

from vireid.registry import TRANSFORMS
from .base import BaseVIReIDTransform

_INTERP = dict(
    nearest=cv2.INTER_NEAREST,
    bilinear=cv2.INTER_LINEAR,
    bicubic=cv2.INTER_CUBIC,
    area=cv2.INTER_AREA,
    lanczos=cv2.INTER_LANCZOS4)


@TRANSFORMS.register_module()
class ReIDResize(BaseVIReIDTransform):
    """Resize ``results['img']`` to a fixed ``(height, width)``.

    Args:
        scale (Sequence[int]): Output ``(height, width)``, e.g.
            ``(288, 144)``.
        interpolation (str): ``'nearest'``, ``'bilinear'`` (default, as
            torchvision's ``Resize``), ``'bicubic'``, ``'area'`` or
            ``'lanczos'`` (AGW's pre-processing).
        modality (int, optional): Restrict to one modality.
    """

    def __init__(self,
                 scale: Sequence[int],
                 interpolation: str = 'bilinear',
                 modality=None) -> None:
        super().__init__(modality)
        if (len(scale) != 2 or any(int(s) != s or s <= 0 for s in scale)):
            raise ValueError(f'ReIDResize: scale must be (height, width) '
                             f'positive integers, got {scale!r}')
        if interpolation not in _INTERP:
            raise ValueError(f'ReIDResize: interpolation must be one of '
                             f'{sorted(_INTERP)}, got {interpolation!r}')
        self.scale = (int(scale[0]), int(scale[1]))
        self.interpolation = interpolation

    def transform(self, results: dict) -> dict:
        """Resize the image.

        Args:
            results (dict): Needs ``img``.

        Returns:
            dict: ``results`` with the resized ``img`` and ``img_shape``.
        """
        img = self._get_img(results, 'ReIDResize')
        h, w = self.scale
        if img.shape[:2] != (h, w):
            img = cv2.resize(
                img, (w, h), interpolation=_INTERP[self.interpolation])
        results['img'] = img
        results['img_shape'] = (h, w)
        return results

    def _params(self) -> dict:
        return dict(scale=self.scale, interpolation=self.interpolation)
