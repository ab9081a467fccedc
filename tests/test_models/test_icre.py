# Copyright (c) vireid contributors. All rights reserved.
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope

from vireid.models import ICRE
from vireid.registry import MODELS

HEAD = dict(type='BNNeckHead', in_channels=128, num_classes=2,
            loss_id=dict(type='CrossEntropyLoss'),
            loss_triplet=dict(type='TripletLoss', margin=0.3))
FULL = dict(
    type='ICRE',
    data_preprocessor=dict(type='VIReIDDataPreprocessor'),
    backbone=dict(type='TwoStreamResNet', depth=18, base_width=16,
                  out_indices=(1, 2, 3)),
    neck=dict(type='GeMPooling', p=3.0),
    head=HEAD,
    mpfr=dict(type='MPFRHead', channels=32,
              aux_head=dict(type='BNNeckHead', num_classes=2,
                            loss_triplet=None)),
    sdce=dict(type='SDCEHead', embed_dims=32, num_heads=4,
              distill=dict(weight=1.0, temperature=4.0)),
    loss_icg=dict(type='ICGLoss'))

AGW = dict(type='VIReIDModel',
           backbone=dict(type='TwoStreamResNet', depth=18, base_width=16),
           neck=dict(type='GeMPooling', p=3.0), head=HEAD)

# the ablation variants, expressed by config alone
VARIANTS = dict(
    agw_icg=dict(mpfr=None, sdce=None, test_feature='deep'),
    agw_mpfr=dict(mpfr=dict(type='MPFRHead', channels=32), sdce=None,
                  loss_icg=None),
    agw_mpfr_sdce=dict(mpfr=dict(type='MPFRHead', channels=32),
                       sdce=dict(type='SDCEHead', embed_dims=32,
                                 num_heads=4), loss_icg=None),
    full_no_distill=dict(mpfr=dict(type='MPFRHead', channels=32),
                         sdce=dict(type='SDCEHead', embed_dims=32,
                                   num_heads=4)),
    sdce_without_mpfr=dict(mpfr=None,
                           sdce=dict(type='SDCEHead', embed_dims=32,
                                     num_heads=4)),
)


def _build(cfg=FULL, **overrides):
    init_default_scope('vireid')
    cfg = copy.deepcopy(cfg)
    cfg.update(copy.deepcopy(overrides))
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def _nparams(model):
    return sum(p.numel() for p in model.parameters())


def _grad_ok(p):
    return (p.grad is not None and bool(torch.isfinite(p.grad).all())
            and p.grad.abs().sum() > 0)


STATS = {f'{b}.stat_{k}' for b in ('deep', 'enh')
         for k in ('norm', 'dpos', 'dneg', 'cpos', 'cneg', 'bn_scale')}
ICG_TERMS = {'icg.gap', 'icg.pull', 'icg.diversity'}


