# Copyright (c) vireid contributors. All rights reserved.
"""CAJ's adaptive grey-scale channel augmentation."""
from vireid.registry import TRANSFORMS
from .base import BaseVIReIDTransform, rand_int, rand_uniform
from .channel_exchange import copy_channel, to_gray3


@TRANSFORMS.register_module()
class ChannelAdapGray(BaseVIReIDTransform):
    """CAJ's ``ChannelAdapGray`` (Ye et al., ICCV 2021).

    ``idx`` is drawn uniformly from ``{0, 1, 2, 3}``. ``idx`` 0, 1, 2 copies
    the R, G or B channel into all three channels; ``idx == 3`` converts to
    grey (0.2989 R + 0.587 G + 0.114 B) with probability ``prob`` and
    otherwise leaves the image unchanged. Acts on uint8 pixels or, after
    :class:`NormalizeImage`, on the normalised image (CAJ's order).

    Args:
        prob (float): Grey-scale probability in the ``idx == 3`` case.
            Defaults to 0.5.
        modality (int, optional): Restrict to one modality (CAJ applies it
            to infrared images: ``modality=1``).
    """

    def __init__(self, prob: float = 0.5, modality=None) -> None:
        super().__init__(modality)
        self._set_prob(prob)

    def transform(self, results: dict) -> dict:
        """Apply the augmentation.

        Args:
            results (dict): Needs ``img``.

        Returns:
            dict: ``results`` with ``img``.
        """
        img = self._get_img(results, 'ChannelAdapGray')
        idx = rand_int(0, 4)
        if idx < 3:
            results['img'] = copy_channel(img, idx)
        elif rand_uniform() < self.prob:
            results['img'] = to_gray3(img)
        return results

    def _params(self) -> dict:
        return dict(prob=self.prob)
