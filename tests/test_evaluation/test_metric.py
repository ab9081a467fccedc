# Copyright (c) vireid contributors. All rights reserved.
"""VIReIDMetric through mmengine: process -> compute_metrics / Evaluator."""
import logging

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

from vireid.evaluation import (VIReIDMetric, compute_distance,
                               evaluate_ranking, llcm_gallery,
                               split_query_pool, sysu_agw_gallery,
                               sysu_official_gallery, write_rand_perm_cam)
from vireid.evaluation.protocols import load_rand_perm_cam
from .oracle import oracle_evaluate
from .trees import make_sysu_tree

KEYS = ('rank1', 'rank5', 'rank10', 'rank20', 'mAP', 'mINP')


def _feature(rng, pid, modality, dim=16):
    center = np.random.default_rng(pid).standard_normal(dim)
    return (center + 0.3 * modality + 1.1 * rng.standard_normal(dim)).astype(
        np.float32)


def make_samples(layout, seed=0):
    """Fake model outputs (dicts, as mmengine's Evaluator passes them)."""
    rng = np.random.default_rng(seed)
    samples = []

    def add(rel, pid, cam, mod, is_query):
        bn = _feature(rng, pid, mod)
        pool = np.tanh(bn) * np.arange(1, 17, dtype=np.float32)
        samples.append(
            dict(pred_feature=dict(bn=torch.from_numpy(bn),
                                   pool=torch.from_numpy(pool)),
                 pid=pid, camid=cam, modality=mod, is_query=is_query,
                 rel_path=rel, img_path='/data/' + rel,
                 gt_label=torch.tensor([-1])))

    if layout == 'regdb':
        for pid in range(20, 32):
            for i in range(3):
                add(f'Visible/{pid}/v_{i}.bmp', pid, 1, 0, False)
                add(f'Thermal/{pid}/t_{i}.bmp', pid, 2, 1, False)
    elif layout == 'sysu':
        for pid in (6, 10, 17, 21, 24, 25):
            for cam in range(1, 7):
                if pid == 21 and cam in (1, 2):
                    continue
                if pid == 25 and cam in (1, 2, 4, 5):
                    continue  # queries without any gallery image
                for i in range(int(rng.integers(1, 5))):
                    ir = cam in (3, 6)
                    add(f'cam{cam}/{pid:04d}/{i + 1:04d}.jpg', pid, cam,
                        int(ir), ir)
    else:  # llcm
        for pid in (3, 7, 12, 30, 31):
            for mod, folder in ((0, 'test_vis'), (1, 'test_nir')):
                for cam in range(1, 10):
                    if (mod == 1 and cam == 3) or rng.random() < 0.4:
                        continue
                    for i in range(int(rng.integers(1, 4))):
                        add(f'{folder}/cam{cam}/{pid:04d}/{i}.jpg', pid, cam,
                            mod, False)
    return samples


def _run(metric, samples, batch=7):
    for i in range(0, len(samples), batch):
        metric.process(None, samples[i:i + batch])
    return metric.evaluate(len(samples))


def _independent(samples, protocol, direction, galleries, feature='bn'):
    """Per-trial oracle numbers from the protocol text."""
    feats = np.stack([s['pred_feature'][feature].numpy() for s in samples])
    pids = np.array([s['pid'] for s in samples])
    cams = np.array([s['camid'] for s in samples])
    query, _ = split_query_pool(protocol, direction, samples)
    q = np.array(query)
    rows = []
    for gal in galleries:
        g = np.array(gal)
        dist = compute_distance(feats[q], feats[g])
        cmc, mAP, mINP, _ = oracle_evaluate(dist, pids[q], pids[g], cams[q],
                                            cams[g], protocol)
        rows.append(dict(rank1=cmc[0], rank5=cmc[4], rank10=cmc[9],
                         rank20=cmc[19], mAP=mAP, mINP=mINP))
    return rows


def _check_against(metrics, prefix, metric, rows):
    for k in KEYS:
        mean = 100 * np.mean([r[k] for r in rows])
        std = 100 * np.std([r[k] for r in rows])
        assert metrics[f'{prefix}/{k}'] == pytest.approx(mean, abs=1e-6)
        assert metrics[f'{prefix}/{k}_std'] == pytest.approx(std, abs=1e-6)
    for got, ref in zip(metric.last_results['trials'], rows):
        for k in KEYS:
            assert got[k] == pytest.approx(ref[k], abs=1e-9)


