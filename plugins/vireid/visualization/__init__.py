# Copyright (c) vireid contributors. All rights reserved.
from .ranked_list import draw_ranked_list

__all__ = ['draw_ranked_list']
