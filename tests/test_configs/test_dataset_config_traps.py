# Copyright (c) vireid contributors. All rights reserved.
"""Per-trial RegDB from a child config; no best.pth on test-set metrics."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from vireid.datasets import make_synthetic_regdb
from vireid.registry import DATASETS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
REGDB = osp.join(ROOT, 'configs', '_base_', 'datasets', 'regdb.py')


@pytest.fixture(scope='module')
def regdb_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('regdb') / 'RegDB')
    make_synthetic_regdb(root, num_ids=8, img_size=(16, 8),
                         images_per_modality=2, num_trials=3, seed=0)
    return root


def _pids(cfg, key, root):
    init_default_scope('vireid')
    ds_cfg = cfg[key].dataset.copy()
    ds_cfg.update(data_root=root, pipeline=[])
    ds = DATASETS.build(ds_cfg)
    return ds.trial, sorted(
        {ds.get_data_info(i)['pid'] for i in range(len(ds))})


def test_child_config_selects_the_trial_on_every_loader(tmp_path,
                                                        regdb_root):
    child = tmp_path / 'regdb_trial3.py'
    child.write_text(
        f"_base_ = [{REGDB!r}]\n"
        'train_dataloader = dict(dataset=dict(trial=3))\n'
        'val_dataloader = dict(dataset=dict(trial=3))\n'
        'test_dataloader = dict(dataset=dict(trial=3))\n')
    base = Config.fromfile(REGDB)
    cfg = Config.fromfile(str(child))
    assert 'trial' not in base  # no top-level variable that does nothing
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        t1, ids1 = _pids(base, key, regdb_root)
        t3, ids3 = _pids(cfg, key, regdb_root)
        assert (t1, t3) == (1, 3)
        assert ids1 != ids3  # a different split was really built
    # train and test of one trial are disjoint
    assert not set(_pids(cfg, 'train_dataloader', regdb_root)[1]) & set(
        _pids(cfg, 'test_dataloader', regdb_root)[1])


def test_cfg_options_way_from_the_docs(regdb_root):
    cfg = Config.fromfile(REGDB)
    cfg.merge_from_dict({
        'train_dataloader.dataset.trial': 2,
        'val_dataloader.dataset.trial': 2,
        'test_dataloader.dataset.trial': 2
    })
    assert {_pids(cfg, k, regdb_root)[0]
            for k in ('train_dataloader', 'val_dataloader',
                      'test_dataloader')} == {2}


@pytest.mark.parametrize('config', sorted(
    glob.glob(osp.join(ROOT, 'projects', 'agw', '**', '*.py'),
              recursive=True)))
def test_agw_configs_do_not_pick_best_on_the_test_metric(config):
    if config.endswith('__init__.py'):
        return
    cfg = Config.fromfile(config)
    assert cfg.default_hooks.checkpoint.get('save_best') is None
