# Copyright (c) vireid contributors. All rights reserved.
from .bnneck_head import AGW_HEAD_INIT, BNNeckHead

__all__ = ['BNNeckHead', 'AGW_HEAD_INIT']
