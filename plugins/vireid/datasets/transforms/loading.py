# Copyright (c) vireid contributors. All rights reserved.
"""Image loading."""
import os.path as osp

import cv2
import numpy as np

from vireid.registry import TRANSFORMS
from .base import BaseVIReIDTransform

_JPEG_SOI = b'\xff\xd8'
_JPEG_EOI = b'\xff\xd9'


@TRANSFORMS.register_module()
class LoadVIReIDImage(BaseVIReIDTransform):
    """Read ``results['img_path']`` into an HWC uint8 RGB array.

    The image is decoded with OpenCV and always has three channels: grey
    images (and the infrared images of the real data sets, which are stored
    as near-equal 3-channel files) are replicated to 3 channels, an alpha
    channel is dropped. Adds ``img``, ``img_shape`` and ``ori_shape``
    (``(h, w)``).

    Args:
        check_truncation (bool): Also reject JPEG files that lack the
            end-of-image marker (OpenCV decodes truncated JPEGs partially and
            only prints a warning). Defaults to True.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the file is empty, truncated or cannot be decoded.
    """

    def __init__(self, check_truncation: bool = True) -> None:
        super().__init__(modality=None)
        self.check_truncation = check_truncation

    def transform(self, results: dict) -> dict:
        """Load the image.

        Args:
            results (dict): Needs ``img_path``.

        Returns:
            dict: ``results`` with ``img``, ``img_shape`` and ``ori_shape``.
        """
        path = results.get('img_path')
        if path is None:
            raise KeyError('LoadVIReIDImage needs results["img_path"]; got '
                           f'keys {sorted(results)}')
        if not osp.isfile(path):
            raise FileNotFoundError(f'image file not found: {path}')
        buf = np.fromfile(path, dtype=np.uint8)
        if buf.size == 0:
            raise ValueError(f'cannot decode image file {path}: the file is '
                             f'empty')
        raw = buf.tobytes()
        if (self.check_truncation and raw.startswith(_JPEG_SOI)
                and _JPEG_EOI not in raw[-1024:]):
            raise ValueError(f'cannot decode image file {path}: truncated '
                             f'JPEG (no end-of-image marker)')
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(f'cannot decode image file {path}: corrupt or '
                             f'not an image')
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def _params(self) -> dict:
        return dict(check_truncation=self.check_truncation)
