# Copyright (c) vireid contributors. All rights reserved.
"""Camera ids, degenerate features and protocol/data checks (issue 13)."""
import numpy as np
import pytest

from vireid.evaluation.metrics.vireid_metric import degenerate_distances
from vireid.evaluation.protocols import check_camera_ids


def test_sysu_camera_ids():
    check_camera_ids('sysu', [3, 6, 3], [1, 2, 4, 5])
    with pytest.raises(ValueError, match='0-based'):
        check_camera_ids('sysu', [2, 5], [0, 1, 3, 4])  # cams - 1
    with pytest.raises(ValueError, match=r'query cameras \[1\]'):
        check_camera_ids('sysu', [1], [2, 4])  # a visible query
    with pytest.raises(ValueError, match='gallery cameras'):
        check_camera_ids('sysu', [3], [1, 7])


def test_llcm_and_regdb_camera_ids():
    check_camera_ids('llcm', [1, 9], [2, 3])
    with pytest.raises(ValueError, match=r'1\.\.9.*0-based'):
        check_camera_ids('llcm', [0, 1], [2])
    check_camera_ids('regdb', [0], [17])  # RegDB has no camera rule


def test_degenerate_distances():
    rng = np.random.default_rng(0)
    assert degenerate_distances(rng.normal(size=(4, 6))) is None
    assert 'all distances are equal' in degenerate_distances(np.ones((4, 6)))
    rows = np.repeat(rng.normal(size=(4, 1)), 6, axis=1)
    assert 'equally far' in degenerate_distances(rows)
    half = rng.normal(size=(4, 6))
    half[:3] = 1.0
    assert '3 of 4 queries' in degenerate_distances(half)
    assert degenerate_distances(np.ones((4, 1))) is None  # 1 gallery item


def _records(feats, pids, cams, is_query):
    import torch
    return [dict(feature=torch.tensor(f, dtype=torch.float32), pid=int(p),
                 camid=int(c), modality=int(c in (3, 6)), is_query=bool(q),
                 rel_path=f'cam{c}/{p:04d}/{i:04d}.jpg')
            for i, (f, p, c, q) in enumerate(zip(feats, pids, cams,
                                                 is_query))]


def test_metric_warns_on_tied_rankings_and_checks_the_data():
    from vireid.evaluation import VIReIDMetric
    pids = [1, 2, 1, 1, 2, 2]
    cams = [3, 6, 1, 2, 4, 5]
    is_query = [True, True, False, False, False, False]
    metric = VIReIDMetric(protocol='sysu', num_trials=1)
    metric.dataset_meta = dict(dataset_name='sysu')
    zeros = _records(np.zeros((6, 4)), pids, cams, is_query)
    with pytest.warns(UserWarning, match='metrics are meaningless'):
        metric.compute_metrics(zeros)
    metric.on_degenerate = 'error'
    with pytest.raises(ValueError, match='meaningless'):
        metric.compute_metrics(zeros)
    metric.dataset_meta = dict(dataset_name='regdb')
    with pytest.raises(ValueError, match="protocol='sysu', but the test "
                       "data is 'regdb'"):
        metric.compute_metrics(zeros)


def test_evaluate_features_zero_based_cams(tmp_path, capsys):
    """The issue's case: 0-based SYSU cameras used to switch the cam3/cam2
    rule off silently."""
    from tools.evaluate_features import main
    rng = np.random.default_rng(0)
    path = tmp_path / 'set.npz'
    np.savez(path, qf=rng.normal(size=(2, 4)), gf=rng.normal(size=(4, 4)),
             q_pids=np.array([1, 2]), g_pids=np.array([1, 1, 2, 2]),
             q_camids=np.array([2, 5]), g_camids=np.array([1, 0, 3, 4]))
    with pytest.raises(SystemExit) as info:
        main(['--npz', str(path), '--protocol', 'sysu'])
    assert info.value.code == 2
    assert '0-based' in capsys.readouterr().err
    zero = tmp_path / 'zero.npz'
    np.savez(zero, qf=np.zeros((2, 4)), gf=np.zeros((4, 4)),
             q_pids=np.array([1, 2]), g_pids=np.array([1, 1, 2, 2]),
             q_camids=np.array([3, 6]), g_camids=np.array([1, 2, 4, 5]))
    with pytest.raises(SystemExit):
        main(['--npz', str(zero), '--protocol', 'sysu'])
    assert 'meaningless' in capsys.readouterr().err
