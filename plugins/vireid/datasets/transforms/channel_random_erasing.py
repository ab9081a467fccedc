# Copyright (c) vireid contributors. All rights reserved.
"""CAJ's channel random erasing."""
from typing import Sequence, Union

from vireid.registry import TRANSFORMS
from .random_erasing import RandomErasing

#: CIFAR mean (0.4914, 0.4822, 0.4465) on the 0-255 scale, CAJ's fill.
CIFAR_MEAN_255 = (0.4914 * 255, 0.4822 * 255, 0.4465 * 255)


@TRANSFORMS.register_module()
class ChannelRandomErasing(RandomErasing):
    """Random erasing with a per-channel constant fill, as in CAJ.

    Ye et al., "Channel Augmented Joint Learning for Visible-Infrared
    Recognition", ICCV 2021 (``ChannelRandomErasing``): each channel of the
    rectangle is filled with that channel's CIFAR mean (0.4914, 0.4822,
    0.4465), here on the 0-255 scale because vireid erases before
    normalisation. Same sampling as :class:`RandomErasing`.

    Args:
        prob (float): Probability of erasing. Defaults to 0.5.
        area (Sequence[float]): Range of the erased fraction. Defaults to
            ``(0.02, 0.4)``.
        min_aspect (float): Smallest aspect ratio. Defaults to 0.3.
        fill (Sequence[float]): Per-channel fill. Defaults to the CIFAR mean.
        max_attempts (int): Number of tries. Defaults to 100.
        modality (int, optional): Restrict to one modality.
    """

    def __init__(self,
                 prob: float = 0.5,
                 area: Sequence[float] = (0.02, 0.4),
                 min_aspect: float = 0.3,
                 fill: Union[Sequence[float], float, str] = CIFAR_MEAN_255,
                 max_attempts: int = 100,
                 modality=None) -> None:
        super().__init__(
            prob=prob,
            area=area,
            min_aspect=min_aspect,
            fill=fill,
            max_attempts=max_attempts,
            modality=modality)
