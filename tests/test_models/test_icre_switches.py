# Copyright (c) vireid contributors. All rights reserved.
"""ICRE switches of issues #9 / #10: class counts from a child config, ICG
reduction, SDCE map norm, metric feature, logged statistics, FLOPs."""
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from vireid.models.losses import ICGLoss
from vireid.models.reid.icre import feature_stats
from vireid.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE = osp.join(ROOT, 'configs', '_base_', 'models', 'icre_r50.py')


def test_child_config_sets_every_head_class_count(tmp_path):
    child = tmp_path / 'child.py'
    child.write_text(
        f'_base_ = [{BASE!r}]\n'
        "model = dict(backbone=dict(depth=18, base_width=8, init_cfg=None, "
        "non_local=False), head=dict(in_channels=64, num_classes=7), "
        "mpfr=dict(channels=16), sdce=dict(embed_dims=16, num_heads=2))\n")
    cfg = Config.fromfile(str(child))
    assert 'num_classes' not in cfg  # no top-level variable to trap anyone
    init_default_scope('vireid')
    model = MODELS.build(cfg.model)
    assert model.head.num_classes == 7
    assert model.enh_head.num_classes == 7
    assert model.mpfr.aux_head.num_classes == 7
    assert model.mpfr.aux_head.classifier.out_features == 7
    # the shipped per-data-set configs really build their class counts
    for rel, n in (('projects/icre/configs/icre_r50_1xb64-100e_regdb.py',
                    206),
                   ('projects/icre/configs/icre_r50_1xb48-151e_llcm.py',
                    713), ('projects/icre/config.py', 395)):
        m = Config.fromfile(osp.join(ROOT, rel)).model
        assert m.head.num_classes == n, rel
        assert 'num_classes' not in m.mpfr.aux_head, rel  # copied at build


def _icg_oracle(x, labels, mods, reduce, margin):
    x = torch.nn.functional.normalize(x, dim=1)
    gaps, pulls, divs, joints = [], [], [], {}
    for y in labels.unique().tolist():
        sel = labels == y
        joints[y] = x[sel].mean(0)
        cv, ci = x[sel & (mods == 0)], x[sel & (mods == 1)]
        if len(cv) and len(ci):
            c = {0: cv.mean(0), 1: ci.mean(0)}
            gaps.append((c[0] - c[1]).norm())
            for i in torch.nonzero(sel).flatten().tolist():
                pulls.append((x[i] - c[1 - int(mods[i])]).norm())
    for y, c in joints.items():
        near = min((c - d).norm() for z, d in joints.items() if z != y)
        divs.append(torch.relu(margin - near))
    return [reduce(torch.stack(t)) for t in (gaps, pulls, divs)]


@pytest.mark.parametrize('reduction', ['mean', 'sum'])
def test_icg_reduction(reduction):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(14, 6, generator=g)
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 0, 1, 2, 5])
    mods = torch.tensor([0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0])
    loss = ICGLoss(margin=1.2, reduction=reduction)
    terms = loss.compute_terms(x, labels, mods)
    expect = _icg_oracle(x, labels, mods,
                         torch.sum if reduction == 'sum' else torch.mean, 1.2)
    for name, value in zip(('gap', 'pull', 'diversity'), expect):
        torch.testing.assert_close(terms[name], value, msg=name)
    assert float(terms['diversity']) > 0
    with pytest.raises(ValueError, match="reduction must be 'mean' or"):
        ICGLoss(reduction='none')


def test_feature_stats_oracle():
    x = torch.tensor([[3., 4.], [3., 4.], [0., 1.], [0., 2.]])
    labels = torch.tensor([0, 0, 1, 2])
    s = feature_stats(x, labels)
    torch.testing.assert_close(s['stat_norm'], torch.tensor(3.25))
    torch.testing.assert_close(s['stat_dpos'], torch.tensor(0.))
    # negatives: (0,2) (0,3) (1,2) (1,3) (2,3) both ways
    d = [18 ** .5, 13 ** .5, 18 ** .5, 13 ** .5, 1.]
    torch.testing.assert_close(s['stat_dneg'], torch.tensor(sum(d) / 5))
    assert not any('loss' in k for k in s)


