# Copyright (c) vireid contributors. All rights reserved.
"""The base class of vireid's dict-in/dict-out transforms."""
from typing import Optional

import torch

__all__ = ['BaseVIReIDTransform', 'rand_uniform', 'rand_int']


def rand_uniform(low: float = 0.0, high: float = 1.0) -> float:
    """Draw a float uniformly from ``[low, high)`` with torch's RNG.

    torch's default generator is seeded per DataLoader worker and by
    mmengine's ``randomness`` setting, so augmentations are reproducible and
    differ between workers without touching Python's or numpy's global RNG.

    Args:
        low (float): Lower bound.
        high (float): Upper bound.

    Returns:
        float: The draw.
    """
    return low + (high - low) * float(torch.rand(()))


def rand_int(low: int, high: int) -> int:
    """Draw an integer uniformly from ``[low, high)`` with torch's RNG.

    Args:
        low (int): Lower bound (inclusive).
        high (int): Upper bound (exclusive), ``> low``.

    Returns:
        int: The draw.
    """
    return int(torch.randint(low, high, ()))


class BaseVIReIDTransform:
    """Base of the transforms: a ``results`` dict in, the same dict out.

    Images are HWC uint8 RGB numpy arrays under ``results['img']`` until
    :class:`PackVIReIDInputs`. A transform built with ``modality=0`` (or
    ``1``) acts only on visible (or infrared) images and passes the others
    through unchanged; ``modality=None`` acts on every image.

    Args:
        modality (int, optional): Restrict the transform to one modality.
    """

    def __init__(self, modality: Optional[int] = None) -> None:
        if modality not in (None, 0, 1):
            raise ValueError(f'{type(self).__name__}: modality must be None, '
                             f'0 (visible) or 1 (infrared), got {modality!r}')
        self.modality = modality

    def _set_prob(self, prob: float) -> None:
        """Check that ``prob`` is a probability and store it as ``self.prob``.

        Args:
            prob (float): A value in [0, 1].
        """
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'{type(self).__name__}: prob must be in [0, 1], '
                             f'got {prob!r}')
        self.prob = prob

    def __call__(self, results: dict) -> dict:
        """Apply :meth:`transform` if the item's modality is selected.

        Args:
            results (dict): The item; needs ``modality`` when the transform
                is restricted to one modality.

        Returns:
            dict: The transformed item.
        """
        if self.modality is not None:
            if 'modality' not in results:
                raise KeyError(
                    f'{type(self).__name__}(modality={self.modality}) needs '
                    f'results["modality"]; got keys {sorted(results)}')
            if int(results['modality']) != self.modality:
                return results
        return self.transform(results)

    def transform(self, results: dict) -> dict:
        """Transform one item (to be overridden).

        Args:
            results (dict): The item.

        Returns:
            dict: The transformed item.
        """
        raise NotImplementedError

    def _params(self) -> dict:
        """Constructor arguments shown by ``repr`` (besides ``modality``)."""
        return {}

    def __repr__(self) -> str:
        params = dict(self._params())
        if self.modality is not None:
            params['modality'] = self.modality
        args = ', '.join(f'{k}={v!r}' for k, v in params.items())
        return f'{type(self).__name__}({args})'

    @staticmethod
    def _get_img(results: dict, name: str):
        if 'img' not in results:
            raise KeyError(f'{name} needs results["img"] (run LoadVIReIDImage '
                           f'first); got keys {sorted(results)}')
        return results['img']
