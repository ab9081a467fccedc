# Copyright (c) vireid contributors. All rights reserved.
"""Data sets, samplers, transforms and the synthetic data generator.

Importing this package registers every dataset, sampler and transform in
:mod:`vireid.registry` (the registries' lazy ``locations`` import it).
"""
from .base_vireid_dataset import BaseVIReIDDataset
from .llcm import LLCMDataset
from .regdb import RegDBDataset
from .samplers import *  # noqa: F401,F403
from .synthetic import (SyntheticDifficulty, make_synthetic,
                        make_synthetic_llcm, make_synthetic_regdb,
                        make_synthetic_sysu, save_sample_grid)
from .sysu_mm01 import SYSUMM01Dataset
from .transforms import *  # noqa: F401,F403

__all__ = [
    'BaseVIReIDDataset', 'SYSUMM01Dataset', 'RegDBDataset', 'LLCMDataset',
    'CrossModalIdentitySampler', 'LoadVIReIDImage', 'ReIDResize',
    'RandomPadCrop', 'RandomHFlip', 'RandomErasing', 'ChannelExchange',
    'ChannelAdapGray', 'ChannelRandomErasing', 'RandomGrayscale',
    'PackVIReIDInputs', 'SyntheticDifficulty', 'make_synthetic',
    'make_synthetic_sysu', 'make_synthetic_regdb', 'make_synthetic_llcm',
    'save_sample_grid'
]
