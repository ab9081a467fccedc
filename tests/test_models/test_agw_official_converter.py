# Copyright (c) vireid contributors. All rights reserved.
"""tools/model_converters/agw_official_to_vireid.py on constructed files.

The official-layout state dict is built here from vireid's own model and
the key mapping documented in the tool (no official code is involved).
"""
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from tools.model_converters.agw_official_to_vireid import (
    NotOfficialCheckpointError, convert, main)
from vireid.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(ROOT, 'projects', 'agw', 'demo.py')


def _model(cfg_path=DEMO, **backbone):
    cfg = Config.fromfile(cfg_path)
    init_default_scope('vireid')
    mc = cfg.model.to_dict()
    mc['backbone'].update(init_cfg=None, **backbone)
    return MODELS.build(mc)


def _to_official(state):
    """vireid AGW keys -> official embed_net keys (the documented map)."""
    out = {}
    for k, v in state.items():
        m = re.match(r'backbone\.specific\.([01])\.(.+)$', k)
        if m:
            stream = ('visible_module.visible' if m.group(1) == '0' else
                      'thermal_module.thermal')
            out[f'{stream}.{m.group(2)}'] = v
            continue
        m = re.match(r'backbone\.shared\.nl_layer(\d)\.(\d+)\.(\w+)\.(.+)$',
                     k)
        if m:
            part = m.group(3)
            rest = m.group(4)
            if part == 'g':
                part = 'g.0'
            out[f'NL_{m.group(1)}.{m.group(2)}.{part}.{rest}'] = v
            continue
        if k.startswith('backbone.shared.'):
            out['base_resnet.base.' + k[len('backbone.shared.'):]] = v
        elif k.startswith('head.bn.'):
            out['bottleneck.' + k[len('head.bn.'):]] = v
        elif k.startswith('head.classifier.'):
            out['classifier.' + k[len('head.classifier.'):]] = v
        else:
            raise AssertionError(f'unmapped vireid key {k}')
    return out


def _randomised(model):
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for v in model.state_dict().values():
            if v.dtype.is_floating_point:
                v.copy_(torch.rand(v.shape, generator=g))
    return model


def test_roundtrip_loads_strictly_into_the_agw_model(tmp_path):
    src_model = _randomised(_model())
    net = _to_official(src_model.state_dict())
    # keys the official file has but embed_net.forward never uses
    net['visible_module.visible.layer1.0.conv1.weight'] = torch.ones(1)
    net['base_resnet.base.conv1.weight'] = torch.ones(1)
    net = {'module.' + k: v for k, v in net.items()}  # DataParallel
    src = str(tmp_path / 'sysu_agw_best.t')
    torch.save(dict(net=net, epoch=80, mAP=47.6, mINP=35.3), src)
    dst = str(tmp_path / 'out' / 'agw.pth')
    meta = convert(src, dst, config=DEMO)
    assert meta['inter_channels'] == [1] and meta['num_classes'] == 120
    assert meta['dropped_unused_keys'] == 2 and meta['epoch'] == 80
    ckpt = torch.load(dst, weights_only=True)  # a weights-only file
    fresh = _model()
    fresh.load_state_dict(ckpt['state_dict'], strict=True)
    for k, v in src_model.state_dict().items():
        assert torch.equal(fresh.state_dict()[k], v), k


def test_clear_errors(tmp_path, capsys):
    bad = str(tmp_path / 'plain.pth')
    torch.save(dict(state_dict={'a': torch.ones(1)}), bad)
    with pytest.raises(NotOfficialCheckpointError, match="'net'.*mmengine"):
        convert(bad, str(tmp_path / 'x.pth'))
    foreign = str(tmp_path / 'foreign.t')
    torch.save(dict(net={'conv.weight': torch.ones(1)}), foreign)
    with pytest.raises(NotOfficialCheckpointError, match='embed_net'):
        convert(foreign, str(tmp_path / 'x.pth'))
    text = tmp_path / 'notes.txt'
    text.write_text('not a checkpoint')
    with pytest.raises(NotOfficialCheckpointError, match='cannot be read'):
        convert(str(text), str(tmp_path / 'x.pth'))
    with pytest.raises(FileNotFoundError):
        main([str(tmp_path / 'missing.t'), str(tmp_path / 'x.pth')])
    # an official (1-channel non-local) model does not fit a C/2 model
    net = _to_official(_model().state_dict())
    src = str(tmp_path / 'ok.t')
    torch.save(dict(net=net), src)
    c2 = tmp_path / 'c2.py'
    c2.write_text(f"_base_ = ['{DEMO}']\n"
                  'model = dict(backbone=dict(non_local_cfg=dict('
                  '_delete_=True, num_blocks=(0, 1, 1, 0))))\n')
    with pytest.raises(ValueError, match='inter_channels'):
        convert(src, str(tmp_path / 'x.pth'), config=str(c2))
    assert not osp.exists(tmp_path / 'x.pth')
