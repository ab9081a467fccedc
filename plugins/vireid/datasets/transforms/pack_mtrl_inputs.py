# Copyright (c) vireid contributors. All rights reserved.
"""Packing with MTRL's offline middle image split off the visible image."""
import numpy as np
import torch

from vireid.registry import TRANSFORMS
from .formatting import PackVIReIDInputs
from .transition_loading import TRANSITION_SLICE


@TRANSFORMS.register_module()
class PackMTRLInputs(PackVIReIDInputs):
    """:class:`PackVIReIDInputs` that splits ``[V | M]`` stacks.

    A 6-channel visible image (from :class:`LoadTransitionImage`) is split:
    channels 0-2 become ``inputs`` and channels 3-5 the data field
    ``transition_img`` (uint8 ``3 x H x W``), which the data preprocessor
    moves to the device with the sample and
    :class:`~vireid.models.generators.OfflineTransition` reads. 3-channel
    images (infrared, test) are packed as by :class:`PackVIReIDInputs`.
    Same arguments.
    """

    def transform(self, results: dict) -> dict:
        """Pack the item.

        Args:
            results (dict): See :class:`PackVIReIDInputs`.

        Returns:
            dict: ``inputs`` and ``data_samples`` (with ``transition_img``
            for stacked items).
        """
        img = self._get_img(results, 'PackMTRLInputs')
        mid = None
        if isinstance(img, np.ndarray) and img.ndim == 3 and \
                img.shape[2] == 6:
            mid = img[..., TRANSITION_SLICE]
            results['img'] = img[..., :3]
        elif isinstance(img, np.ndarray) and img.ndim == 3 and \
                img.shape[2] != 3:
            raise TypeError(f'PackMTRLInputs expects an H x W x 3 image or '
                            f'an H x W x 6 [visible | middle] stack, got '
                            f'{img.shape} for {results.get("img_path")}')
        packed = super().transform(results)
        if mid is not None:
            packed['data_samples'].transition_img = torch.from_numpy(
                np.ascontiguousarray(mid.transpose(2, 0, 1)))
        return packed
