# Copyright (c) vireid contributors. All rights reserved.
"""Random conversion to a 3-channel grey image."""
from vireid.registry import TRANSFORMS
from .base import BaseVIReIDTransform, rand_uniform
from .channel_exchange import to_gray3


@TRANSFORMS.register_module()
class RandomGrayscale(BaseVIReIDTransform):
    """Convert to grey (3 equal channels) with probability ``prob``.

    Same luma as torchvision's ``RandomGrayscale`` (ITU-R 601), used by
    DEEN with ``prob=0.5``.

    Args:
        prob (float): Conversion probability. Defaults to 0.1.
        modality (int, optional): Restrict to one modality.
    """

    def __init__(self, prob: float = 0.1, modality=None) -> None:
        super().__init__(modality)
        self._set_prob(prob)

    def transform(self, results: dict) -> dict:
        """Maybe convert the image.

        Args:
            results (dict): Needs ``img``.

        Returns:
            dict: ``results`` with ``img``.
        """
        img = self._get_img(results, 'RandomGrayscale')
        if rand_uniform() < self.prob:
            results['img'] = to_gray3(img)
        return results

    def _params(self) -> dict:
        return dict(prob=self.prob)
