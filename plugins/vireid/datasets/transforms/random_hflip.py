# Copyright (c) vireid contributors. All rights reserved.
"""Random horizontal flip."""
import cv2

from vireid.registry import TRANSFORMS
from .base import BaseVIReIDTransform, rand_uniform


@TRANSFORMS.register_module()
class RandomHFlip(BaseVIReIDTransform):
    """Flip the image left-right with probability ``prob``.

    Sets ``results['flip']`` to whether the image was flipped.

    Args:
        prob (float): Flip probability. Defaults to 0.5.
        modality (int, optional): Restrict to one modality.
    """

    def __init__(self, prob: float = 0.5, modality=None) -> None:
        super().__init__(modality)
        self._set_prob(prob)

    def transform(self, results: dict) -> dict:
        """Maybe flip the image.

        Args:
            results (dict): Needs ``img``.

        Returns:
            dict: ``results`` with ``img`` and ``flip``.
        """
        img = self._get_img(results, 'RandomHFlip')
        flip = rand_uniform() < self.prob
        if flip:
            # cv2.flip: a contiguous copy, ~40x faster than
            # np.ascontiguousarray(img[:, ::-1]), the same bytes
            # (cv2 drops a trailing 1-channel axis: restore the shape)
            results['img'] = cv2.flip(img, 1).reshape(img.shape)
        results['flip'] = flip
        return results

    def _params(self) -> dict:
        return dict(prob=self.prob)
