# Copyright (c) vireid contributors. All rights reserved.
from .vireid_model import VIReIDModel

__all__ = ['VIReIDModel']
