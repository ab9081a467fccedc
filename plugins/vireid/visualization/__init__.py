# Copyright (c) vireid contributors. All rights reserved.
from .ranked_list import draw_ranked_list
from .vireid_visualizer import VIReIDVisualizer

__all__ = ['draw_ranked_list', 'VIReIDVisualizer']
