# Copyright (c) vireid contributors. All rights reserved.
from .icre import ICRE
from .vireid_model import VIReIDModel

__all__ = ['VIReIDModel', 'ICRE']
