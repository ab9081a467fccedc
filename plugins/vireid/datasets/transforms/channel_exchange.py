# Copyright (c) vireid contributors. All rights reserved.
"""CAJ's channel exchange."""
import numpy as np

from vireid.registry import TRANSFORMS
from .base import BaseVIReIDTransform, rand_int

#: ITU-R 601 luma weights used by CAJ (R, G, B).
GRAY_WEIGHTS = (0.2989, 0.587, 0.114)


def to_gray3(img: np.ndarray) -> np.ndarray:
    """Grey image ``0.2989 R + 0.587 G + 0.114 B`` replicated to 3 channels.

    Works on uint8 pixels (rounded and clipped back to uint8) and on float
    images, e.g. normalised ones after :class:`NormalizeImage` (no rounding:
    CAJ mixes the *normalised* channels).

    Args:
        img (np.ndarray): HWC RGB image, uint8 or float.

    Returns:
        np.ndarray: HWC image of the same dtype with three equal channels.
    """
    gray = img[..., :3].astype(np.float32) @ np.asarray(
        GRAY_WEIGHTS, dtype=np.float32)
    if img.dtype == np.uint8:
        gray = np.clip(np.rint(gray), 0, 255).astype(np.uint8)
    else:
        gray = gray.astype(img.dtype)
    return np.repeat(gray[..., None], 3, axis=2)


def copy_channel(img: np.ndarray, idx: int) -> np.ndarray:
    """Copy channel ``idx`` (0 R, 1 G, 2 B) into all three channels.

    Args:
        img (np.ndarray): HWC RGB image (uint8 or float; CAJ copies the
            channels of the normalised tensor).
        idx (int): The channel to keep.

    Returns:
        np.ndarray: HWC image with three equal channels.
    """
    return np.repeat(img[..., idx:idx + 1], 3, axis=2)


@TRANSFORMS.register_module()
class ChannelExchange(BaseVIReIDTransform):
    """Copy one random colour channel into all three (CAJ, ICCV 2021).

    Ye et al., "Channel Augmented Joint Learning for Visible-Infrared
    Recognition": ``idx`` is drawn uniformly from ``{0, ..., gray}``;
    ``idx`` 0, 1, 2 copies the R, G or B channel into all three channels,
    ``idx >= 3`` (only when ``gray >= 3``) converts to grey
    (0.2989 R + 0.587 G + 0.114 B). The default ``gray=2`` always copies a
    single channel, as CAJ's training script.

    Acts on uint8 pixels or, after :class:`NormalizeImage`, on the
    normalised image as CAJ does (copying a normalised channel is not the
    same as copying the pixel channel, since the channels have different
    means and stds).

    Args:
        gray (int): Largest index drawn. Defaults to 2.
        modality (int, optional): Restrict to one modality (CAJ applies it
            to visible images: ``modality=0``).
    """

    def __init__(self, gray: int = 2, modality=None) -> None:
        super().__init__(modality)
        if int(gray) != gray or gray < 0:
            raise ValueError(f'ChannelExchange: gray must be a non-negative '
                             f'integer, got {gray!r}')
        self.gray = int(gray)

    def transform(self, results: dict) -> dict:
        """Exchange the channels.

        Args:
            results (dict): Needs ``img``.

        Returns:
            dict: ``results`` with ``img``.
        """
        img = self._get_img(results, 'ChannelExchange')
        idx = rand_int(0, self.gray + 1)
        results['img'] = copy_channel(img, idx) if idx < 3 else to_gray3(img)
        return results

    def _params(self) -> dict:
        return dict(gray=self.gray)
