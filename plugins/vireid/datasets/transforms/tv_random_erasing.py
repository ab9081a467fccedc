# Copyright (c) vireid contributors. All rights reserved.
"""torchvision-style random erasing (IDKL / MPANet recipe) on uint8 images."""
import math
from typing import Sequence, Union

import numpy as np

from vireid.registry import TRANSFORMS
from .base import BaseVIReIDTransform, rand_int, rand_uniform
from .random_erasing import IMAGENET_MEAN_255


@TRANSFORMS.register_module()
class TorchvisionRandomErasing(BaseVIReIDTransform):
    """``torchvision.transforms.RandomErasing`` drawn the torchvision way.

    With probability ``prob``, up to ``max_attempts`` (torchvision: 10)
    times: area ``uniform(*scale)`` of the image, aspect ratio
    ``exp(uniform(log ratio[0], log ratio[1]))``, ``h = round(sqrt(area *
    ratio))``, ``w = round(sqrt(area / ratio))``; the first rectangle with
    ``h < H`` and ``w < W`` is filled at a uniform position. Unlike
    :class:`RandomErasing` (uniform aspect ratio, 100 attempts), this
    matches the draw of ``T.RandomErasing()`` that IDKL applies after
    normalisation.

    It works on the uint8 image before normalisation: torchvision's
    ``value=0`` on the normalised tensor is the ImageNet mean here
    (``fill``, rounded to integers, i.e. within 0.006 of 0 after
    normalisation).

    Args:
        prob (float): Defaults to 0.5.
        scale (Sequence[float]): Erased fraction range. Defaults to
            ``(0.02, 0.33)``.
        ratio (Sequence[float]): Aspect ratio range. Defaults to
            ``(0.3, 3.3)``.
        fill (Sequence[float] | float): 0-255 fill. Defaults to the
            ImageNet mean.
        max_attempts (int): Defaults to 10.
        modality (int, optional): Restrict to one modality.
    """

    def __init__(self,
                 prob: float = 0.5,
                 scale: Sequence[float] = (0.02, 0.33),
                 ratio: Sequence[float] = (0.3, 3.3),
                 fill: Union[Sequence[float], float] = IMAGENET_MEAN_255,
                 max_attempts: int = 10,
                 modality=None) -> None:
        super().__init__(modality)
        self._set_prob(prob)
        if len(scale) != 2 or not 0.0 < scale[0] <= scale[1] <= 1.0:
            raise ValueError(f'TorchvisionRandomErasing: scale must be (low, '
                             f'high) in (0, 1], got {scale!r}')
        if len(ratio) != 2 or not 0.0 < ratio[0] <= ratio[1]:
            raise ValueError(f'TorchvisionRandomErasing: ratio must be (low, '
                             f'high) with 0 < low <= high, got {ratio!r}')
        if max_attempts < 1:
            raise ValueError(f'TorchvisionRandomErasing: max_attempts must be '
                             f'>= 1, got {max_attempts}')
        self.scale = tuple(scale)
        self.ratio = tuple(ratio)
        self.fill = tuple(fill) if isinstance(fill, Sequence) else fill
        self.max_attempts = int(max_attempts)

    def transform(self, results: dict) -> dict:
        """Maybe erase a rectangle of ``results['img']``."""
        img = self._get_img(results, 'TorchvisionRandomErasing')
        if rand_uniform() >= self.prob:
            return results
        h, w = img.shape[:2]
        log_r = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(self.max_attempts):
            area = h * w * rand_uniform(*self.scale)
            aspect = math.exp(rand_uniform(*log_r))
            eh = int(round(math.sqrt(area * aspect)))
            ew = int(round(math.sqrt(area / aspect)))
            if not (eh < h and ew < w):
                continue
            top = rand_int(0, h - eh + 1)
            left = rand_int(0, w - ew + 1)
            img = img.copy()
            value = np.clip(np.rint(np.asarray(self.fill, np.float64)), 0,
                            255).astype(img.dtype)
            img[top:top + eh, left:left + ew] = value
            results['img'] = img
            break
        return results

    def _params(self) -> dict:
        return dict(
            prob=self.prob,
            scale=self.scale,
            ratio=self.ratio,
            fill=self.fill,
            max_attempts=self.max_attempts)
