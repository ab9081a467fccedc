# Copyright (c) vireid contributors. All rights reserved.
"""End to end on a tiny synthetic SYSU-MM01 tree: the real datasets,
sampler, transforms, two-stream model, metric and runner."""
import json
import os.path as osp
import uuid

import pytest
from mmengine.config import Config

from tools.train import build_runner

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def tiny_sysu(tmp_path_factory):
    from vireid.synthetic import make_synthetic_sysu
    root = str(tmp_path_factory.mktemp('syn') / 'SYSU-MM01')
    make_synthetic_sysu(root, num_train_ids=6, num_test_ids=3,
                        img_size=(32, 16), images_per_cam=(2, 3), seed=0)
    return root


def tiny_cfg(config, work_dir, data_root, **overrides):
    """Shrink a shipped demo config to a few seconds of CPU work."""
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'e2e_{uuid.uuid4().hex[:8]}'
    cfg.custom_imports.imports = list(cfg.custom_imports.imports) + [
        'tests.test_engine.toy_components']
    scale = (32, 16)
    train_pipeline = [
        dict(type='LoadVIReIDImage'),
        dict(type='ReIDResize', scale=scale),
        dict(type='RandomPadCrop', pad=2),
        dict(type='RandomHFlip', prob=0.5),
        dict(type='RandomErasing', prob=0.5),
        dict(type='PackVIReIDInputs'),
    ]
    test_pipeline = [
        dict(type='LoadVIReIDImage'),
        dict(type='ReIDResize', scale=scale),
        dict(type='PackVIReIDInputs'),
    ]
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[key]
        loader.dataset.data_root = data_root
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.dataset.pipeline = (train_pipeline if key.startswith('train')
                                   else test_pipeline)
    cfg.train_dataloader.batch_size = 8
    cfg.train_dataloader.sampler.update(num_ids=2, num_instances=2)
    cfg.test_dataloader.batch_size = 16
    cfg.train_cfg.max_epochs = 2
    cfg.param_scheduler = [dict(type='MultiStepLR', by_epoch=True,
                                milestones=[1], gamma=0.1)]
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=4, save_best=None,
        max_keep_ckpts=-1)
    cfg.custom_hooks = [dict(type='ToyLossRecorder')]
    cfg.merge_from_dict(overrides)
    return cfg


def shrink_model(cfg, num_classes=6):
    bb = cfg.model.backbone
    bb.update(depth=18, base_width=8)
    if bb.get('non_local'):
        bb.non_local_cfg = dict(num_blocks=(0, 1, 1, 0))
    cfg.model.head.update(in_channels=64, num_classes=num_classes)
    return cfg


def losses(work_dir):
    with open(osp.join(work_dir, 'losses.jsonl')) as f:
        return [json.loads(line)['loss'] for line in f]


def test_train_save_resume_test(tiny_sysu, tmp_path):
    from tests.test_engine.toy_components import SimulatedKill
    full = tmp_path / 'full'
    cfg = shrink_model(tiny_cfg('projects/agw/demo.py', full, tiny_sysu))
    cfg.custom_hooks.append(dict(type='RankedListVisHook',
                                 out_dir=str(tmp_path / 'ranks'),
                                 num_queries=3, topk=5,
                                 tile_size=(32, 16)))
    runner = build_runner(cfg)
    per_epoch = len(runner.train_dataloader)
    assert per_epoch >= 4, per_epoch
    runner.train()
    metrics = runner.test()
    for key in ('rank1', 'rank10', 'mAP', 'mINP'):
        value = metrics[f'sysu-all-t2v/{key}']
        assert 0.0 <= value <= 100.0
    ref = losses(full)
    # ranked lists: one picture per query plus the stacked one
    import cv2
    hook = [h for h in runner.hooks
            if type(h).__name__ == 'RankedListVisHook'][0]
    assert len(hook.saved) == 4
    grid = cv2.imread(hook.saved[-1])
    assert grid.shape[0] > 3 * (32 + 6) and grid.shape[1] > 6 * 16
    assert len(ref) == 2 * per_epoch

    # killed in the middle of epoch 2 (just after the iteration-8
    # checkpoint, which is not an epoch boundary), then resumed
    kill_at = 8
    assert kill_at % per_epoch != 0
    part = tmp_path / 'part'
    cfg = shrink_model(tiny_cfg('projects/agw/demo.py', part, tiny_sysu))
    cfg.custom_hooks.append(dict(type='ToyKillAfter', iteration=kill_at))
    with pytest.raises(SimulatedKill):
        build_runner(cfg).train()
    assert osp.isfile(part / f'iter_{kill_at}.pth')
    resumed = build_runner(shrink_model(
        tiny_cfg('projects/agw/demo.py', part, tiny_sysu, resume=True)))
    resumed.train()
    got = losses(part)
    assert len(got) == len(ref)
    assert got == pytest.approx(ref, rel=1e-5, abs=1e-6)
    # the resumed run's final model tests like the uninterrupted one
    again = resumed.test()
    assert again['sysu-all-t2v/mAP'] == pytest.approx(
        metrics['sysu-all-t2v/mAP'], abs=1e-3)


def test_plain_loop_would_not_match(tiny_sysu, tmp_path):
    """Guard: mmengine's own loop restarts the epoch, so the check above is
    not vacuous."""
    from tests.test_engine.toy_components import SimulatedKill
    ref_dir, part = tmp_path / 'ref', tmp_path / 'part'
    over = {'train_cfg.type': 'EpochBasedTrainLoop'}
    build_runner(shrink_model(tiny_cfg('projects/agw/demo.py', ref_dir,
                                       tiny_sysu, **over))).train()
    cfg = shrink_model(tiny_cfg('projects/agw/demo.py', part, tiny_sysu,
                                **over))
    cfg.custom_hooks.append(dict(type='ToyKillAfter', iteration=8))
    with pytest.raises(SimulatedKill):
        build_runner(cfg).train()
    build_runner(shrink_model(tiny_cfg('projects/agw/demo.py', part,
                                       tiny_sysu, resume=True, **over))
                 ).train()
    assert losses(part) != pytest.approx(losses(ref_dir), rel=1e-5)
