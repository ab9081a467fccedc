# Copyright (c) vireid contributors. All rights reserved.
"""Zero-padding followed by a random crop back to the input size."""
from typing import Sequence, Union

import numpy as np

from vireid.registry import TRANSFORMS
from .base import BaseVIReIDTransform, rand_int


@TRANSFORMS.register_module()
class RandomPadCrop(BaseVIReIDTransform):
    """Pad by ``pad`` pixels on every side, then crop the input size.

    Equivalent to torchvision's ``Pad(pad)`` + ``RandomCrop((h, w))`` used
    by AGW, CAJ and DEEN.

    Args:
        pad (int): Padding on each side, in pixels.
        fill (int | Sequence[int]): Padding value (per channel). Defaults to
            0 (black, as AGW).
        modality (int, optional): Restrict to one modality.
    """

    def __init__(self,
                 pad: int = 10,
                 fill: Union[int, Sequence[int]] = 0,
                 modality=None) -> None:
        super().__init__(modality)
        if int(pad) != pad or pad < 0:
            raise ValueError(f'RandomPadCrop: pad must be a non-negative '
                             f'integer, got {pad!r}')
        self.pad = int(pad)
        self.fill = fill

    def transform(self, results: dict) -> dict:
        """Pad and crop the image.

        Args:
            results (dict): Needs ``img``.

        Returns:
            dict: ``results`` with the cropped ``img`` (same size).
        """
        img = self._get_img(results, 'RandomPadCrop')
        if self.pad == 0:
            return results
        h, w = img.shape[:2]
        p = self.pad
        padded = np.empty((h + 2 * p, w + 2 * p) + img.shape[2:], img.dtype)
        padded[...] = np.asarray(self.fill, dtype=img.dtype)
        padded[p:p + h, p:p + w] = img
        top = rand_int(0, 2 * p + 1)
        left = rand_int(0, 2 * p + 1)
        results['img'] = np.ascontiguousarray(padded[top:top + h,
                                                     left:left + w])
        return results

    def _params(self) -> dict:
        return dict(pad=self.pad, fill=self.fill)
