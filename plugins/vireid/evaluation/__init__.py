# Copyright (c) vireid contributors. All rights reserved.
"""Evaluation: ranking functions, test-protocol gallery draws and the
``VIReIDMetric``. Importing this package registers the metric (the METRICS
and EVALUATOR registries' lazy ``locations`` point here)."""
from .functional import (compute_distance, evaluate_ranking,
                         k_reciprocal_rerank)
from .metrics import VIReIDMetric, describe_protocol, format_results_table
from .protocols import (canonical_direction, draw_single_shot, llcm_gallery,
                        load_rand_perm_cam, split_query_pool,
                        sysu_agw_gallery, sysu_official_gallery,
                        write_rand_perm_cam)

__all__ = [
    'compute_distance', 'evaluate_ranking', 'k_reciprocal_rerank',
    'VIReIDMetric', 'describe_protocol', 'format_results_table',
    'canonical_direction', 'draw_single_shot', 'llcm_gallery',
    'load_rand_perm_cam', 'split_query_pool', 'sysu_agw_gallery',
    'sysu_official_gallery', 'write_rand_perm_cam'
]
