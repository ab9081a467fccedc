# Copyright (c) vireid contributors. All rights reserved.
"""The vectorised ranking metrics against a per-query loop oracle written
from the protocol text, torchreid, and hand-computed cases."""
import warnings

import numpy as np
import pytest

from vireid.evaluation.functional import evaluate_ranking
from .oracle import oracle_evaluate

PROTOCOL_CAMS = {
    'sysu': ((3, 6), (1, 2, 4, 5)),
    'llcm': ((1, 2, 4, 5, 6, 7, 8, 9), tuple(range(1, 10))),
    'regdb': ((2, ), (1, )),
}


def _random_case(rng, protocol, num_q, num_g, num_ids, ties=False,
                 extra_q_ids=2):
    q_cams, g_cams = PROTOCOL_CAMS[protocol]
    q_pids = rng.integers(0, num_ids + extra_q_ids, num_q)  # some unmatched
    g_pids = rng.integers(0, num_ids, num_g)
    q_camids = rng.choice(q_cams, num_q)
    g_camids = rng.choice(g_cams, num_g)
    if ties:
        dist = rng.integers(0, 5, (num_q, num_g)).astype(np.float64)
    else:
        dist = rng.standard_normal((num_q, num_g))
    return dist, q_pids, g_pids, q_camids, g_camids


def _assert_same(res, ref, tol=1e-6):
    cmc, mAP, mINP, num_valid = ref
    assert res['num_valid_queries'] == num_valid
    np.testing.assert_allclose(res['cmc'], cmc, atol=tol, rtol=0)
    assert abs(res['mAP'] - mAP) < tol
    assert abs(res['mINP'] - mINP) < tol


@pytest.mark.parametrize('protocol', ['sysu', 'llcm', 'regdb'])
@pytest.mark.parametrize('method', ['auto', 'argsort'])
def test_matches_oracle_on_random_tie_free_inputs(protocol, method):
    rng = np.random.default_rng(123)
    for _ in range(25):
        num_q = int(rng.integers(1, 30))
        num_g = int(rng.integers(1, 45))
        num_ids = int(rng.integers(1, 9))
        case = _random_case(rng, protocol, num_q, num_g, num_ids)
        try:
            ref = oracle_evaluate(*case, protocol)
        except ZeroDivisionError:  # no valid query at all
            with pytest.raises(ValueError, match='no query has a true match'):
                evaluate_ranking(*case, protocol=protocol, method=method)
            continue
        _assert_same(evaluate_ranking(*case, protocol=protocol,
                                      method=method), ref)


@pytest.mark.parametrize('protocol', ['sysu', 'llcm', 'regdb'])
def test_ties_break_like_numpy_argsort(protocol):
    # integer distances: many ties; the oracle sorts with np.argsort
    rng = np.random.default_rng(7)
    for _ in range(25):
        case = _random_case(rng, protocol, int(rng.integers(1, 25)),
                            int(rng.integers(2, 40)), 5, ties=True)
        for dist in (case[0], case[0].astype(np.int64),
                     case[0].astype(np.float32)):
            # the given dtype's np.argsort decides the tie order
            try:
                ref = oracle_evaluate(dist, *case[1:], protocol)
            except ZeroDivisionError:
                break
            for method in ('auto', 'argsort'):
                _assert_same(evaluate_ranking(dist, *case[1:],
                                              protocol=protocol,
                                              method=method), ref, tol=1e-12)


def test_float32_collisions_fall_back_to_exact_argsort_order():
    # distinct float64 values that round to the same float32 value
    base = np.array([0.5, 0.5 + 1e-12, 0.5 + 2e-12, 0.5 + 3e-12, 0.7])
    rng = np.random.default_rng(0)
    for _ in range(20):
        dist = np.stack([rng.permutation(base) for _ in range(6)])
        q_pids = rng.integers(0, 3, 6)
        g_pids = rng.integers(0, 3, 5)
        q_cams, g_cams = rng.choice([3, 6], 6), rng.choice([1, 2, 4], 5)
        for protocol in ('sysu', 'regdb'):
            try:
                ref = oracle_evaluate(dist, q_pids, g_pids, q_cams, g_cams,
                                      protocol)
            except ZeroDivisionError:
                continue
            _assert_same(evaluate_ranking(dist, q_pids, g_pids, q_cams,
                                          g_cams, protocol=protocol), ref,
                         tol=1e-12)


