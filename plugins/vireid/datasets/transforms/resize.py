# Copyright (c) vireid contributors. All rights reserved.
"""Resizing to the network input size."""
from typing import Sequence

import cv2
import numpy as np
from PIL import Image

from vireid.registry import TRANSFORMS
from .base import BaseVIReIDTransform

_INTERP = dict(
    nearest=cv2.INTER_NEAREST,
    bilinear=cv2.INTER_LINEAR,
    bicubic=cv2.INTER_CUBIC,
    area=cv2.INTER_AREA,
    lanczos=cv2.INTER_LANCZOS4)
_PIL_INTERP = dict(
    nearest=Image.NEAREST,
    bilinear=Image.BILINEAR,
    bicubic=Image.BICUBIC,
    area=Image.BOX,
    lanczos=Image.LANCZOS)
BACKENDS = ('cv2', 'pillow')


@TRANSFORMS.register_module()
class ReIDResize(BaseVIReIDTransform):
    """Resize ``results['img']`` to a fixed ``(height, width)``.

    Args:
        scale (Sequence[int]): Output ``(height, width)``, e.g.
            ``(288, 144)``.
        interpolation (str): ``'nearest'``, ``'bilinear'`` (default, as
            torchvision's ``Resize``), ``'bicubic'``, ``'area'`` or
            ``'lanczos'``.
        backend (str): ``'cv2'`` (default; ``cv2.resize``, which does not
            low-pass filter when shrinking) or ``'pillow'``
            (``PIL.Image.resize``, which widens its filter when shrinking,
            i.e. antialiases). AGW / CAJ resize every image once with
            ``PIL.Image.ANTIALIAS`` (= ``LANCZOS``): ``backend='pillow',
            interpolation='lanczos'``, which the AGW / CAJ configs select.
            ``'area'`` maps to PIL's ``BOX`` filter.
        modality (int, optional): Restrict to one modality.
    """

    def __init__(self,
                 scale: Sequence[int],
                 interpolation: str = 'bilinear',
                 backend: str = 'cv2',
                 modality=None) -> None:
        super().__init__(modality)
        if (len(scale) != 2 or any(int(s) != s or s <= 0 for s in scale)):
            raise ValueError(f'ReIDResize: scale must be (height, width) '
                             f'positive integers, got {scale!r}')
        if interpolation not in _INTERP:
            raise ValueError(f'ReIDResize: interpolation must be one of '
                             f'{sorted(_INTERP)}, got {interpolation!r}')
        if backend not in BACKENDS:
            raise ValueError(f'ReIDResize: backend must be one of '
                             f'{BACKENDS}, got {backend!r}')
        self.scale = (int(scale[0]), int(scale[1]))
        self.interpolation = interpolation
        self.backend = backend

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
            if self.backend == 'pillow':
                if img.dtype != np.uint8:
                    raise TypeError(
                        f'ReIDResize(backend="pillow") needs a uint8 image, '
                        f'got {img.dtype} for {results.get("img_path")}')
                img = np.asarray(
                    Image.fromarray(img).resize(
                        (w, h), resample=_PIL_INTERP[self.interpolation]))
            else:
                img = cv2.resize(
                    img, (w, h), interpolation=_INTERP[self.interpolation])
        results['img'] = img
        results['img_shape'] = (h, w)
        return results

    def _params(self) -> dict:
        return dict(
            scale=self.scale,
            interpolation=self.interpolation,
            backend=self.backend)
