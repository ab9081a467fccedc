# Copyright (c) vireid contributors. All rights reserved.
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .consistency_check_hook import ConsistencyCheckHook
from .finite_loss_hook import FiniteLossHook
from .ranked_list_vis_hook import RankedListVisHook
from .sync_model_state_hook import SyncModelStateHook

__all__ = [
    'AtomicCheckpointHook', 'ConsistencyCheckHook', 'FiniteLossHook',
    'RankedListVisHook', 'SyncModelStateHook'
]