def test_larger_sysu_case_matches_oracle_both_paths():
    rng = np.random.default_rng(5)
    case = _random_case(rng, 'sysu', 150, 120, 30)
    ref = oracle_evaluate(*case, 'sysu')
    _assert_same(evaluate_ranking(*case, protocol='sysu'), ref)
    _assert_same(evaluate_ranking(*case, protocol='sysu', method='argsort'),
                 ref)


def test_sysu_cam3_query_skips_every_cam2_image():
    # gallery: [pid1 cam2 (closest), pid2 cam2, pid1 cam1, pid2 cam4]
    dist = np.array([[0.1, 0.2, 0.3, 0.4],    # cam3 query, pid 1
                     [0.1, 0.2, 0.3, 0.4]])   # cam6 query, pid 1
    g_pids = np.array([1, 2, 1, 2])
    g_cams = np.array([2, 2, 1, 4])
    res = evaluate_ranking(dist, [1, 1], g_pids, [3, 6], g_cams,
                           protocol='sysu', return_per_query=True)
    # cam3: kept list = [pid1 cam1, pid2 cam4] -> first match at rank 1
    # cam6: kept list = all -> rank 1 too, AP(cam6) = (1/1 + 2/3) / 2
    pq = res['per_query']
    assert pq['first_rank'].tolist() == [1, 1]
    assert pq['ap'][0] == pytest.approx(1.0)
    assert pq['ap'][1] == pytest.approx((1 + 2 / 3) / 2)
    # the rule ignores identities: an unmatched pid-2 cam3 query whose only
    # true match is in cam2 becomes invalid
    with pytest.raises(ValueError, match='no query has a true match'):
        evaluate_ranking(dist[:1, :3], [2], g_pids[:3], [3], g_cams[:3],
                         protocol='sysu')


def test_dedup_cmc_counts_distinct_identities():
    # ranked: pid5, pid5, pid6, pid7(match)
    dist = np.array([[0.1, 0.2, 0.3, 0.4]])
    g = [5, 5, 6, 7]
    sysu = evaluate_ranking(dist, [7], g, [6], [1, 1, 1, 1],
                            protocol='sysu', max_rank=5)
    regdb = evaluate_ranking(dist, [7], g, protocol='regdb', max_rank=5)
    assert sysu['cmc'].tolist() == [0, 0, 1, 1, 1]   # 3rd distinct id
    assert regdb['cmc'].tolist() == [0, 0, 0, 1, 1]  # 4th image
    assert sysu['mAP'] == regdb['mAP'] == pytest.approx(1 / 4)
    assert sysu['mINP'] == pytest.approx(1 / 4)


def test_llcm_removes_same_pid_and_camera_only():
    dist = np.array([[0.1, 0.2, 0.3]])
    g_pids, g_cams = [4, 9, 4], [2, 2, 5]
    res = evaluate_ranking(dist, [4], g_pids, [2], g_cams, protocol='llcm',
                           return_per_query=True)
    # pid4 cam2 removed; pid9 cam2 kept (other identity) -> match at rank 2
    assert res['per_query']['first_rank'][0] == 2
    assert res['mAP'] == pytest.approx(0.5)


def test_small_gallery_cmc_keeps_last_value():
    # 3 gallery images, 2 identities: rows shorter than max_rank=20
    dist = np.array([[0.3, 0.1, 0.2], [0.1, 0.2, 0.3]])
    res = evaluate_ranking(dist, [1, 2], [1, 2, 2], [3, 6], [1, 4, 5],
                           protocol='sysu')
    assert res['cmc'].shape == (20, )
    # query 0: ranked pid2, pid2, pid1 -> distinct rank 2; query 1: rank 2
    assert res['cmc'][0] == 0.0
    assert np.all(res['cmc'][1:] == 1.0)
    one_id = evaluate_ranking(dist[:, :1], [1, 2], [1], [3, 6], [4],
                              protocol='sysu')  # gallery with one identity
    assert one_id['num_valid_queries'] == 1
    assert np.all(one_id['cmc'] == 1.0)
    assert one_id['mAP'] == one_id['mINP'] == 1.0


