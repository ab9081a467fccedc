# Copyright (c) vireid contributors. All rights reserved.
from .ranked_list_vis_hook import RankedListVisHook

__all__ = ['RankedListVisHook']
