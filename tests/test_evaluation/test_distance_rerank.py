# Copyright (c) vireid contributors. All rights reserved.
"""Distances and the k-reciprocal re-ranking wrapper."""
import warnings

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist

from vireid.evaluation import VIReIDMetric, describe_protocol
from vireid.evaluation.functional import (compute_distance,
                                          k_reciprocal_rerank,
                                          nonnegative_distance)


def test_cosine_and_euclidean():
    rng = np.random.default_rng(0)
    q = rng.standard_normal((5, 7)).astype(np.float32)
    g = rng.standard_normal((6, 7)).astype(np.float32)
    cos = compute_distance(torch.from_numpy(q), g)
    assert cos.dtype == np.float64
    ref = 1 - cdist(q.astype(np.float64), g.astype(np.float64), 'cosine')
    np.testing.assert_allclose(cos, -ref, atol=1e-12)
    euc = compute_distance(q, g, 'euclidean')
    np.testing.assert_allclose(euc, cdist(q.astype(np.float64),
                                          g.astype(np.float64)), atol=1e-9)
    assert (nonnegative_distance(q, g) >= 0).all()
    with pytest.raises(ValueError, match='NaN/inf values in 1 rows'):
        compute_distance(np.array([[np.nan, 1.0]]), np.ones((2, 2)))
    with pytest.raises(ValueError, match='differ in dimension'):
        compute_distance(np.ones((2, 3)), np.ones((2, 2)))


def test_rerank_wraps_torchreid_with_nonnegative_distances():
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        from torchreid.reid.utils import re_ranking
    rng = np.random.default_rng(1)
    q, g = rng.standard_normal((12, 6)), rng.standard_normal((30, 6))
    got = k_reciprocal_rerank(q, g, 'cosine', k1=5, k2=3, lambda_value=0.3)
    qn = q / np.linalg.norm(q, axis=1, keepdims=True)
    gn = g / np.linalg.norm(g, axis=1, keepdims=True)
    ref = re_ranking(1 - qn @ gn.T, 1 - qn @ qn.T, 1 - gn @ gn.T, k1=5, k2=3,
                     lambda_value=0.3)
    np.testing.assert_allclose(got, ref, atol=1e-6)
    assert got.shape == (12, 30)
    # with lambda=1 only the (squared, normalised) original distance is left:
    # the ranking equals the cosine ranking
    only_orig = k_reciprocal_rerank(q, g, 'cosine', k1=5, k2=3,
                                    lambda_value=1.0)
    np.testing.assert_array_equal(np.argsort(only_orig, axis=1),
                                  np.argsort(compute_distance(q, g), axis=1))


def test_metric_with_rerank_runs_per_trial():
    rng = np.random.default_rng(2)
    samples = []
    for pid in range(8):
        for mod in (0, 1):
            for i in range(3):
                samples.append(dict(
                    pred_feature=torch.from_numpy(
                        (np.random.default_rng(pid).standard_normal(8) +
                         0.5 * rng.standard_normal(8)).astype(np.float32)),
                    pid=pid, camid=1 + mod, modality=mod, is_query=False,
                    rel_path=f'{mod}/{pid}/{i}.bmp'))
    plain = VIReIDMetric(protocol='regdb', prefix='p')
    rr = VIReIDMetric(protocol='regdb', rerank=dict(k1=4, k2=2),
                      prefix='r')
    for m in (plain, rr):
        m.process(None, samples)
    a, b = plain.evaluate(len(samples)), rr.evaluate(len(samples))
    assert rr.last_results['rerank'] is True
    assert 'k-reciprocal re-ranking' in describe_protocol(rr.last_results)
    assert a['p/mAP'] != b['r/mAP']


def test_rerank_with_precomputed_query_distances_is_identical():
    from vireid.evaluation.functional.distance import nonnegative_distance
    rng = np.random.default_rng(4)
    q, g = rng.standard_normal((9, 6)), rng.standard_normal((7, 6))
    for metric in ('cosine', 'euclidean'):
        want = k_reciprocal_rerank(q, g, metric, k1=4, k2=2)
        got = k_reciprocal_rerank(q, g, metric, k1=4, k2=2,
                                  query_dist=nonnegative_distance(q, q,
                                                                  metric))
        np.testing.assert_array_equal(got, want)


def test_l2_normalize_blocks_and_dtype():
    """Row blocks give every row exactly the numbers of one whole-array
    call (the certified path relies on row-wise identical values)."""
    from vireid.evaluation.functional import l2_normalize
    rng = np.random.default_rng(0)
    x = rng.standard_normal((700, 33)).astype(np.float32)
    x[5] = 0.0  # a zero row: divided by eps, stays 0
    for dtype in (None, np.float64):
        arr = x if dtype is None else x.astype(dtype)
        norms = np.sqrt(np.add.reduce(arr * arr, axis=1, keepdims=True))
        want = arr / np.maximum(norms, 1e-12)
        got = l2_normalize(x, dtype=dtype)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
        # any subset of rows: the same values
        np.testing.assert_array_equal(
            l2_normalize(x[300:310], dtype=dtype), want[300:310])
    assert not l2_normalize(x[5:6]).any()
    # out_dtype: each float64 row rounded once
    want32 = l2_normalize(x, dtype=np.float64).astype(np.float32)
    for rows in (x, x[:10]):
        got32 = l2_normalize(rows, dtype=np.float64, out_dtype=np.float32)
        assert got32.dtype == np.float32
        np.testing.assert_array_equal(got32, want32[:len(rows)])
