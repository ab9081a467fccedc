# Copyright (c) vireid contributors. All rights reserved.
"""k-reciprocal re-ranking (Zhong et al., CVPR 2017) through torchreid.

``torchreid.reid.utils.re_ranking(q_g, q_q, g_g, k1, k2, lambda_value)``
takes three distance matrices, **squares** them, normalises each column by
its maximum and returns the re-ranked query-gallery distance. Its semantics
fit as they are, provided the distances are non-negative: vireid passes
``1 - cos`` for the cosine distance (AGW's ``-cos`` would change order when
squared) and the plain Euclidean distance otherwise. torchreid is imported
lazily (importing it takes seconds).

Reference: Z. Zhong, L. Zheng, D. Cao, S. Li. "Re-ranking Person
Re-identification with k-reciprocal Encoding". CVPR 2017.
"""
import warnings
from typing import Optional, Union

import numpy as np

from .distance import nonnegative_distance

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

ArrayOrTensor = Union[np.ndarray, 'torch.Tensor']


def k_reciprocal_rerank(query_feats: ArrayOrTensor,
                        gallery_feats: ArrayOrTensor,
                        metric: str = 'cosine',
                        k1: int = 20,
                        k2: int = 6,
                        lambda_value: float = 0.3,
                        query_dist: Optional[np.ndarray] = None
                        ) -> np.ndarray:
    """Re-ranked query-gallery distances.

    Args:
        query_feats (ndarray | Tensor): ``(num_query, dim)`` features.
        gallery_feats (ndarray | Tensor): ``(num_gallery, dim)`` features.
        metric (str): Base distance, ``'cosine'`` or ``'euclidean'``.
        k1 (int): k of the k-reciprocal neighbours. Defaults to 20.
        k2 (int): Neighbours of the local query expansion. Defaults to 6.
        lambda_value (float): Weight of the original distance.
            Defaults to 0.3.
        query_dist (ndarray, optional): The query-query distances
            ``nonnegative_distance(query_feats, query_feats, metric)``,
            when the caller re-ranks several galleries against the same
            queries (computed here when None).

    Returns:
        ndarray: ``(num_query, num_gallery)`` float64 distances (torchreid
        computes in float32).
    """
    with warnings.catch_warnings():
        # torchreid warns at import that its Cython evaluator is missing
        warnings.simplefilter('ignore')
        from torchreid.reid.utils import re_ranking
    q_g = nonnegative_distance(query_feats, gallery_feats, metric)
    q_q = (nonnegative_distance(query_feats, query_feats, metric)
           if query_dist is None else query_dist)
    g_g = nonnegative_distance(gallery_feats, gallery_feats, metric)
    out = re_ranking(q_g, q_q, g_g, k1=k1, k2=k2, lambda_value=lambda_value)
    return np.asarray(out, dtype=np.float64)