@pytest.mark.parametrize('mode', ['all', 'indoor'])
def test_sysu_metric_equals_oracle(mode):
    samples = make_samples('sysu')
    metric = VIReIDMetric(protocol='sysu', mode=mode, num_trials=4)
    metrics = _run(metric, samples)
    prefix = f'sysu-{mode}-t2v'
    assert sorted(metrics) == sorted(
        [f'{prefix}/{k}' for k in KEYS] + [f'{prefix}/{k}_std' for k in KEYS])
    _, pool = split_query_pool('sysu', 't2v', samples)
    galleries = [sysu_agw_gallery(samples, mode, t, pool) for t in range(4)]
    _check_against(metrics, prefix, metric,
                   _independent(samples, 'sysu', 't2v', galleries))
    res = metric.last_results
    assert [t['trial'] for t in res['trials']] == [0, 1, 2, 3]
    # pid 25 has no RGB image: its queries are invalid, never averaged
    n25 = sum(1 for s in samples if s['pid'] == 25 and s['is_query'])
    assert res['trials'][0]['num_valid_queries'] <= \
        res['trials'][0]['num_query'] - n25
    if mode == 'indoor':
        cams = {samples[i]['camid'] for g in galleries for i in g}
        assert cams == {1, 2}


@pytest.mark.parametrize('direction', ['t2v', 'v2t'])
def test_llcm_metric_both_directions_equals_oracle(direction):
    samples = make_samples('llcm')
    metric = VIReIDMetric(protocol='llcm', direction=direction, num_trials=3)
    metrics = _run(metric, samples)
    _, pool = split_query_pool('llcm', direction, samples)
    galleries = [llcm_gallery(samples, t, pool) for t in range(3)]
    mod = {samples[i]['modality'] for g in galleries for i in g}
    assert mod == ({0} if direction == 't2v' else {1})
    _check_against(metrics, f'llcm-{direction}', metric,
                   _independent(samples, 'llcm', direction, galleries))


def test_two_directions_in_one_evaluator_from_one_pass():
    from vireid.structures import VIReIDDataSample
    init_default_scope('vireid')
    samples = make_samples('regdb')
    evaluator = Evaluator([
        dict(type='VIReIDMetric', protocol='regdb', direction='v2t'),
        dict(type='VIReIDMetric', protocol='regdb', direction='t2v',
             feature='pool'),
    ])
    evaluator.dataset_meta = dict(dataset_name='regdb', trial=3)
    for i in range(0, len(samples), 8):
        batch = []
        for s in samples[i:i + 8]:
            ds = VIReIDDataSample(metainfo={
                k: s[k] for k in ('img_path', 'rel_path', 'pid', 'camid',
                                  'modality', 'is_query')
            })
            ds.pred_feature = s['pred_feature']
            batch.append(ds)
        evaluator.process(batch)
    metrics = evaluator.evaluate(len(samples))
    assert len(metrics) == 24
    for direction, feature in (('v2t', 'bn'), ('t2v', 'pool')):
        query, pool = split_query_pool('regdb', direction, samples)
        rows = _independent(samples, 'regdb', direction, [pool], feature)
        for k in KEYS:
            assert metrics[f'regdb-{direction}/{k}'] == pytest.approx(
                100 * rows[0][k], abs=1e-6)
            assert metrics[f'regdb-{direction}/{k}_std'] == 0.0
    v2t, t2v = (m.last_results for m in evaluator.metrics)
    assert v2t['trials'][0]['trial'] == 3 and v2t['num_trials'] == 1
    assert v2t['trials'][0]['num_query'] == 36
    assert v2t['mean'] != t2v['mean']


