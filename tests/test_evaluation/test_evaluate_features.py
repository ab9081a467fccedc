# Copyright (c) vireid contributors. All rights reserved.
"""tools/evaluate_features.py: results and one clear error per bad input."""
import json

import numpy as np
import pytest

from tools.evaluate_features import main
from vireid.evaluation import (compute_distance, evaluate_ranking,
                               split_query_pool, sysu_agw_gallery)
from .trees import make_llcm_tree, make_regdb_tree, make_sysu_tree

KEYS = ('rank1', 'rank5', 'rank10', 'rank20', 'mAP', 'mINP')


def _feats_for(paths, pids, mods, seed=0, dim=12):
    rng = np.random.default_rng(seed)
    centers = {p: np.random.default_rng(p).standard_normal(dim)
               for p in set(pids)}
    return np.stack([centers[p] + 0.4 * m + rng.standard_normal(dim)
                     for p, m in zip(pids, mods)]).astype(np.float32)


@pytest.fixture
def sysu(tmp_path):
    root = str(tmp_path / 'SYSU-MM01')
    entries = make_sysu_tree(root)
    paths = [e[0] for e in entries]
    feats = _feats_for(paths, [e[1] for e in entries],
                       [int(e[2] in (3, 6)) for e in entries])
    npz = str(tmp_path / 'feats.npz')
    np.savez(npz, paths=np.array(paths), feats=feats)
    return root, npz, entries, feats


