# Copyright (c) vireid contributors. All rights reserved.
"""Certified float32 cosine distances give exactly the metrics of the float64
matrix, including exact ties and near-ties (which are recomputed)."""
import numpy as np
import pytest
import torch

from vireid.evaluation import VIReIDMetric
from vireid.evaluation.functional import evaluate_ranking, l2_normalize
from vireid.evaluation.functional import certified
from vireid.evaluation.functional.certified import (
    certified_cosine_distance, float32_product_bound, uncertain_rows)
from .test_metric import make_samples

PROTOCOL_CAMS = {
    'sysu': ((3, 6), (1, 2, 4, 5)),
    'llcm': ((1, 2, 4, 5), (1, 2, 4, 5)),
    'regdb': ((2, ), (1, )),
}


def _features(rng, num_q, num_g, num_ids, dim, near=0, dup=0):
    """Identity-centred features; ``dup`` gallery items copy another
    identity's item exactly (exact ties for every query), ``near`` copy it
    up to a perturbation far below the float32 bound (near-ties)."""
    centres = rng.standard_normal((num_ids, dim))
    q_pids = rng.integers(0, num_ids + 1, num_q)  # some without a match
    g_pids = rng.integers(0, num_ids, num_g)
    qf = np.concatenate([centres, np.zeros((1, dim))])[q_pids] + \
        rng.standard_normal((num_q, dim))
    gf = centres[g_pids] + rng.standard_normal((num_g, dim))
    for k in range(dup + near):
        a, b = rng.choice(num_g, 2, replace=False)
        gf[b] = gf[a]
        if k >= dup:
            gf[b] = gf[b] * (1 + 1e-9 * rng.standard_normal(dim))
        g_pids[b] = (g_pids[a] + 1) % num_ids
    return qf, gf, q_pids, g_pids


def _assert_same_ranking(dist, ref, q_pids, g_pids, q_cams, g_cams,
                         protocol):
    got = evaluate_ranking(dist, q_pids, g_pids, q_cams, g_cams,
                           protocol=protocol, return_per_query=True)
    want = evaluate_ranking(ref, q_pids, g_pids, q_cams, g_cams,
                            protocol=protocol, return_per_query=True)
    np.testing.assert_array_equal(got['cmc'], want['cmc'])
    assert got['mAP'] == want['mAP'] and got['mINP'] == want['mINP']
    for key, val in want['per_query'].items():
        np.testing.assert_array_equal(got['per_query'][key], val)


@pytest.mark.parametrize('protocol', ['sysu', 'llcm', 'regdb'])
@pytest.mark.parametrize('dim', [8, 300])
def test_certified_equals_float64_ranking(protocol, dim):
    rng = np.random.default_rng(dim)
    recomputed = 0
    for _ in range(12):
        num_q, num_g = int(rng.integers(5, 80)), int(rng.integers(5, 90))
        qf, gf, q_pids, g_pids = _features(
            rng, num_q, num_g, int(rng.integers(2, 9)), dim,
            near=int(rng.integers(0, 3)), dup=int(rng.integers(0, 3)))
        q_cams = rng.choice(PROTOCOL_CAMS[protocol][0], num_q)
        g_cams = rng.choice(PROTOCOL_CAMS[protocol][1], num_g)
        qu, gu = l2_normalize(qf), l2_normalize(gf)
        ref = -(qu @ gu.T)
        dist, num = certified_cosine_distance(qu, gu, q_pids, g_pids)
        recomputed += num
        assert dist.dtype == np.float64 and dist.shape == ref.shape
        assert np.abs(dist - ref).max() <= float32_product_bound(dim)
        if not (np.isin(q_pids, g_pids)).any():
            continue
        try:
            _assert_same_ranking(dist, ref, q_pids, g_pids, q_cams, g_cams,
                                 protocol)
        except ValueError as err:  # no valid query: both raise
            assert 'no query has a true match' in str(err)
    assert recomputed > 0  # the ties and near-ties were recomputed


def test_bound_holds_for_adversarial_inputs():
    # all-positive components: no cancellation, the largest rounding
    rng = np.random.default_rng(0)
    for dim in (1, 7, 512, 2048):
        q = l2_normalize(rng.random((40, dim)) + 1)
        g = l2_normalize(rng.random((30, dim)) + 1)
        d32 = -(q.astype(np.float32) @ g.astype(np.float32).T)
        assert np.abs(d32 - (-(q @ g.T))).max() <= \
            float32_product_bound(dim)
    assert float32_product_bound(2048) < 2e-4
    assert float32_product_bound(1 << 24) == float('inf')


@pytest.mark.parametrize('small_own', [0, 8])
def test_uncertain_rows_flags_only_close_pairs(small_own, monkeypatch):
    # small_own=0: the sorting path; 8: one pass per own-item slot
    monkeypatch.setattr(certified, 'SMALL_OWN', small_own)
    bound = 1e-3
    own = np.array([[True, False, False], [True, False, False],
                    [False, False, False], [True, True, False]])
    d32 = np.array([[0.1, 0.1015, 0.5],    # other item within 2 * bound
                    [0.1, 0.1025, 0.5],    # just outside
                    [0.3, 0.3, 0.3],       # constant row
                    [0.2, 0.2001, 0.9]],   # own items close to each other
                   dtype=np.float32)
    assert uncertain_rows(d32, own, bound).tolist() == [True, False, True,
                                                        False]


