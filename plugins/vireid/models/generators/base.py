# Copyright (c) vireid contributors. All rights reserved.
"""The interface of MTRL's modality-transition (middle) image generators."""
from typing import List, Optional

import torch
from mmengine.model import BaseModule

from vireid.structures import VIReIDDataSample


class BaseTransitionGenerator(BaseModule):
    """Map visible images to pixel-aligned middle images (train time only).

    MTRL (Yuan et al., arXiv 2511.02685) trains with a "middle generated
    image ... fully aligned with the original visible images and similar to
    the infrared modality". A generator receives the **augmented** visible
    batch (after crop, flip and erasing) on the 0-1 scale and returns the
    middle images on the same scale and geometry, so that pixel ``(y, x)``
    of ``M_i`` comes from pixel ``(y, x)`` of ``V_i``.

    Subclasses implement :meth:`forward`; ``data_samples`` (the visible
    samples, same order) are only needed by generators that read
    precomputed images (:class:`OfflineTransition`).
    """

    def forward(self, images: torch.Tensor,
                data_samples: Optional[List[VIReIDDataSample]] = None
                ) -> torch.Tensor:
        """Generate the middle images.

        Args:
            images (Tensor): Visible images ``N x 3 x H x W`` in ``[0, 1]``.
            data_samples (list[VIReIDDataSample], optional): Their samples.

        Returns:
            Tensor: Middle images ``N x 3 x H x W`` in ``[0, 1]``.
        """
        raise NotImplementedError

    @staticmethod
    def _check(name: str, images: torch.Tensor) -> None:
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f'{name}: expected N x 3 x H x W visible images, '
                             f'got {tuple(images.shape)}')
