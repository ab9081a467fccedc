# Copyright (c) vireid contributors. All rights reserved.
"""Packing an item into model inputs and a data sample."""
from typing import Sequence

import numpy as np
import torch

from vireid.registry import TRANSFORMS
from vireid.structures import VIReIDDataSample
from .base import BaseVIReIDTransform


@TRANSFORMS.register_module()
class PackVIReIDInputs(BaseVIReIDTransform):
    """Pack ``results`` into ``dict(inputs=..., data_samples=...)``.

    ``inputs`` is a uint8 CHW tensor in RGB order (the data preprocessor
    casts and normalises it), or a float32 one when :class:`NormalizeImage`
    ran (then ``img_norm_cfg`` is kept in the metainfo and the data
    preprocessor does not normalise again). ``data_samples`` is a
    :class:`~vireid.structures.VIReIDDataSample` whose ``gt_label`` is set
    from ``results['gt_label']`` and whose metainfo holds the ``meta_keys``
    present in ``results``.

    Args:
        meta_keys (Sequence[str]): Keys copied to the data sample's
            metainfo. ``img_path``, ``rel_path``, ``pid``, ``camid``,
            ``modality`` and ``is_query`` are required; the others are copied
            when present.
    """

    REQUIRED_KEYS = ('img_path', 'rel_path', 'pid', 'camid', 'modality',
                     'is_query')

    def __init__(self,
                 meta_keys: Sequence[str] = ('img_path', 'rel_path', 'pid',
                                             'camid', 'modality', 'is_query',
                                             'sample_idx', 'ori_shape',
                                             'img_shape', 'flip', 'view',
                                             'img_norm_cfg')) -> None:
        super().__init__(modality=None)
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        """Pack the item.

        Args:
            results (dict): Needs ``img``, ``gt_label`` and the required
                meta keys.

        Returns:
            dict: ``inputs`` (uint8 tensor ``3 x H x W``) and
            ``data_samples`` (VIReIDDataSample).
        """
        img = self._get_img(results, 'PackVIReIDInputs')
        normalised = 'img_norm_cfg' in results
        dtype = np.float32 if normalised else np.uint8
        if not isinstance(img, np.ndarray) or img.dtype != dtype \
                or img.ndim != 3 or img.shape[2] != 3:
            what = ('float32 (after NormalizeImage)' if normalised else
                    'uint8')
            raise TypeError(
                f'PackVIReIDInputs expects an HWC {what} RGB image, got '
                f'{type(img).__name__} {getattr(img, "dtype", "")} '
                f'{getattr(img, "shape", "")} for {results.get("img_path")}')
        missing = [k for k in self.REQUIRED_KEYS + ('gt_label', )
                   if k not in results]
        if missing:
            raise KeyError(f'PackVIReIDInputs: results lack {missing} for '
                           f'{results.get("img_path")}')
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0,
                                                                     1)))
        sample = VIReIDDataSample()
        sample.set_gt_label(int(results['gt_label']))
        meta = {}
        for key in self.meta_keys:
            if key in results:
                value = results[key]
                if key in ('pid', 'camid', 'modality', 'sample_idx', 'view'):
                    value = int(value)
                elif key in ('is_query', 'flip'):
                    value = bool(value)
                meta[key] = value
        sample.set_metainfo(meta)
        return dict(inputs=inputs, data_samples=sample)

    def _params(self) -> dict:
        return dict(meta_keys=self.meta_keys)
