# Copyright (c) vireid contributors. All rights reserved.
"""The ranking core gives exactly the per-query results of the previous
implementation (frozen in ``ranking_v0.py``) on random inputs with ties,
float32 collisions, values beyond float32's range and queries without a
match, for every exclusion rule and CMC mode."""
import numpy as np
import pytest

from vireid.evaluation.functional import evaluate_ranking, ranking
from . import ranking_v0

CAMS = {
    'sysu': ((3, 6), (1, 2, 4, 5)),
    'pid_cam': ((1, 2, 3, 4), (1, 2, 3, 4)),
    'none': ((1, ), (2, )),
}


def _case(rng, exclusion, kind):
    num_q, num_g = int(rng.integers(1, 60)), int(rng.integers(1, 70))
    num_ids = int(rng.integers(1, 12))
    q_pids = rng.integers(0, num_ids + 2, num_q)  # some without a match
    g_pids = rng.integers(0, num_ids, num_g)
    q_cams = rng.choice(CAMS[exclusion][0], num_q)
    g_cams = rng.choice(CAMS[exclusion][1], num_g)
    if kind == 'ties':
        dist = rng.integers(0, 4, (num_q, num_g)).astype(np.float64)
    elif kind == 'collisions':  # distinct float64, equal float32
        dist = 0.5 + 1e-12 * rng.integers(0, 5, (num_q, num_g))
    elif kind == 'huge':  # beyond float32's range
        dist = rng.standard_normal((num_q, num_g)) * 1e300
    else:
        dist = rng.standard_normal((num_q, num_g))
    return dist, q_pids, g_pids, q_cams, g_cams


def _compare(case, **kwargs):
    results = []
    for fn in (evaluate_ranking, ranking_v0.evaluate_ranking):
        try:
            results.append(fn(*case, return_per_query=True, **kwargs))
        except ValueError as err:
            results.append(str(err))
    new, old = results
    if isinstance(old, str):
        assert new == old
        return False
    np.testing.assert_array_equal(new['cmc'], old['cmc'])
    assert new['mAP'] == old['mAP'] and new['mINP'] == old['mINP']
    assert new['num_valid_queries'] == old['num_valid_queries']
    for key, val in old['per_query'].items():
        np.testing.assert_array_equal(new['per_query'][key], val)
    return True


@pytest.mark.parametrize('exclusion', ['sysu', 'pid_cam', 'none'])
@pytest.mark.parametrize('dedup', [True, False])
@pytest.mark.parametrize('kind', ['plain', 'ties', 'collisions', 'huge'])
def test_same_as_previous_implementation(exclusion, dedup, kind):
    rng = np.random.default_rng([len(exclusion), dedup, len(kind)])
    compared = 0
    for i in range(30):
        case = _case(rng, exclusion, kind)
        if kind == 'ties' and i % 3 == 1:
            case = (case[0].astype(np.float32), ) + case[1:]
        elif kind == 'ties' and i % 3 == 2:
            case = (case[0].astype(np.int64), ) + case[1:]
        kwargs = dict(exclusion=exclusion, dedup_cmc=dedup, max_rank=7)
        compared += _compare(case, **kwargs)
        _compare(case, chunk_rows=int(rng.integers(1, 9)), **kwargs)
        _compare(case, method='argsort', **kwargs)
    assert compared > 10


@pytest.mark.parametrize('protocol', ['sysu', 'llcm', 'regdb'])
@pytest.mark.parametrize('closer_path', ['sparse', 'dense'])
def test_same_as_previous_on_benchmark_shaped_rows(protocol, closer_path,
                                                    monkeypatch):
    # the identity-de-duplicated CMC both ways: listing the pairs closer
    # than the first match (large galleries, few such pairs) or OR-ing rows
    monkeypatch.setattr(ranking, 'SPARSE_CLOSER',
                        1.0 if closer_path == 'sparse' else -1.0)
    rng = np.random.default_rng(9)
    q_cams, g_cams = {'sysu': CAMS['sysu'], 'llcm': CAMS['pid_cam'],
                      'regdb': CAMS['none']}[protocol]
    num_q, num_g = 300, 1100
    g_pids = np.repeat(np.arange(110), 10)
    q_pids = rng.integers(0, 112, num_q)
    dist = rng.standard_normal((num_q, num_g)) - 2.0 * (
        q_pids[:, None] == g_pids[None, :])
    dist[::7] = np.round(dist[::7], 1)  # some rows with ties
    case = (dist, q_pids, g_pids, rng.choice(q_cams, num_q),
            rng.choice(g_cams, num_g))
    assert _compare(case, protocol=protocol)
    assert _compare(case, protocol=protocol, chunk_rows=37)


def test_nan_and_inf_raise_as_before():
    rng = np.random.default_rng(2)
    dist, q_pids, g_pids, q_cams, g_cams = _case(rng, 'sysu', 'plain')
    dist = rng.standard_normal((4, 5))
    q_pids, g_pids = np.array([1, 2, 1, 2]), np.array([1, 2, 1, 2, 1])
    q_cams, g_cams = np.array([3, 3, 6, 6]), np.array([2, 2, 1, 4, 5])
    for bad in (np.nan, np.inf, -np.inf):
        for where in ((0, 0), (0, 2), (3, 4)):  # (0, 0): the removed block
            d = dist.copy()
            d[where] = bad
            with pytest.raises(ValueError, match='NaN or infinite'):
                evaluate_ranking(d, q_pids, g_pids, q_cams, g_cams,
                                 protocol='sysu')
