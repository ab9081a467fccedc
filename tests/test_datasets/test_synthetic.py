# Copyright (c) vireid contributors. All rights reserved.
import hashlib
import importlib.util
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from vireid.datasets import LLCMDataset, RegDBDataset, SYSUMM01Dataset
from vireid.synthetic import (SyntheticDifficulty, make_synthetic_sysu,
                              save_sample_grid)
from .conftest import TINY

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


def digest_tree(root):
    out = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                out[osp.relpath(path, root)] = hashlib.md5(
                    f.read()).hexdigest()
    return out


def test_deterministic_and_worker_independent(synthetic_roots, tmp_path):
    kw = dict(num_train_ids=10, num_test_ids=5, img_size=TINY,
              images_per_cam=(2, 3))
    again = str(tmp_path / 'again')
    make_synthetic_sysu(again, seed=1, workers=2, **kw)
    ref = digest_tree(synthetic_roots['sysu'])
    assert len(ref) > 64
    assert digest_tree(again) == ref
    other = str(tmp_path / 'other')
    make_synthetic_sysu(other, seed=2, **kw)
    assert digest_tree(other) != ref


def _images(ds, modality):
    info = ds.get_sampling_info()
    paths = [ds.get_data_info(i)['img_path'] for i in range(len(ds))]
    return [p for p, m in zip(paths, info['modality']) if m == modality]


@pytest.mark.parametrize('layout', ['sysu', 'regdb', 'llcm'])
def test_modalities_look_right(synthetic_roots, layout):
    cls = dict(sysu=SYSUMM01Dataset, regdb=RegDBDataset,
               llcm=LLCMDataset)[layout]
    ds = cls(synthetic_roots[layout], split='test')
    for path in _images(ds, 1)[:20]:
        img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        assert img.shape == TINY + (3, )
        if path.endswith('.bmp'):  # lossless: exactly equal channels
            assert (img[..., 0] == img[..., 1]).all()
            assert (img[..., 1] == img[..., 2]).all()
        else:  # JPEG chroma rounding: at most off by a few levels
            assert np.abs(img.astype(int) - img[..., :1]).max() <= 3
    vis = _images(ds, 0)[:20]
    colourful = 0
    for path in vis:
        img = cv2.imread(path).astype(int)
        colourful += np.abs(img - img.mean(axis=2, keepdims=True)).mean() > 3
    assert colourful >= 0.75 * len(vis)


def test_both_modalities_per_identity(synthetic_roots):
    for cls, root in ((SYSUMM01Dataset, synthetic_roots['sysu']),
                      (LLCMDataset, synthetic_roots['llcm']),
                      (RegDBDataset, synthetic_roots['regdb'])):
        for split in ('train', 'test'):
            info = cls(root, split=split).get_sampling_info()
            for pid in set(info['pid'].tolist()):
                assert set(info['modality'][info['pid'] == pid]) == {0, 1}


def test_same_identity_is_closer_than_others(synthetic_roots):
    """A crude check that identity (not noise) drives the visible images."""
    ds = SYSUMM01Dataset(synthetic_roots['sysu'], split='train')
    info = ds.get_sampling_info()
    feats = []
    for i in range(len(ds)):
        img = cv2.imread(ds.get_data_info(i)['img_path']).astype(np.float32)
        # colour histogram of the central (person) column
        centre = img[4:-2, 5:11].reshape(-1, 3)
        hist = np.histogramdd(centre, bins=4, range=[(0, 256)] * 3)[0]
        feats.append(hist.ravel() / hist.sum())
    feats = np.asarray(feats)
    vis = np.flatnonzero(info['modality'] == 0)
    dist = np.abs(feats[vis, None] - feats[None, vis]).sum(-1)
    np.fill_diagonal(dist, np.inf)
    nearest = vis[dist.argmin(1)]
    acc = (info['gt_label'][nearest] == info['gt_label'][vis]).mean()
    assert acc > 0.3  # chance is 1/10


def test_difficulty_validation():
    with pytest.raises(ValueError, match='num_colors must be in 2..16'):
        SyntheticDifficulty(num_colors=1)
    with pytest.raises(ValueError, match='noise must be >= 0'):
        SyntheticDifficulty(noise=-1)


def test_cli_and_grid(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        'make_synthetic_cli', osp.join(REPO, 'tools', 'make_synthetic.py'))
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    out = str(tmp_path / 'cli')
    grid = str(tmp_path / 'grid.png')
    cli.main([
        '--out', out, '--layout', 'llcm', '--num-ids', '8', '--height', '32',
        '--width', '16', '--seed', '3', '--workers', '1', '--grid', grid
    ])
    assert 'wrote' in capsys.readouterr().out
    assert not osp.exists(osp.join(out, 'SYSU-MM01'))
    out = osp.join(out, 'LLCM')
    ds = LLCMDataset(out, split='test')
    assert ds.metainfo['num_ids'] == 2
    img = cv2.imread(grid)
    assert img is not None and img.shape[0] >= 2 * 32
    # the grid function also works on the other layouts
    save_sample_grid(out, str(tmp_path / 'g2.png'), num_ids=1,
                     per_modality=2)
    assert osp.isfile(str(tmp_path / 'g2.png'))


def test_output_folder_protection(tmp_path):
    kw = dict(num_ids=4, img_size=TINY, images_per_modality=1, num_trials=1)
    from vireid.synthetic import make_synthetic_regdb
    foreign = tmp_path / 'mine'
    foreign.mkdir()
    (foreign / 'notes.txt').write_text('keep me')
    with pytest.raises(FileExistsError, match='not written by the vireid'):
        make_synthetic_regdb(str(foreign), overwrite=True, **kw)
    assert (foreign / 'notes.txt').read_text() == 'keep me'
    out = str(tmp_path / 'reg')
    make_synthetic_regdb(out, seed=0, **kw)
    with pytest.raises(FileExistsError, match='pass overwrite=True'):
        make_synthetic_regdb(out, seed=1, **kw)
    stale = osp.join(out, 'Visible', 'stale.txt')
    open(stale, 'w').close()
    make_synthetic_regdb(out, seed=1, overwrite=True, **kw)
    assert not osp.exists(stale)
    assert osp.isfile(osp.join(out, '.vireid_synthetic.json'))