def _tiny(**kw):
    init_default_scope('vireid')
    cfg = dict(
        type='ICRE', data_preprocessor=dict(type='VIReIDDataPreprocessor'),
        backbone=dict(type='TwoStreamResNet', depth=18, base_width=8,
                      out_indices=(1, 2, 3)),
        head=dict(type='BNNeckHead', in_channels=64, num_classes=2,
                  loss_triplet=dict(type='TripletLoss')),
        mpfr=dict(type='MPFRHead', channels=16),
        sdce=dict(type='SDCEHead', embed_dims=16, num_heads=2))
    cfg.update(kw)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def test_metric_and_icg_feature_switches(tiny_batch):
    default = _tiny()
    assert default.enh_metric_feature == 'pool'
    assert default.icg_feature == 'pool'
    assert default.test_feature == 'enh' and default.sdce.map_norm == 'none'
    model = _tiny(enh_metric_feature='bn', icg_feature='bn',
                  sdce=dict(type='SDCEHead', embed_dims=16, num_heads=2,
                            map_norm='bn'))
    data = model.data_preprocessor(tiny_batch, True)
    torch.manual_seed(0)
    losses = model(**data, mode='loss')
    model.eval()
    with torch.no_grad():
        outs = model(**data, mode='tensor')
    model.train()
    labels = torch.tensor([ds.gt_label for ds in data['data_samples']])
    mods = torch.tensor([ds.metainfo['modality']
                         for ds in data['data_samples']])
    # the same batch in train mode gives the train-mode BN feature; check
    # the losses against the loss modules applied to the right feature
    feats = model.extract_feat(data['inputs'], data['data_samples'])
    br = model.branch_forward(feats)
    torch.testing.assert_close(
        losses['enh.loss_triplet'],
        model.enh_head.loss_triplet(br['enh']['bn'], labels))
    torch.testing.assert_close(losses['loss_icg'],
                               model.loss_icg(br['enh']['bn'], labels, mods))
    assert outs['bn'].shape == (8, 16)  # BN(f_enh) alone by default
    with pytest.raises(ValueError, match='enh_metric_feature'):
        _tiny(enh_metric_feature='x')
    with pytest.raises(ValueError, match="map_norm must be 'bn' or 'none'"):
        _tiny(sdce=dict(type='SDCEHead', embed_dims=16, num_heads=2,
                        map_norm='ln'))
    assert default.sdce.map_bn is None
    assert (sum(p.numel() for p in model.parameters()) -
            sum(p.numel() for p in default.parameters())) == 2 * 16


def test_model_cost_counts_attention():
    sys.path.insert(0, osp.join(ROOT, 'benchmarks'))
    try:
        from model_cost import count_flops
    finally:
        sys.path.pop(0)
    init_default_scope('vireid')
    sdce = MODELS.build(dict(type='SDCEHead', deep_channels=32,
                             mp_channels=16, embed_dims=16, num_heads=2,
                             map_norm='none')).eval()
    x = (torch.randn(1, 32, 4, 2), torch.randn(1, 16, 4, 2))
    L, E = 8, 16  # tokens, width; oracle: every matrix product
    proj = L * 32 * E + L * 16 * E
    attn = 2 * ((L + 2 * L) * E * E + 2 * L * L * E + L * E * E)
    ffn = 2 * L * E * 4 * E
    with torch.no_grad():  # fused fast path of nn.MultiheadAttention
        fast = count_flops(sdce, x)
    slow = count_flops(sdce, x)  # with grad: the unfused path
    assert fast == slow
    assert abs(fast - (proj + attn + ffn)) <= 0.01 * (proj + attn + ffn)
