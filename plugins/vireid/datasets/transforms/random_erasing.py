# Copyright (c) vireid contributors. All rights reserved.
"""Random erasing (Zhong et al., AAAI 2020) on uint8 images."""
import math
from typing import Sequence, Union

import numpy as np
import torch

from vireid.registry import TRANSFORMS
from .base import BaseVIReIDTransform, rand_int, rand_uniform

#: ImageNet mean on the 0-255 scale: erasing with it before normalisation is
#: erasing with 0 after it (torchvision's default).
IMAGENET_MEAN_255 = (123.675, 116.28, 103.53)


@TRANSFORMS.register_module()
class RandomErasing(BaseVIReIDTransform):
    """Erase a random rectangle with probability ``prob``.

    Up to ``max_attempts`` times, a target area ``uniform(*area)`` times the
    image area and an aspect ratio ``uniform(min_aspect, 1 / min_aspect)``
    are drawn; the first rectangle that fits is filled. Works on the uint8
    image before normalisation, so ``fill`` is on the 0-255 scale.

    Args:
        prob (float): Probability of erasing. Defaults to 0.5.
        area (Sequence[float]): Range of the erased fraction of the image.
            Defaults to ``(0.02, 0.4)``.
        min_aspect (float): Smallest aspect ratio (height / width); the
            largest is ``1 / min_aspect``. Defaults to 0.3.
        fill (Sequence[float] | float | str): Per-channel fill value
            (0-255), a scalar, or ``'random'`` for uniform random pixels.
            Defaults to the ImageNet mean.
        max_attempts (int): Number of tries. Defaults to 100.
        modality (int, optional): Restrict to one modality.
    """

    def __init__(self,
                 prob: float = 0.5,
                 area: Sequence[float] = (0.02, 0.4),
                 min_aspect: float = 0.3,
                 fill: Union[Sequence[float], float, str] = IMAGENET_MEAN_255,
                 max_attempts: int = 100,
                 modality=None) -> None:
        super().__init__(modality)
        name = type(self).__name__
        self._set_prob(prob)
        if len(area) != 2 or not 0.0 < area[0] <= area[1] <= 1.0:
            raise ValueError(f'{name}: area must be (low, high) with '
                             f'0 < low <= high <= 1, got {area!r}')
        if not 0.0 < min_aspect <= 1.0:
            raise ValueError(f'{name}: min_aspect must be in (0, 1], got '
                             f'{min_aspect!r}')
        if isinstance(fill, str) and fill != 'random':
            raise ValueError(f"{name}: fill must be a number, a per-channel "
                             f"sequence or 'random', got {fill!r}")
        self.area = tuple(area)
        self.min_aspect = min_aspect
        self.fill = fill if isinstance(fill, str) else (
            tuple(fill) if isinstance(fill, Sequence) else fill)
        self.max_attempts = max_attempts

    def transform(self, results: dict) -> dict:
        """Maybe erase a rectangle.

        Args:
            results (dict): Needs ``img``.

        Returns:
            dict: ``results`` with ``img``.
        """
        img = self._get_img(results, type(self).__name__)
        if rand_uniform() >= self.prob:
            return results
        h, w = img.shape[:2]
        for _ in range(self.max_attempts):
            target = rand_uniform(*self.area) * h * w
            aspect = rand_uniform(self.min_aspect, 1.0 / self.min_aspect)
            eh = int(round(math.sqrt(target * aspect)))
            ew = int(round(math.sqrt(target / aspect)))
            if 0 < eh < h and 0 < ew < w:
                top = rand_int(0, h - eh + 1)
                left = rand_int(0, w - ew + 1)
                img = img.copy()
                img[top:top + eh, left:left + ew] = self._fill_values(
                    (eh, ew) + img.shape[2:], img.dtype)
                results['img'] = img
                break
        return results

    def _fill_values(self, shape, dtype) -> np.ndarray:
        if self.fill == 'random':
            return torch.randint(0, 256, shape, dtype=torch.uint8).numpy()
        value = np.asarray(self.fill, dtype=np.float64)
        return np.broadcast_to(np.clip(np.rint(value), 0, 255).astype(dtype),
                               shape)

    def _params(self) -> dict:
        return dict(
            prob=self.prob,
            area=self.area,
            min_aspect=self.min_aspect,
            fill=self.fill,
            max_attempts=self.max_attempts)
