# Copyright (c) vireid contributors. All rights reserved.
"""Middle images translated offline and loaded by the data pipeline."""
from typing import List, Optional

import torch

from vireid.registry import MODELS
from vireid.structures import VIReIDDataSample
from .base import BaseTransitionGenerator


@MODELS.register_module()
class OfflineTransition(BaseTransitionGenerator):
    """Middle image = a visible->infrared translation read from disk.

    Option (d) of the MTRL reconstruction (**[RECON]**; [2nd] sources claim
    MTRL uses "pre-trained visible-to-infrared image translation models").
    The image is not computed here: the train pipeline's
    :class:`~vireid.datasets.transforms.LoadTransitionImage` stacks the
    translated file with the visible image *before* the geometric
    transforms (so both get the same resize, crop, flip and erasing) and
    :class:`~vireid.datasets.transforms.PackMTRLInputs` stores it in the
    sample as ``transition_img`` (uint8 ``3 x H x W``). This module only
    collects those tensors, in the order of the visible samples.

    Args:
        init_cfg (dict, optional): Unused (no parameters).
    """

    def forward(self, images: torch.Tensor,
                data_samples: Optional[List[VIReIDDataSample]] = None
                ) -> torch.Tensor:
        """See :meth:`BaseTransitionGenerator.forward`.

        Raises:
            KeyError: If a visible sample has no ``transition_img`` (the
                train pipeline lacks ``LoadTransitionImage`` /
                ``PackMTRLInputs``).
            ValueError: If a translated image's size differs from its
                visible image's.
        """
        self._check('OfflineTransition', images)
        if data_samples is None or len(data_samples) != images.shape[0]:
            raise ValueError(
                f'OfflineTransition: needs one data sample per visible image '
                f'({images.shape[0]}), got '
                f'{None if data_samples is None else len(data_samples)}')
        outs = []
        for i, ds in enumerate(data_samples):
            if 'transition_img' not in ds:
                raise KeyError(
                    f'OfflineTransition: visible sample {i} '
                    f'({ds.metainfo.get("img_path", "?")}) has no '
                    f"'transition_img'; the train pipeline needs "
                    f'LoadTransitionImage (after LoadVIReIDImage) and '
                    f'PackMTRLInputs instead of PackVIReIDInputs')
            img = ds.transition_img
            if tuple(img.shape) != tuple(images.shape[1:]):
                raise ValueError(
                    f'OfflineTransition: transition image of '
                    f'{ds.metainfo.get("img_path", "?")} has shape '
                    f'{tuple(img.shape)}, its visible image '
                    f'{tuple(images.shape[1:])}')
            outs.append(img.to(device=images.device, dtype=images.dtype))
        return torch.stack(outs) / 255.0