def _err(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    return capsys.readouterr().err


def test_sysu_features_json_and_table(sysu, tmp_path, capsys):
    root, npz, entries, feats = sysu
    out = str(tmp_path / 'res' / 'r.json')
    ret = main(['--dataset', 'sysu', '--root', root, '--features', npz,
                '--trials', '3', '--out', out])
    table = capsys.readouterr().out
    assert '[sysu-all-t2v] sysu all t2v | draw agw, 1-shot, 3 trials' in table
    with open(out) as f:
        res = json.load(f)
    assert res == json.loads(json.dumps(ret))
    assert set(KEYS) <= set(res) and len(res['trials']) == 3
    assert res['protocol'].startswith('sysu all t2v | draw agw')
    # independent computation of trial 2 from the functional code
    recs = [dict(rel_path=p, pid=pid, camid=cam, is_query=cam in (3, 6))
            for p, pid, cam in entries]
    q, pool = split_query_pool('sysu', 't2v', recs)
    g = sysu_agw_gallery(recs, 'all', 2, pool)
    pids = np.array([e[1] for e in entries])
    cams = np.array([e[2] for e in entries])
    ref = evaluate_ranking(compute_distance(feats[q], feats[g]), pids[q],
                           pids[g], cams[q], cams[g], protocol='sysu')
    assert res['trials'][2]['rank1'] == pytest.approx(ref['cmc'][0])
    assert res['trials'][2]['mAP'] == pytest.approx(ref['mAP'])
    for k in KEYS:
        assert 0.0 <= res[k] <= 1.0
        assert res[k] == pytest.approx(np.mean([t[k] for t in
                                                res['trials']]))


def test_regdb_and_llcm_features(tmp_path, capsys):
    root = str(tmp_path / 'RegDB')
    entries = make_regdb_tree(root, trial=2)
    paths = [e[0] for e in entries]
    feats = _feats_for(paths, [e[1] for e in entries],
                       [int(e[2] == 2) for e in entries])
    np.savez(tmp_path / 'r.npz', paths=np.array(paths), feats=feats)
    a = main(['--dataset', 'regdb', '--root', root, '--trial', '2',
              '--features', str(tmp_path / 'r.npz')])
    b = main(['--dataset', 'regdb', '--root', root, '--trial', '2',
              '--features', str(tmp_path / 'r.npz'), '--direction', 't2v'])
    assert len(a['trials']) == 1 and a['trials'][0]['trial'] == 2
    assert a['protocol'].startswith('regdb v2t') and \
        b['protocol'].startswith('regdb t2v')
    assert a['trials'][0]['num_query'] == 18

    root = str(tmp_path / 'LLCM')
    tree = make_llcm_tree(root)
    entries = tree['vis'] + tree['nir']
    mods = [0] * len(tree['vis']) + [1] * len(tree['nir'])
    feats = _feats_for([e[0] for e in entries], [e[1] for e in entries], mods)
    np.savez(tmp_path / 'l.npz', paths=np.array([e[0] for e in entries]),
             feats=feats)
    res = main(['--dataset', 'llcm', '--root', root, '--features',
                str(tmp_path / 'l.npz'), '--trials', '2', '--direction',
                'v2i'])
    assert res['protocol'].startswith('llcm v2t | draw agw, 1-shot, 2')
    assert res['trials'][0]['num_query'] == len(tree['vis'])


def test_npz_set_mode(tmp_path):
    rng = np.random.default_rng(2)
    qf, gf = rng.standard_normal((30, 8)), rng.standard_normal((25, 8))
    arrays = dict(q_pids=rng.integers(0, 6, 30), g_pids=rng.integers(0, 6, 25),
                  q_camids=rng.choice([3, 6], 30),
                  g_camids=rng.choice([1, 2, 4, 5], 25))
    np.savez(tmp_path / 'f.npz', qf=qf, gf=gf, **arrays)
    np.savez(tmp_path / 'd.npz', distmat=compute_distance(qf, gf), **arrays)
    a = main(['--npz', str(tmp_path / 'f.npz'), '--protocol', 'sysu'])
    b = main(['--npz', str(tmp_path / 'd.npz'), '--protocol', 'sysu',
              '--out', str(tmp_path / 'o.json')])
    ref = evaluate_ranking(compute_distance(qf, gf), protocol='sysu',
                           **arrays)
    for k in KEYS:
        assert a[k] == b[k]
    assert a['rank5'] == pytest.approx(ref['cmc'][4])
    assert a['mINP'] == pytest.approx(ref['mINP'])


def test_bad_inputs_each_give_their_message(sysu, tmp_path, capsys):
    root, npz, entries, feats = sysu
    paths = np.array([e[0] for e in entries])
    base = ['--dataset', 'sysu', '--root', root, '--features']

    bad = feats.copy()
    bad[5, 3] = np.nan
    np.savez(tmp_path / 'nan.npz', paths=paths, feats=bad)
    err = _err(capsys, base + [str(tmp_path / 'nan.npz')])
    assert 'NaN/inf values in 1 row(s), first row 5' in err
    assert repr(str(paths[5])) in err

    bad = feats.copy()
    bad[2, 0] = np.inf
    np.savez(tmp_path / 'inf.npz', paths=paths, feats=bad)
    assert 'NaN/inf' in _err(capsys, base + [str(tmp_path / 'inf.npz')])

    np.savez(tmp_path / 'rows.npz', paths=paths, feats=feats[:-1])
    err = _err(capsys, base + [str(tmp_path / 'rows.npz')])
    assert f'one row per path: {len(paths)} paths but feats has shape' in err

    # a superset of the test split: extra rows are ignored and counted
    alien = np.concatenate([paths, ['cam1/0099/0001.jpg', 'x/y.jpg']])
    np.savez(tmp_path / 'alien.npz', paths=alien,
             feats=np.concatenate([feats, feats[:2] + 5]))
    capsys.readouterr()
    sup = main(base + [str(tmp_path / 'alien.npz'), '--trials', '2'])
    out = capsys.readouterr().out
    assert "ignoring 2 of %d feature rows whose images are not in the sysu " \
        "test split (e.g. 'cam1/0099/0001.jpg')" % len(alien) in out
    np.savez(tmp_path / 'ok.npz', paths=paths, feats=feats)
    ref = main(base + [str(tmp_path / 'ok.npz'), '--trials', '2'])
    assert {k: sup[k] for k in KEYS} == {k: ref[k] for k in KEYS}
    # ...but a test image without a feature is still an error
    alien[4] = 'cam1/0099/0002.jpg'
    np.savez(tmp_path / 'alien4.npz', paths=alien,
             feats=np.concatenate([feats, feats[:2] + 5]))
    err = _err(capsys, base + [str(tmp_path / 'alien4.npz')])
    assert f"1 image(s) of the sysu test split have no feature, e.g. " \
        f"'{paths[4]}'" in err

    np.savez(tmp_path / 'few.npz', paths=paths[1:], feats=feats[1:])
    err = _err(capsys, base + [str(tmp_path / 'few.npz')])
    assert f"1 image(s) of the sysu test split have no feature, e.g. " \
        f"'{paths[0]}'" in err

    np.savez(tmp_path / 'nokey.npz', paths=paths)
    assert "missing array(s) ['feats']" in _err(
        capsys, base + [str(tmp_path / 'nokey.npz')])

    err = _err(capsys, base + [npz, '--gallery-draw', 'official'])
    assert 'rand_perm_cam.mat' in err and 'not found' in err

    err = _err(capsys, base + [npz, '--direction', 'v2t'])
    assert 'infrared->visible only' in err

    # --npz set files
    rng = np.random.default_rng(0)
    good = dict(distmat=rng.random((4, 3)), q_pids=np.arange(4),
                g_pids=np.arange(3), q_camids=np.full(4, 3),
                g_camids=np.ones(3, int))
    cases = {
        'empty': (dict(good, distmat=np.zeros((4, 0)),
                       g_pids=np.zeros(0, int), g_camids=np.zeros(0, int)),
                  'the gallery is empty'),
        'lengths': (dict(good, g_camids=np.ones(2, int)),
                    'gallery arrays differ in length: "g_pids" has 3, '
                    '"g_camids" has 2'),
        'shape': (dict(good, distmat=rng.random((4, 4))),
                  '"distmat" has shape (4, 4), expected (4, 3)'),
        'nan': (dict(good, distmat=np.full((4, 3), np.nan)),
                '"distmat" has NaN/inf values in 4 row(s)'),
    }
    for name, (arrays, message) in cases.items():
        np.savez(tmp_path / f'{name}.npz', **arrays)
        err = _err(capsys, ['--npz', str(tmp_path / f'{name}.npz'),
                            '--protocol', 'sysu'])
        assert message in err, (name, err)
    err = _err(capsys, ['--npz', str(tmp_path / 'lengths.npz')])
    assert '--npz needs --protocol' in err
