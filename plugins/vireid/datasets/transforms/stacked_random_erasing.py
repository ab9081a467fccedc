# Copyright (c) vireid contributors. All rights reserved.
"""Random erasing of stacked [visible | middle] images with one draw."""
import numpy as np

from vireid.registry import TRANSFORMS
from .random_erasing import RandomErasing


@TRANSFORMS.register_module()
class StackedRandomErasing(RandomErasing):
    """:class:`RandomErasing` that also works on ``H x W x 3k`` stacks.

    After :class:`LoadTransitionImage` a visible item holds ``[V | M]`` as
    6 channels; this erases the *same* rectangle in both, with the
    per-channel 3-value ``fill`` repeated for every group of 3 channels
    (``'random'`` draws independent pixels). On 3-channel images it is
    exactly :class:`RandomErasing` (same draws). Use ``fill=CIFAR_MEAN_255``
    for CAJ's channel erasing. Same arguments as :class:`RandomErasing`.
    """

    def _fill_values(self, shape, dtype) -> np.ndarray:
        channels = shape[-1] if len(shape) == 3 else 1
        if (self.fill == 'random' or channels == 3 or not isinstance(
                self.fill, tuple) or len(self.fill) != 3
                or channels % 3):
            return super()._fill_values(shape, dtype)
        tiled = tuple(self.fill) * (channels // 3)
        value = np.asarray(tiled, dtype=np.float64)
        return np.broadcast_to(np.clip(np.rint(value), 0, 255).astype(dtype),
                               shape)
