# Copyright (c) vireid contributors. All rights reserved.
from .icre import ICRE
from .idkl import IDKL
from .mtrl import MTRL, TRAIN_ONLY_MODULES, strip_train_only
from .vireid_model import VIReIDModel

__all__ = [
    'VIReIDModel', 'ICRE', 'IDKL', 'MTRL', 'TRAIN_ONLY_MODULES',
    'strip_train_only'
]
