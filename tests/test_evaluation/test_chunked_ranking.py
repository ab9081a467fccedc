# Copyright (c) vireid contributors. All rights reserved.
"""Ranking query rows in chunks, and from lazily computed distances, gives
exactly the whole-matrix results."""
import numpy as np
import pytest

from vireid.evaluation.functional import (DistanceRows, compute_distance,
                                          evaluate_ranking)


def _problem(seed, num_q=57, num_g=41, ties=False):
    rng = np.random.default_rng(seed)
    q_pids = rng.integers(0, 9, num_q)
    g_pids = rng.integers(0, 9, num_g)
    q_cams = rng.choice([3, 6], num_q)
    g_cams = rng.choice([1, 2, 4, 5], num_g)
    dist = rng.standard_normal((num_q, num_g))
    if ties:
        dist = np.round(dist, 1)  # many exact ties
    return dist, q_pids, g_pids, q_cams, g_cams


@pytest.mark.parametrize('protocol', ['sysu', 'llcm', 'regdb'])
@pytest.mark.parametrize('ties', [False, True])
@pytest.mark.parametrize('method', ['auto', 'argsort'])
def test_chunks_equal_whole_matrix(protocol, ties, method):
    dist, qp, gp, qc, gc = _problem(1, ties=ties)
    if protocol == 'llcm':
        gc = np.random.default_rng(2).choice([3, 6], len(gp))
    whole = evaluate_ranking(dist, qp, gp, qc, gc, protocol=protocol,
                             method=method, return_per_query=True)
    for chunk in (1, 7, 56, 57, 1000):
        part = evaluate_ranking(dist, qp, gp, qc, gc, protocol=protocol,
                                method=method, return_per_query=True,
                                chunk_rows=chunk)
        np.testing.assert_array_equal(part['cmc'], whole['cmc'])
        assert part['mAP'] == whole['mAP'] and part['mINP'] == whole['mINP']
        for key, val in whole['per_query'].items():
            np.testing.assert_array_equal(part['per_query'][key], val)


def test_bad_chunk_rows():
    dist, qp, gp, qc, gc = _problem(0)
    for bad in (0, -3, 2.5):
        with pytest.raises(ValueError, match='chunk_rows'):
            evaluate_ranking(dist, qp, gp, qc, gc, chunk_rows=bad)


@pytest.mark.parametrize('metric', ['cosine', 'euclidean'])
def test_lazy_distance_rows(metric):
    rng = np.random.default_rng(3)
    qf, gf = rng.standard_normal((50, 16)), rng.standard_normal((30, 16))
    rows = DistanceRows(qf, gf, metric)
    full = compute_distance(qf, gf, metric)
    assert rows.shape == full.shape and rows.dtype == np.float64
    np.testing.assert_allclose(rows[5:17], full[5:17], rtol=0, atol=1e-12)
    _, qp, gp, qc, gc = _problem(4, 50, 30)
    want = evaluate_ranking(full, qp, gp, qc, gc, protocol='sysu')
    got = evaluate_ranking(rows, qp, gp, qc, gc, protocol='sysu',
                           chunk_rows=8)
    np.testing.assert_array_equal(got['cmc'], want['cmc'])
    assert got['mAP'] == pytest.approx(want['mAP'], abs=1e-12)
    with pytest.raises(TypeError, match='row slices'):
        rows[3]


def test_metric_large_trials_use_lazy_distances(monkeypatch):
    """Above the size threshold the metric ranks from DistanceRows and gets
    the same numbers as the one-matrix path."""
    import torch

    from vireid.evaluation.metrics import vireid_metric
    rng = np.random.default_rng(5)
    samples = []
    for pid in range(6):
        centre = rng.standard_normal(8)
        for mod in (0, 1):
            for i in range(4):
                samples.append(dict(
                    pred_feature=torch.from_numpy(
                        (centre + 0.7 * rng.standard_normal(8)).astype(
                            np.float32)),
                    pid=pid, camid=1 + mod, modality=mod, is_query=False,
                    rel_path=f'{mod}/{pid}/{i}.bmp'))

    def run():
        m = vireid_metric.VIReIDMetric(protocol='regdb', prefix='r')
        m.log_table = False
        m.process(None, samples)
        return m.evaluate(len(samples))

    want = run()
    monkeypatch.setattr(vireid_metric, 'LAZY_DISTANCE_ENTRIES', 0)
    got = run()
    assert got.keys() == want.keys()
    for key in want:
        assert got[key] == pytest.approx(want[key], abs=1e-9), key
