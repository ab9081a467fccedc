# Copyright (c) vireid contributors. All rights reserved.
"""vireid.apis: init_model / extract_features, and extract_features.py ->
evaluate_features.py giving exactly the metrics of tools/test.py."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from vireid.apis import extract_features, init_model, load_config
from .helpers import ROOT, save_weights, tiny_config


@pytest.fixture(scope='module')
def tiny_tree(tmp_path_factory):
    from vireid.synthetic import make_synthetic_sysu
    root = str(tmp_path_factory.mktemp('api') / 'SYSU-MM01')
    make_synthetic_sysu(root, num_train_ids=4, num_test_ids=3,
                        img_size=(32, 16), images_per_cam=(2, 3), seed=0)
    return root


def test_extract_features_paths_arrays_batches_modality(tmp_path):
    cfg = tiny_config('projects/agw/demo.py')
    cfg.model.flip_test = True
    model = init_model(cfg)
    assert not model.training and model.cfg.model.flip_test
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 256, (40, 20, 3), dtype=np.uint8)
            for _ in range(5)]
    paths = []
    for i, img in enumerate(imgs):  # lossless, so the files equal the arrays
        paths.append(str(tmp_path / f'{i}.png'))
        cv2.imwrite(paths[-1], img[:, :, ::-1])
    a = extract_features(model, imgs, modality='infrared', batch_size=2)
    b = extract_features(model, paths, modality=1, batch_size=5)
    assert a.shape == (5, 64) and a.dtype == np.float32
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
    # one image, per-image modalities: a two-stream model routes by them
    one = extract_features(model, paths[0], modality='visible')
    mixed = extract_features(model, paths[:2], modality=[0, 1])
    np.testing.assert_allclose(mixed[0], one[0], atol=1e-5)
    np.testing.assert_allclose(mixed[1], b[1], atol=1e-5)
    assert not np.allclose(one[0], b[0], atol=1e-3)
    grey = extract_features(model, imgs[0][:, :, 0], modality=0)
    assert grey.shape == (1, 64)
    with pytest.raises(ValueError, match='unknown modality'):
        extract_features(model, paths[:1], modality='uv')
    with pytest.raises(ValueError, match='2 images but 1 modalities'):
        extract_features(model, paths[:2], modality=[0])
    with pytest.raises(FileNotFoundError, match='nope.jpg'):
        extract_features(model, [str(tmp_path / 'nope.jpg')], modality=0)
    with pytest.raises(TypeError, match='uint8'):
        extract_features(model, [imgs[0].astype(np.float32)], modality=0)


def test_init_model_loads_checkpoint_and_trust_rule(tmp_path):
    from vireid.utils.compat import UntrustedCheckpointError
    cfg = tiny_config('projects/agw/demo.py')
    a = init_model(cfg)
    ckpt = save_weights(a, str(tmp_path / 'w.pth'))
    b = init_model(cfg, ckpt)
    for (k, v), w in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(v, w), k
    # a checkpoint that pickles objects needs trust_checkpoint=True
    full = str(tmp_path / 'full.pth')
    torch.save(dict(state_dict=a.state_dict(), meta=dict(x=object())), full)
    with pytest.raises(UntrustedCheckpointError):
        init_model(cfg, full)
    init_model(cfg, full, trust_checkpoint=True)
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        init_model(cfg, str(tmp_path / 'missing.pth'))


def test_load_config_overrides(tmp_path):
    path = osp.join(ROOT, 'projects/agw/demo.py')
    cfg = load_config(path, cfg_options={'train_cfg.max_epochs': 2})
    assert cfg.train_cfg.max_epochs == 2
    assert cfg.work_dir == osp.join('./work_dirs', 'demo')
    assert load_config(path, work_dir=str(tmp_path)).work_dir == str(tmp_path)
    with pytest.raises(FileNotFoundError, match='no_such.py'):
        load_config(str(tmp_path / 'no_such.py'))


def test_extract_then_evaluate_equals_test_tool(tiny_tree, tmp_path, capsys):
    from tools.evaluate_features import main as evaluate
    from tools.extract_features import main as extract
    from tools.test import main as test
    cfg = tiny_config('projects/agw/demo.py', data_root=tiny_tree)
    cfg.test_evaluator.num_trials = 3
    config = str(tmp_path / 'tiny.py')
    cfg.dump(config)
    ckpt = save_weights(init_model(cfg), str(tmp_path / 'w.pth'))
    out = str(tmp_path / 'metrics.json')
    test([config, ckpt, '--work-dir', str(tmp_path / 'work'), '--out', out])
    with open(out) as f:
        ref = json.load(f)['details']['sysu-all-t2v']['mean']
    npz = str(tmp_path / 'feats.npz')
    saved = extract([config, ckpt, '--dataset', 'sysu', '--root', tiny_tree,
                     '--split', 'all', '--out', npz, '--batch-size', '7'])
    # --split all: the test split first, then the train images
    assert len(saved['paths']) == len(saved['feats']) == \
        len(set(saved['paths'].tolist()))
    assert any(p.startswith('cam1/') for p in saved['paths'])
    capsys.readouterr()
    res = evaluate(['--dataset', 'sysu', '--root', tiny_tree, '--features',
                    npz, '--trials', '3'])
    printed = capsys.readouterr().out
    assert 'feature rows whose images are not in the sysu test split' \
        in printed
    assert set(ref) == {'rank1', 'rank5', 'rank10', 'rank20', 'mAP', 'mINP'}
    for k, v in ref.items():
        assert res[k] == pytest.approx(v, abs=1e-9), k