def test_metric_values_equal_functional_code_and_feature_choice():
    samples = make_samples('regdb', seed=3)
    out = {}
    for feature in ('bn', 'pool'):
        metric = VIReIDMetric(protocol='regdb', feature=feature,
                              distance='euclidean', prefix='x')
        out[feature] = _run(metric, samples)
        feats = np.stack([s['pred_feature'][feature].numpy()
                          for s in samples]).astype(np.float64)
        q, g = (np.array(x) for x in split_query_pool('regdb', 'v2t',
                                                      samples))
        pids = np.array([s['pid'] for s in samples])
        res = evaluate_ranking(compute_distance(feats[q], feats[g],
                                                'euclidean'),
                               pids[q], pids[g], protocol='regdb')
        assert out[feature]['x/rank10'] == pytest.approx(100 * res['cmc'][9])
        assert out[feature]['x/mAP'] == pytest.approx(100 * res['mAP'])
        assert out[feature]['x/mINP'] == pytest.approx(100 * res['mINP'])
    assert out['bn'] != out['pool']
    # a plain tensor pred_feature is used as it is
    for s in samples:
        s['pred_feature'] = s['pred_feature']['pool']
    metric = VIReIDMetric(protocol='regdb', feature='bn', distance='euclidean',
                          prefix='x')
    assert _run(metric, samples) == out['pool']


def test_sysu_official_draw_through_dataset_meta(tmp_path):
    root = str(tmp_path / 'SYSU-MM01')
    entries = make_sysu_tree(root)
    write_rand_perm_cam(root, seed=2)
    rng = np.random.default_rng(0)
    samples = [
        dict(pred_feature=torch.from_numpy(
            _feature(rng, pid, int(cam in (3, 6)))),
             pid=pid, camid=cam, modality=int(cam in (3, 6)),
             is_query=cam in (3, 6), rel_path=rel)
        for rel, pid, cam in entries
    ]
    metric = VIReIDMetric(protocol='sysu', gallery_draw='official', shots=10,
                          num_trials=3)
    metric.dataset_meta = dict(data_root=root)
    metrics = _run(metric, samples)
    prefix = 'sysu-all-t2v-10shot-official'
    perm = load_rand_perm_cam(f'{root}/exp/rand_perm_cam.mat')
    _, pool = split_query_pool('sysu', 't2v', samples)
    galleries = [sysu_official_gallery(samples, perm, 'all', t, 10, pool)
                 for t in range(3)]
    _check_against(metrics, prefix, metric,
                   _independent_plain(samples, galleries))
    missing = VIReIDMetric(protocol='sysu', gallery_draw='official',
                           data_root=str(tmp_path / 'nowhere'))
    with pytest.raises(FileNotFoundError, match='rand_perm_cam.mat'):
        _run(missing, samples)


def _independent_plain(samples, galleries):
    wrapped = [dict(s, pred_feature=dict(bn=s['pred_feature']))
               for s in samples]
    return _independent(wrapped, 'sysu', 't2v', galleries)


def test_table_goes_to_the_current_logger():
    records = []

    class _Keep(logging.Handler):

        def emit(self, record):
            records.append(record.getMessage())

    logger = MMLogger.get_instance('vireid_metric_table_test')
    handler = _Keep()
    logger.addHandler(handler)
    try:
        metric = VIReIDMetric(protocol='llcm', num_trials=2)
        _run(metric, make_samples('llcm'))
    finally:
        logger.removeHandler(handler)
    text = '\n'.join(records)
    assert '[llcm-t2v] llcm t2v | draw agw, 1-shot, 2 trials | feature bn,' \
        ' cosine' in text
    assert 'mean' in text and 'mINP' in text


def test_bad_configs_and_samples():
    with pytest.raises(ValueError, match='infrared->visible only'):
        VIReIDMetric(protocol='sysu', direction='v2t')
    with pytest.raises(ValueError, match="single-shot only"):
        VIReIDMetric(protocol='sysu', shots=10)
    with pytest.raises(ValueError, match='protocol must be'):
        VIReIDMetric(protocol='market')
    metric = VIReIDMetric(protocol='regdb', feature='fc')
    with pytest.raises(KeyError, match="no 'fc' entry"):
        metric.process(None, make_samples('regdb')[:1])
    metric = VIReIDMetric(protocol='regdb')
    only_visible = [s for s in make_samples('regdb') if s['modality'] == 0]
    with pytest.raises(ValueError, match='no gallery candidates'):
        _run(metric, only_visible)
