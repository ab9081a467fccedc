# Copyright (c) vireid contributors. All rights reserved.
"""Data sets, samplers and transforms.

Importing this package registers every dataset, sampler and transform in
:mod:`vireid.registry` (the registries' lazy ``locations`` import it).
"""
from .base_vireid_dataset import BaseVIReIDDataset
from .llcm import LLCMDataset
from .regdb import RegDBDataset
from .samplers import *  # noqa: F401,F403
from .sysu_mm01 import SYSUMM01Dataset
from .transforms import *  # noqa: F401,F403

__all__ = [
    'BaseVIReIDDataset', 'SYSUMM01Dataset', 'RegDBDataset', 'LLCMDataset',
    'CrossModalIdentitySampler', 'LoadVIReIDImage', 'ReIDResize',
    'RandomPadCrop', 'RandomHFlip', 'RandomErasing', 'ChannelExchange',
    'ChannelAdapGray', 'ChannelRandomErasing', 'RandomGrayscale',
    'PackVIReIDInputs'
]

_MOVED_TO_SYNTHETIC = ('SyntheticDifficulty', 'make_synthetic',
                       'make_synthetic_sysu', 'make_synthetic_regdb',
                       'make_synthetic_llcm', 'save_sample_grid')


def __getattr__(name: str):
    # The generator moved to vireid.synthetic (training never imports it);
    # the old names still resolve, on first access only.
    if name in _MOVED_TO_SYNTHETIC:
        import vireid.synthetic
        return getattr(vireid.synthetic, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
