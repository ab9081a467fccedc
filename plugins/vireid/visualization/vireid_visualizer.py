# Copyright (c) vireid contributors. All rights reserved.
"""The vireid Visualizer: ranked lists to every vis backend."""
from typing import Optional, Sequence

import numpy as np
from mmengine.visualization import Visualizer

from vireid.registry import VISUALIZERS
from .ranked_list import draw_ranked_list


@VISUALIZERS.register_module()
class VIReIDVisualizer(Visualizer):
    """mmengine's :class:`~mmengine.visualization.Visualizer` that also
    draws ranked lists.

    :meth:`add_ranked_list` draws a query with its top-k gallery (rank
    numbers, identities, cameras, distances, true matches marked, a legend
    and the trial in the title) and sends the picture to every backend
    (``vis_data/vis_image/*.png`` with ``LocalVisBackend``, the *Images* tab
    with ``TensorboardVisBackend``), next to the scalars the runner logs.

    Args:
        name (str): Instance name.
        tile_size (Sequence[int]): ``(height, width)`` of each image tile.
        **kwargs: :class:`~mmengine.visualization.Visualizer` arguments
            (``vis_backends``, ``save_dir``, ...).
    """

    def __init__(self, name: str = 'visualizer',
                 tile_size: Sequence[int] = (128, 64), **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.tile_size = tuple(tile_size)

    def draw_ranked_list(self, query_path: str,
                         gallery_paths: Sequence[str],
                         matches: Sequence[bool],
                         tile_size: Optional[Sequence[int]] = None,
                         **kwargs) -> np.ndarray:
        """Draw one ranked list; see
        :func:`vireid.visualization.draw_ranked_list`.

        Returns:
            np.ndarray: The RGB picture (also kept as the current image).
        """
        img = draw_ranked_list(query_path, gallery_paths, matches,
                               size=tuple(tile_size or self.tile_size),
                               **kwargs)
        self.set_image(img)
        return img

    def add_ranked_list(self, name: str, image: np.ndarray,
                        step: int = 0) -> None:
        """Send a drawn ranked list (or a stack of them) to the backends.

        Args:
            name (str): Image tag, e.g. ``'ranked_lists'``.
            image (np.ndarray): RGB ``uint8`` picture.
            step (int): Global step (the epoch for validation pictures).
        """
        self.add_image(name, image, step)