def test_agrees_with_reference_when_gallery_is_small_and_unmatched():
    rng = np.random.default_rng(3)
    for protocol in ('sysu', 'llcm', 'regdb'):
        for num_g in (1, 2, 3):
            case = _random_case(rng, protocol, 12, num_g, 1)
            try:
                ref = oracle_evaluate(*case, protocol)
            except ZeroDivisionError:
                continue
            _assert_same(evaluate_ranking(*case, protocol=protocol), ref)


def _torchreid_evaluate_rank():
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        from torchreid.reid.metrics.rank import evaluate_rank
    return evaluate_rank


def test_regdb_equals_torchreid_evaluate_rank():
    evaluate_rank = _torchreid_evaluate_rank()
    rng = np.random.default_rng(11)
    dist, q_pids, g_pids, _, _ = _random_case(rng, 'regdb', 200, 180, 40,
                                              extra_q_ids=0)
    q_cams, g_cams = np.ones(200, int), np.full(180, 2)
    cmc, mAP = evaluate_rank(dist, q_pids, g_pids, q_cams, g_cams,
                             max_rank=20, use_cython=False)
    res = evaluate_ranking(dist, q_pids, g_pids, q_cams, g_cams,
                           protocol='regdb')
    np.testing.assert_allclose(res['cmc'], cmc, atol=1e-6, rtol=0)
    assert res['mAP'] == pytest.approx(mAP, abs=1e-12)
    # the Market rule (pid_cam, plain CMC) equals torchreid on real camids
    dist, q_pids, g_pids, q_cams, g_cams = _random_case(
        rng, 'llcm', 150, 160, 30, extra_q_ids=0)
    cmc, mAP = evaluate_rank(dist, q_pids, g_pids, q_cams, g_cams,
                             max_rank=20, use_cython=False)
    res = evaluate_ranking(dist, q_pids, g_pids, q_cams, g_cams,
                           exclusion='pid_cam', dedup_cmc=False)
    np.testing.assert_allclose(res['cmc'], cmc, atol=1e-6, rtol=0)
    assert res['mAP'] == pytest.approx(mAP, abs=1e-12)
    # LLCM: same exclusion as torchreid, so rank-1 and mAP agree
    llcm = evaluate_ranking(dist, q_pids, g_pids, q_cams, g_cams,
                            protocol='llcm')
    assert llcm['cmc'][0] == pytest.approx(cmc[0], abs=1e-6)
    assert llcm['mAP'] == pytest.approx(mAP, abs=1e-12)
    assert np.all(llcm['cmc'] >= res['cmc'] - 1e-12)


def test_input_validation():
    d = np.zeros((2, 3))
    with pytest.raises(ValueError, match='empty gallery'):
        evaluate_ranking(np.zeros((2, 0)), [1, 2], [], [3, 3], [],
                         protocol='sysu')
    with pytest.raises(ValueError, match='NaN or infinite'):
        evaluate_ranking(np.array([[0.0, np.nan, 1.0]]), [1], [1, 2, 1],
                         protocol='regdb')
    with pytest.raises(ValueError, match='NaN or infinite'):
        evaluate_ranking(np.array([[0.0, np.inf, 1.0]]), [1], [1, 2, 1],
                         protocol='regdb', method='argsort')
    with pytest.raises(ValueError, match='g_pids must be a 1-D array of '
                       'length 3'):
        evaluate_ranking(d, [1, 2], [1, 2], protocol='regdb')
    with pytest.raises(ValueError, match='needs q_camids'):
        evaluate_ranking(d, [1, 2], [1, 2, 3], protocol='sysu')
    with pytest.raises(ValueError, match='protocol must be one of'):
        evaluate_ranking(d, [1, 2], [1, 2, 3], protocol='market')
    # finite but beyond float32: still exact (float64 sort)
    big = np.array([[1e300, -1e300, 0.0]])
    res = evaluate_ranking(big, [5], [5, 6, 5], protocol='regdb',
                           return_per_query=True)
    assert res['per_query']['first_rank'][0] == 2
