# Copyright (c) vireid contributors. All rights reserved.
"""Every shipped config builds; its model runs loss / predict / tensor."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from vireid.structures import VIReIDDataSample

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    osp.relpath(p, ROOT)
    for p in glob.glob(osp.join(ROOT, 'projects', '**', '*.py'),
                       recursive=True)
    if not p.endswith('__init__.py'))


def shrink(model: dict) -> dict:
    """Tiny widths for speed; the structure of the model is kept."""
    bb = model['backbone']
    if bb['type'] == 'TwoStreamResNet':
        bb.update(depth=18, base_width=8, init_cfg=None)
        if bb.get('non_local'):
            bb['non_local_cfg'] = dict(num_blocks=(0, 1, 1, 0))
        deep = 64
        channels = None
    elif bb['type'] == 'IDKLResNet':
        bb.update(depth=18, base_width=8, init_cfg=None)
        if bb.get('non_local'):
            bb['non_local_cfg'] = dict(num_blocks=(0, 1, 1, 0))
        deep, channels = 64, None
        for key in ('sp_head', 'purifier', 'disc_sp', 'disc_sh', 'loss_iip'):
            if model.get(key):
                model[key]['in_channels'] = deep
    elif bb['type'] == 'TorchreidBackbone':
        bb.update(name='osnet_x0_25')
        deep, channels = 128, (96, 128, 128)
    else:
        raise AssertionError(f'unknown backbone {bb["type"]}')
    model['head']['in_channels'] = deep
    if model['type'] == 'ICRE':
        if channels is not None:
            model['in_channels'] = channels
        if model.get('mpfr'):
            model['mpfr']['channels'] = 8
        if model.get('sdce'):
            model['sdce'].update(embed_dims=8, num_heads=2, pos_size=(4, 2))
        if model.get('enh_head'):
            model['enh_head']['in_channels'] = None
    return model


def tiny_batch(num_classes: int):
    g = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for label in range(2):
        for modality in (0, 0, 1, 1):
            inputs.append(torch.randint(0, 256, (3, 64, 32), generator=g,
                                        dtype=torch.uint8))
            ds = VIReIDDataSample(metainfo=dict(
                pid=label, camid=1 + 2 * modality, modality=modality,
                is_query=False, img_path='x.jpg', rel_path='x.jpg'))
            ds.set_gt_label(label % num_classes)
            samples.append(ds)
    return dict(inputs=inputs, data_samples=samples)


def test_configs_found():
    assert 'projects/agw/config.py' in CONFIGS
    assert 'projects/icre/config.py' in CONFIGS
    assert len(CONFIGS) >= 10


@pytest.mark.parametrize('config', CONFIGS)
def test_config_builds_and_runs_three_modes(config):
    from vireid.registry import (DATA_SAMPLERS, METRICS, MODELS,
                                 TRANSFORMS)
    cfg = Config.fromfile(osp.join(ROOT, config))
    assert cfg.default_scope == 'vireid'
    init_default_scope('vireid')
    # data side: every transform, the sampler and the metric(s) resolve
    for key in ('train_dataloader', 'test_dataloader'):
        for t in cfg[key].dataset.pipeline:
            TRANSFORMS.build(t)
    assert DATA_SAMPLERS.get(cfg.train_dataloader.sampler.type)
    evaluators = cfg.test_evaluator if isinstance(
        cfg.test_evaluator, list) else [cfg.test_evaluator]
    prefixes = [METRICS.build(e).prefix for e in evaluators]
    assert len(set(prefixes)) == len(prefixes)
    # the sampler's batch equals the loader's batch size
    s = cfg.train_dataloader.sampler
    per = s.num_instances // 2 if s.get('interleave') else s.num_instances
    assert cfg.train_dataloader.batch_size == s.num_ids * per * 2
    # model side, at tiny width
    model = MODELS.build(shrink(cfg.model.to_dict()))
    model.init_weights()
    num_classes = cfg.model.head.num_classes
    data = model.data_preprocessor(tiny_batch(num_classes), True)
    model.train()
    losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total) and total > 0
    total.backward()
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(tiny_batch(num_classes), False)
        preds = model(**data, mode='predict')
        assert len(preds) == 8
        feats = preds[0].pred_feature
        assert {'bn', 'pool'} <= set(feats)
        out = model(data['inputs'], data['data_samples'], mode='tensor')
        assert out is not None


def test_icre_without_data_stops_with_clear_message(tmp_path, monkeypatch):
    from tools.train import main
    monkeypatch.chdir(tmp_path)  # no data/SYSU-MM01 here
    with pytest.raises(FileNotFoundError) as err:
        main([osp.join(ROOT, 'projects/icre/config.py'), '--work-dir',
              str(tmp_path / 'w')])
    msg = str(err.value)
    assert 'SYSU-MM01' in msg and 'make_synthetic' in msg
    assert 'data/SYSU-MM01' in msg


def test_icre_trains_on_synthetic_via_cfg_options(tmp_path):
    """The real-size ICRE config, pointed at a synthetic tree by
    --cfg-options, trains (one short epoch, no ImageNet file needed)."""
    from tools.train import main
    from vireid.synthetic import make_synthetic_sysu
    root = str(tmp_path / 'SYSU-MM01')
    make_synthetic_sysu(root, num_train_ids=4, num_test_ids=2,
                        img_size=(64, 32), images_per_cam=(2, 2), seed=3)
    work = tmp_path / 'w'
    main([
        osp.join(ROOT, 'projects/icre/config.py'), '--work-dir', str(work),
        '--cfg-options', f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        'model.backbone.init_cfg=None', 'train_cfg.max_epochs=1',
        'train_cfg.val_interval=5', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'train_dataloader.batch_size=8',
        'train_dataloader.sampler.num_ids=1',
        'train_dataloader.sampler.num_batches=1',
        'model.backbone.depth=18', 'model.head.in_channels=512',
        'model.backbone.non_local_cfg.num_blocks=(0,1,1,0)',
        'model.head.num_classes=4', 'model.mpfr.aux_head.num_classes=4',
        'model.mpfr.channels=32', 'model.sdce.embed_dims=32',
        'val_dataloader=None', 'val_cfg=None', 'val_evaluator=None',
    ])
    assert osp.isfile(work / 'epoch_1.pth')
