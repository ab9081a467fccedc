# Copyright (c) vireid contributors. All rights reserved.
"""CAJ's channel random erasing."""
from typing import Sequence, Union

from vireid.registry import TRANSFORMS
from .random_erasing import RandomErasing

#: CIFAR mean (0.4914, 0.4822, 0.4465), CAJ's fill. CAJ writes it into the
#: *normalised* tensor (``space='normalized'``).
CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
#: The same numbers on the 0-255 scale (``space='pixel'``, vireid's older
#: variant: erasing before normalisation).
CIFAR_MEAN_255 = tuple(v * 255 for v in CIFAR_MEAN)


@TRANSFORMS.register_module()
class ChannelRandomErasing(RandomErasing):
    """Random erasing with a per-channel constant fill, as in CAJ.

    Ye et al., "Channel Augmented Joint Learning for Visible-Infrared
    Recognition", ICCV 2021 (``ChannelRandomErasing``): each channel of the
    rectangle is filled with that channel's CIFAR mean (0.4914, 0.4822,
    0.4465). CAJ erases the **normalised** tensor, so the rectangle gets
    normalised values (0.4914, 0.4822, 0.4465), i.e. pixels of about
    (152.4, 143.8, 129.1): ``space='normalized'`` after
    :class:`NormalizeImage`, which the CAJ configs select. With
    ``space='pixel'`` (default) the CIFAR mean is used on the 0-255 scale
    before normalisation (pixels 125.3, 123.0, 113.9), a different fill.
    Same sampling as :class:`RandomErasing`.

    Args:
        prob (float): Probability of erasing. Defaults to 0.5.
        area (Sequence[float]): Range of the erased fraction. Defaults to
            ``(0.02, 0.4)``.
        min_aspect (float): Smallest aspect ratio. Defaults to 0.3.
        fill (Sequence[float], optional): Per-channel fill. ``None``
            (default) is the CIFAR mean of ``space``.
        max_attempts (int): Number of tries. Defaults to 100.
        space (str): ``'pixel'`` (default) or ``'normalized'``.
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
        super().__init__(
            prob=prob,
            area=area,
            min_aspect=min_aspect,
            fill=fill,
            max_attempts=max_attempts,
            space=space,
            modality=modality)

    @staticmethod
    def default_fill(space: str):
        """The fill used when ``fill=None`` (CIFAR mean of ``space``)."""
        return CIFAR_MEAN_255 if space == 'pixel' else CIFAR_MEAN
