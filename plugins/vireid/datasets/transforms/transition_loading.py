# Copyright (c) vireid contributors. All rights reserved.
"""Loading MTRL's offline middle images, stacked with the visible image."""
import os.path as osp

import cv2
import numpy as np

from vireid.registry import TRANSFORMS
from .base import BaseVIReIDTransform
from .loading import LoadVIReIDImage

#: Channels of ``results['img']`` that hold the middle image after
#: :class:`LoadTransitionImage`.
TRANSITION_SLICE = slice(3, 6)


@TRANSFORMS.register_module()
class LoadTransitionImage(BaseVIReIDTransform):
    """Stack the offline middle image of a visible image as channels 3-5.

    MTRL option (d) (**[RECON]**): visible -> infrared translations made
    offline, stored next to the data set with the visible image's relative
    path::

        <data_root>/<folder>/<rel_path of the visible image>
        e.g. data/SYSU-MM01/translated/cam1/0001/0001.jpg for
             data/SYSU-MM01/cam1/0001/0001.jpg

    (``folder`` may also be an absolute directory). Put this transform
    right after :class:`LoadVIReIDImage`: it turns the visible ``img`` into
    an ``H x W x 6`` array ``[V | M]``, so every later geometric transform
    (:class:`ReIDResize`, :class:`RandomPadCrop`, :class:`RandomHFlip`) and
    :class:`StackedRandomErasing` acts on both with the *same* draw, and
    :class:`PackMTRLInputs` splits them again. Pixel-wise colour transforms
    of the visible image (channel exchange, grey) must come after the split
    or be left out. Infrared items pass through unchanged.

    Args:
        folder (str): The translated-image folder, relative to the data
            root (derived as ``img_path`` minus ``rel_path``) or absolute.
            Defaults to ``'translated'``.
        resize_to_visible (bool): Resize a translated image of another size
            to the visible image's size (a translation of the whole image
            stays aligned); otherwise a size mismatch is an error. Defaults
            to True.

    Raises:
        FileNotFoundError: If a translated file is missing (the message
            names it, the visible image and the layout).
    """

    def __init__(self, folder: str = 'translated',
                 resize_to_visible: bool = True) -> None:
        super().__init__(modality=0)
        if not folder:
            raise ValueError('LoadTransitionImage: folder must be a non-empty '
                             'path')
        self.folder = folder
        self.resize_to_visible = resize_to_visible
        self._loader = LoadVIReIDImage()

    def transition_path(self, results: dict) -> str:
        """The translated file of an item.

        Args:
            results (dict): Needs ``img_path`` and ``rel_path``.

        Returns:
            str: The path of the middle image.
        """
        for key in ('img_path', 'rel_path'):
            if key not in results:
                raise KeyError(f'LoadTransitionImage needs results[{key!r}]; '
                               f'got keys {sorted(results)}')
        if osp.isabs(self.folder):
            root = self.folder
        else:
            img_path = results['img_path'].replace('\\', '/')
            rel = results['rel_path']
            if not img_path.endswith(rel):
                raise ValueError(f'LoadTransitionImage: img_path {img_path} '
                                 f'does not end with rel_path {rel}')
            data_root = img_path[:len(img_path) - len(rel)].rstrip('/')
            root = osp.join(data_root, self.folder)
        return osp.join(root, *results['rel_path'].split('/'))

    def transform(self, results: dict) -> dict:
        """Load and stack the middle image.

        Args:
            results (dict): A visible item with ``img`` (H x W x 3).

        Returns:
            dict: ``results`` with ``img`` H x W x 6 and ``transition_path``.
        """
        img = self._get_img(results, 'LoadTransitionImage')
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f'LoadTransitionImage: expected an H x W x 3 '
                             f'visible image, got {img.shape} for '
                             f'{results.get("img_path")} (use it once, right '
                             f'after LoadVIReIDImage)')
        path = self.transition_path(results)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'MTRL offline middle image not found: {path} (for the '
                f'visible image {results["img_path"]}); expected layout '
                f'<data_root>/{self.folder}/<rel_path of the visible image>, '
                f'or set LoadTransitionImage(folder=...)')
        mid = self._loader.transform(dict(img_path=path))['img']
        if mid.shape[:2] != img.shape[:2]:
            if not self.resize_to_visible:
                raise ValueError(
                    f'LoadTransitionImage: {path} is {mid.shape[:2]} but the '
                    f'visible image {results["img_path"]} is '
                    f'{img.shape[:2]}; set resize_to_visible=True')
            mid = cv2.resize(mid, (img.shape[1], img.shape[0]),
                             interpolation=cv2.INTER_LINEAR)
        results['img'] = np.concatenate([img, mid], axis=2)
        results['transition_path'] = path
        return results

    def _params(self) -> dict:
        return dict(folder=self.folder,
                    resize_to_visible=self.resize_to_visible)
