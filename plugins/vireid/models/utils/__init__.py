# Copyright (c) vireid contributors. All rights reserved.
from .pretrained import (CheckpointMismatchError, format_key_list,
                         load_local_state_dict, load_state_dict_checked)

__all__ = [
    'CheckpointMismatchError', 'format_key_list', 'load_local_state_dict',
    'load_state_dict_checked'
]
