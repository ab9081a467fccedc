# Copyright (c) vireid contributors. All rights reserved.
from .vireid_data_sample import VIReIDDataSample

__all__ = ['VIReIDDataSample']
