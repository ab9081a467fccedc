# Copyright (c) vireid contributors. All rights reserved.
"""Pure, vectorised evaluation functions (numpy)."""
from .distance import (DistanceRows, compute_distance, l2_normalize,
                       nonnegative_distance)
from .ranking import (EXCLUSION_RULES, PROTOCOL_RULES, evaluate_ranking,
                      exclusion_mask)
from .rerank import k_reciprocal_rerank

__all__ = [
    'DistanceRows', 'compute_distance', 'l2_normalize', 'nonnegative_distance',
    'evaluate_ranking', 'exclusion_mask', 'EXCLUSION_RULES', 'PROTOCOL_RULES',
    'k_reciprocal_rerank'
]