def _metric_run(samples, **kwargs):
    metric = VIReIDMetric(**kwargs)
    metric.log_table = False
    metric.process(None, samples)
    return metric.evaluate(len(samples)), metric.last_results


@pytest.mark.parametrize('protocol', ['sysu', 'llcm', 'regdb'])
def test_metric_certified_equals_exact(protocol):
    samples = make_samples(protocol, seed=3)
    # exact and near duplicates across identities: ties for every query
    rng = np.random.default_rng(1)
    for _ in range(30):
        a, b = rng.choice(len(samples), 2, replace=False)
        feat = samples[a]['pred_feature']['bn'].clone()
        if rng.random() < 0.5:
            feat = feat * (1 + 1e-7 * torch.randn(feat.shape))
        samples[b]['pred_feature']['bn'] = feat
    kwargs = dict(protocol=protocol, num_trials=3)
    fast, fast_res = _metric_run(samples, **kwargs)
    exact, exact_res = _metric_run(samples, exact_distances=True, **kwargs)
    assert fast == exact
    assert exact_res['exact_distances'] and not fast_res['exact_distances']
    assert all('num_float64_rows' in t for t in fast_res['trials'])
    assert all('num_float64_rows' not in t for t in exact_res['trials'])
    # the ties were there and were recomputed
    assert sum(t['num_float64_rows'] for t in fast_res['trials']) > 0


def test_uncertain_rows_both_paths_agree(monkeypatch):
    rng = np.random.default_rng(4)
    for _ in range(20):
        num_q, num_g = int(rng.integers(1, 40)), int(rng.integers(2, 60))
        # coarse values: many pairs within the width
        d32 = (rng.integers(0, 200, (num_q, num_g)) / 1000).astype(
            np.float32)
        own = rng.integers(0, 6, num_q)[:, None] == \
            rng.integers(0, 6, num_g)[None, :]
        passes = uncertain_rows(d32, own, 2e-3)
        monkeypatch.setattr(certified, 'SMALL_OWN', 0)
        sorting = uncertain_rows(d32, own, 2e-3)
        monkeypatch.undo()
        np.testing.assert_array_equal(passes, sorting)


def test_own_pairs_equal_dense_nonzero():
    rng = np.random.default_rng(6)
    for _ in range(10):
        q_pids = rng.integers(0, 12, int(rng.integers(1, 30)))
        g_pids = rng.integers(2, 10, int(rng.integers(1, 40)))
        want = np.nonzero(q_pids[:, None] == g_pids[None, :])
        got = certified._own_pairs(q_pids, g_pids)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)


def test_float32_product_on_a_torch_device_is_certified():
    """The torch product (any device) is a float32 product: within the
    bound of the float64 one, and the metric's results do not change."""
    rng = np.random.default_rng(2)
    a = l2_normalize(rng.standard_normal((50, 300)))
    b = l2_normalize(rng.standard_normal((70, 300)))
    exact = a @ b.T
    bound = float32_product_bound(300)
    for device in (None, 'cpu'):
        got = certified.float32_product(a.astype(np.float32),
                                        b.astype(np.float32), device)
        assert got.dtype == np.float32 and got.shape == (50, 70)
        assert np.abs(got - exact).max() <= bound
    # the precision switches are restored after the call
    mm = torch.backends.mkldnn.matmul
    saved = mm.fp32_precision
    try:
        mm.fp32_precision = 'bf16'
        certified.float32_product(a.astype(np.float32),
                                  b.astype(np.float32), 'cpu')
        assert mm.fp32_precision == 'bf16'
    finally:
        mm.fp32_precision = saved


def test_metric_distance_device():
    samples = make_samples('sysu', seed=5)
    kwargs = dict(protocol='sysu', num_trials=3)
    numpy_path, _ = _metric_run(samples, distance_device=None, **kwargs)
    torch_path, _ = _metric_run(samples, distance_device='cpu', **kwargs)
    auto, _ = _metric_run(samples, **kwargs)  # 'auto'
    exact, _ = _metric_run(samples, exact_distances=True, **kwargs)
    assert numpy_path == torch_path == auto == exact
    with pytest.raises(ValueError, match='distance_device'):
        VIReIDMetric(distance_device='gpu0')
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match='CUDA is not available'):
            VIReIDMetric(distance_device='cuda')


def test_certified_with_lazy_query_rows():
    """``q_unit`` may be a function of row indices (float64 rows made only
    for recomputed rows); it needs ``q_unit32``."""
    rng = np.random.default_rng(8)
    qf, gf, q_pids, g_pids = _features(rng, 30, 40, 5, 16, dup=4)
    qu, gu = l2_normalize(qf), l2_normalize(gf)
    want, n_want = certified_cosine_distance(qu, gu, q_pids, g_pids)
    calls = []

    def q_rows(rows):
        calls.append(len(rows))
        return qu[rows]

    got, n_got = certified_cosine_distance(
        q_rows, lambda: gu, q_pids, g_pids, q_unit32=qu.astype(np.float32))
    np.testing.assert_array_equal(got, want)
    assert n_got == n_want > 0 and calls == [n_want]
    with pytest.raises(ValueError, match='q_unit32 is required'):
        certified_cosine_distance(q_rows, gu, q_pids, g_pids)
