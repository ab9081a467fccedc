# Copyright (c) vireid contributors. All rights reserved.
"""Dict-in/dict-out data transforms registered in ``vireid.registry``."""
from .base import BaseVIReIDTransform
from .channel_adap_gray import ChannelAdapGray
from .channel_exchange import ChannelExchange
from .channel_random_erasing import ChannelRandomErasing
from .formatting import PackVIReIDInputs
from .loading import LoadVIReIDImage
from .multiview import ModalityViews, multiview_collate
from .normalize import NormalizeImage
from .pack_mtrl_inputs import PackMTRLInputs
from .random_erasing import RandomErasing
from .random_grayscale import RandomGrayscale
from .random_hflip import RandomHFlip
from .random_pad_crop import RandomPadCrop
from .resize import ReIDResize
from .stacked_random_erasing import StackedRandomErasing
from .transition_loading import LoadTransitionImage
from .tv_random_erasing import TorchvisionRandomErasing

__all__ = [
    'BaseVIReIDTransform', 'LoadVIReIDImage', 'ReIDResize', 'RandomPadCrop',
    'RandomHFlip', 'RandomErasing', 'ChannelExchange', 'ChannelAdapGray',
    'ChannelRandomErasing', 'RandomGrayscale', 'PackVIReIDInputs',
    'NormalizeImage', 'ModalityViews', 'multiview_collate',
    'TorchvisionRandomErasing', 'LoadTransitionImage', 'StackedRandomErasing',
    'PackMTRLInputs'
]
