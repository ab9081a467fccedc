# Copyright (c) vireid contributors. All rights reserved.
from .icre import ICRE
from .idkl import IDKL
from .vireid_model import VIReIDModel

__all__ = ['VIReIDModel', 'ICRE', 'IDKL']
