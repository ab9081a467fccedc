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
#: ImageNet mean as a value *in normalised space*: what DEEN/LLCM write into
#: the normalised tensor (``RandomErasing(mean=[0.485, 0.456, 0.406])`` after
#: ``Normalize``), i.e. pixels of about (152.0, 142.3, 126.8).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
#: Where the image lives when it is erased (see RandomErasing).
SPACES = ('pixel', 'normalized')


@TRANSFORMS.register_module()
class RandomErasing(BaseVIReIDTransform):
    """Erase a random rectangle with probability ``prob``.

    Up to ``max_attempts`` times, a target area ``uniform(*area)`` times the
    image area and an aspect ratio ``uniform(min_aspect, 1 / min_aspect)``
    are drawn; the first rectangle that fits is filled.

    ``space`` says where the image is when it is erased, and so on which
    scale ``fill`` is:

    - ``'pixel'`` (default): the uint8 image before normalisation, ``fill``
      on the 0-255 scale (default: the ImageNet mean, i.e. 0 after
      normalisation);
    - ``'normalized'``: the float image written by :class:`NormalizeImage`,
      ``fill`` written as it is into the normalised image (default: the
      ImageNet mean ``(0.485, 0.456, 0.406)``, DEEN / LLCM's fill);
      ``'random'`` then draws standard-normal values.

    An image of the other kind (float in ``'pixel'`` space, uint8 in
    ``'normalized'`` space) is an error, so a fill is never written on the
    wrong scale.

    Args:
        prob (float): Probability of erasing. Defaults to 0.5.
        area (Sequence[float]): Range of the erased fraction of the image.
            Defaults to ``(0.02, 0.4)``.
        min_aspect (float): Smallest aspect ratio (height / width); the
            largest is ``1 / min_aspect``. Defaults to 0.3.
        fill (Sequence[float] | float | str, optional): Per-channel fill
            value, a scalar, or ``'random'`` (uniform random pixels, or
            standard-normal values in normalised space). ``None`` (default)
            is the ImageNet mean of ``space``.
        max_attempts (int): Number of tries. Defaults to 100.
        space (str): ``'pixel'`` or ``'normalized'``, see above.
        modality (int, optional): Restrict to one modality.
    """

    def __init__(self,
                 prob: float = 0.5,
                 area: Sequence[float] = (0.02, 0.4),
                 min_aspect: float = 0.3,
                 fill: Union[Sequence[float], float, str, None] = None,
                 max_attempts: int = 100,
                 space: str = 'pixel',
                 modality=None) -> None:
        super().__init__(modality)
        name = type(self).__name__
        if space not in SPACES:
            raise ValueError(f'{name}: space must be one of {SPACES}, got '
                             f'{space!r}')
        self.space = space
        if fill is None:
            fill = self.default_fill(space)
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
        is_uint8 = img.dtype == np.uint8
        if is_uint8 != (self.space == 'pixel'):
            raise TypeError(
                f'{type(self).__name__}(space={self.space!r}) got a '
                f'{img.dtype} image ({results.get("img_path")}): '
                f"space='pixel' erases uint8 images before normalisation, "
                f"space='normalized' float images after NormalizeImage")
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

    @staticmethod
    def default_fill(space: str):
        """The fill used when ``fill=None`` (ImageNet mean of ``space``)."""
        return IMAGENET_MEAN_255 if space == 'pixel' else IMAGENET_MEAN

    def _fill_values(self, shape, dtype) -> np.ndarray:
        if self.fill == 'random':
            if self.space == 'normalized':
                return torch.randn(shape).numpy().astype(dtype)
            return torch.randint(0, 256, shape, dtype=torch.uint8).numpy()
        value = np.asarray(self.fill, dtype=np.float64)
        if self.space == 'normalized':
            return np.broadcast_to(value.astype(dtype), shape)
        return np.broadcast_to(np.clip(np.rint(value), 0, 255).astype(dtype),
                               shape)

    def _params(self) -> dict:
        return dict(
            prob=self.prob,
            area=self.area,
            min_aspect=self.min_aspect,
            fill=self.fill,
            max_attempts=self.max_attempts,
            space=self.space)