def test_full_icre_three_modes(tiny_batch):
    model = _build(test_feature='concat')
    assert isinstance(model, ICRE)
    assert model.mpfr.in_channels == (32, 64, 128)  # from the backbone
    assert model.sdce.deep_channels == 128 and model.sdce.mp_channels == 32
    assert model.enh_head.in_channels == 32 and model.icg_input == 'enh'
    data = model.data_preprocessor(tiny_batch, True)
    losses = model(**data, mode='loss')
    assert set(losses) == {
        'deep.loss_id', 'deep.loss_triplet', 'deep.acc', 'mp.loss_id',
        'mp.acc', 'enh.loss_id', 'enh.loss_triplet', 'enh.acc', 'loss_icg',
        'loss_distill'
    } | STATS | ICG_TERMS
    # logged statistics are detached and hold no 'loss' (not summed)
    assert not any(losses[k].requires_grad for k in STATS | ICG_TERMS)
    for name, head in (('deep', model.head), ('enh', model.enh_head)):
        torch.testing.assert_close(losses[f'{name}.stat_bn_scale'],
                                   head.bn.weight.detach().abs().mean())
    assert all(torch.isfinite(v) for v in losses.values())
    assert losses['loss_icg'] > 0
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    for p in (model.mpfr.align[0][0].weight, model.mpfr.masks[1].weight,
              model.sdce.stages[0].cross_attn.in_proj_weight,
              model.sdce.stages[0].self_attn.in_proj_weight,
              model.enh_head.classifier.weight,
              model.backbone.specific[0].conv1.weight,
              model.backbone.specific[1].conv1.weight,
              model.backbone.shared.layer2[0].conv1.weight):
        assert _grad_ok(p)

    model.eval()
    with torch.no_grad():
        outs = model(**data, mode='tensor')
        preds = model(**data, mode='predict')
    assert outs['deep_bn'].shape == (8, 128) and outs['enh_bn'].shape == (8,
                                                                          32)
    assert outs['mp_logits'].shape == (8, 2)
    expect = torch.cat([F.normalize(outs['deep_bn'], dim=1),
                        F.normalize(outs['enh_bn'], dim=1)], dim=1)
    torch.testing.assert_close(outs['bn'], expect)
    assert outs['pool'].shape == (8, 160)
    assert len(preds) == 8
    feat = preds[3].pred_feature
    assert set(feat) == {'bn', 'pool', 'deep', 'deep_pool', 'enh',
                         'enh_pool'}
    torch.testing.assert_close(feat['bn'], outs['bn'][3])
    torch.testing.assert_close(feat['deep'], outs['deep_bn'][3])
    torch.testing.assert_close(feat['enh_pool'], outs['enh_pool'][3])


@pytest.mark.parametrize('test_feature', ['enh', 'deep'])
def test_test_feature_switch(tiny_batch, test_feature):
    model = _build(test_feature=test_feature, concat_normalize=False).eval()
    data = model.data_preprocessor(tiny_batch)
    with torch.no_grad():
        outs = model(**data, mode='tensor')
        preds = model(**data, mode='predict')
    torch.testing.assert_close(outs['bn'], outs[f'{test_feature}_bn'])
    torch.testing.assert_close(preds[0].pred_feature['pool'],
                               outs[f'{test_feature}_pool'][0])


def test_ablation_variants_and_parameter_counts(tiny_batch):
    init_default_scope('vireid')
    agw = MODELS.build(copy.deepcopy(AGW))
    counts = {}
    for name, overrides in VARIANTS.items():
        model = _build(**overrides)
        counts[name] = _nparams(model)
        losses = model(**model.data_preprocessor(tiny_batch, True),
                       mode='loss')
        assert all(torch.isfinite(v) for v in losses.values()), name
        assert ('loss_icg' in losses) == (model.loss_icg is not None)
        assert ('enh.loss_id' in losses) == (name != 'agw_icg')
        assert 'loss_distill' not in losses
        if name == 'agw_icg':
            assert model.icg_input == 'deep'
            assert model.mpfr is None and model.enh_head is None
            assert set(losses) == {'deep.loss_id', 'deep.loss_triplet',
                                   'deep.acc', 'loss_icg'} | {
                                       k for k in STATS | ICG_TERMS
                                       if not k.startswith('enh.')}
            assert losses['loss_icg'] > 0
            losses['loss_icg'].backward()
            assert _grad_ok(model.backbone.shared.layer4[0].conv1.weight)
    # AGW + ICG is AGW plus a parameter-free loss
    assert counts['agw_icg'] == _nparams(agw)
    # MPFR, then SDCE, add parameters; distillation adds the MPFR aux head
    assert counts['agw_mpfr'] > counts['agw_icg']
    assert counts['agw_mpfr_sdce'] > counts['agw_mpfr']
    assert counts['full_no_distill'] == counts['agw_mpfr_sdce']
    full = _build()
    assert _nparams(full) == counts['full_no_distill'] + 32 * 2 + 32 * 2


