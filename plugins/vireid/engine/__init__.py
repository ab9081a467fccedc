# Copyright (c) vireid contributors. All rights reserved.
from .hooks import *  # noqa: F401,F403
from .loops import *  # noqa: F401,F403
from .vireid_runner import VIReIDRunner

__all__ = ['VIReIDRunner', 'RankedListVisHook', 'AtomicCheckpointHook',
           'SyncModelStateHook', 'ConsistencyCheckHook',
           'ResumableEpochBasedTrainLoop']
