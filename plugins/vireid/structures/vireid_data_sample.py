# Copyright (c) vireid contributors. All rights reserved.
"""The data structure passed between vireid's pipeline, model and metric."""
from typing import Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement

LabelType = Union[torch.Tensor, np.ndarray, int]

VISIBLE = 0
INFRARED = 1


class VIReIDDataSample(BaseDataElement):
    """One image of a visible-infrared re-identification data set.

    Meta information (read-only once set, stored with ``set_metainfo``):

    - ``img_path`` (str): the image file.
    - ``pid`` (int): the identity as numbered by the data set (its folder).
    - ``camid`` (int): the real camera number (SYSU 1-6, RegDB 1/2, LLCM 1-9).
    - ``modality`` (int): 0 visible, 1 infrared / thermal / near-infrared.
    - ``is_query`` (bool): in a test split, whether the image is a query
      (``False`` means it belongs to the gallery candidate pool).

    Data fields:

    - ``gt_label`` (Tensor): the contiguous training label (``-1`` at test).
    - ``pred_feature`` (Tensor or dict): the embedding(s) written by
      ``predict``; a dict holds several named features (e.g. ``'bn'`` and
      ``'pool'``) for the metric to choose from.
    """

    def set_gt_label(self, value: LabelType) -> 'VIReIDDataSample':
        """Set the ground-truth training label.

        Args:
            value (Tensor | ndarray | int): A scalar label.

        Returns:
            VIReIDDataSample: ``self``.
        """
        if isinstance(value, int):
            value = torch.tensor([value], dtype=torch.long)
        elif isinstance(value, np.ndarray):
            value = torch.from_numpy(value).long().view(-1)
        elif isinstance(value, torch.Tensor):
            value = value.long().view(-1)
        else:
            raise TypeError(f'gt_label must be an int, ndarray or Tensor, '
                            f'got {type(value)}')
        self.set_field(value, 'gt_label', dtype=torch.Tensor)
        return self