def test_agw_icg_matches_agw_with_same_weights(tiny_batch):
    init_default_scope('vireid')
    agw = MODELS.build(copy.deepcopy(AGW))
    agw.init_weights()
    icg = _build(AGW, type='ICRE', mpfr=None, sdce=None,
                 loss_icg=dict(type='ICGLoss'), test_feature='deep')
    icg.load_state_dict(agw.state_dict())  # identical parameter sets
    data = agw.data_preprocessor(tiny_batch, True)
    a = agw(**data, mode='loss')
    b = icg(**data, mode='loss')
    torch.testing.assert_close(a['loss_id'], b['deep.loss_id'])
    torch.testing.assert_close(a['loss_triplet'], b['deep.loss_triplet'])
    agw.eval()
    icg.eval()
    with torch.no_grad():
        pa = agw(**data, mode='predict')
        pb = icg(**data, mode='predict')
    torch.testing.assert_close(pa[0].pred_feature['bn'],
                               pb[0].pred_feature['bn'])


def test_train_step_and_flip(tiny_batch):
    model = _build(flip_test=True, test_feature='concat')
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    log_vars = model.train_step(tiny_batch, optim)
    total = sum(v for k, v in log_vars.items() if 'loss' in k and k != 'loss')
    torch.testing.assert_close(log_vars['loss'], total)
    model.eval()
    results = model.val_step(tiny_batch)
    as_dict = results[0].to_dict()
    assert {'bn', 'pool', 'deep', 'enh'} <= set(as_dict['pred_feature'])
    assert as_dict['pred_feature']['bn'].shape == (160, )


def test_autocast_and_channels_last(tiny_batch):
    model = _build(channels_last=True)
    assert model.mpfr.align[0][0].weight.is_contiguous(
        memory_format=torch.channels_last)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model(**model.data_preprocessor(tiny_batch, True),
                       mode='loss')
    assert all(torch.isfinite(v) for v in losses.values())
    assert losses['loss_icg'].dtype == torch.float32
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert _grad_ok(model.sdce.stages[0].cross_attn.in_proj_weight)


def test_config_errors():
    with pytest.raises(ValueError, match="use test_feature='deep'"):
        _build(mpfr=None, sdce=None)
    with pytest.raises(ValueError, match='distill needs a classifier'):
        _build(mpfr=dict(type='MPFRHead', channels=32))
    with pytest.raises(ValueError, match='enh_head is given'):
        _build(mpfr=None, sdce=None, test_feature='deep', enh_head=HEAD)
    with pytest.raises(ValueError, match='disagrees with the backbone'):
        _build(in_channels=(1, 2, 3))
    with pytest.raises(ValueError, match="icg_input='enh'"):
        _build(mpfr=None, sdce=None, test_feature='deep', icg_input='enh')
    with pytest.raises(ValueError, match='sdce.mp_channels=7'):
        _build(sdce=dict(type='SDCEHead', embed_dims=32, num_heads=4,
                         mp_channels=7))


def test_icre_on_torchreid_backbone(tiny_batch):
    cfg = dict(
        type='ICRE',
        backbone=dict(type='TorchreidBackbone', name='osnet_x0_25',
                      out_indices=(2, 3, 4)),
        head=dict(type='BNNeckHead', in_channels=128, num_classes=2),
        mpfr=dict(type='MPFRHead', channels=32,
                  aux_head=dict(type='BNNeckHead', num_classes=2)),
        sdce=dict(type='SDCEHead', embed_dims=32, num_heads=4,
                  distill=dict(weight=1.0, temperature=4.0)),
        loss_icg=dict(type='ICGLoss'))
    with pytest.raises(ValueError, match='in_channels=\\[.. one per backbone'):
        _build(cfg)
    model = _build(cfg, in_channels=(96, 128, 128))
    assert model.mpfr.in_channels == (96, 128, 128)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01,
                                         momentum=0.9))
    first = model.train_step(tiny_batch, optim)
    second = model.train_step(tiny_batch, optim)
    assert torch.isfinite(first['loss']) and torch.isfinite(second['loss'])
    assert {'loss_icg', 'loss_distill', 'enh.loss_id'} <= set(first)
    model.eval()
    with torch.no_grad():
        preds = model.val_step(tiny_batch)
    assert preds[0].pred_feature['bn'].shape == (32, )  # BN(f_enh)
