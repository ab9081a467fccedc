# Copyright (c) vireid contributors. All rights reserved.
from .base import BaseTransitionGenerator
from .channel_mixer import ChannelMixerTransition
from .offline import OfflineTransition
from .parameter_free import GrayscaleTransition, RandomChannelTransition

__all__ = [
    'BaseTransitionGenerator', 'GrayscaleTransition',
    'RandomChannelTransition', 'ChannelMixerTransition', 'OfflineTransition'
]
