# Copyright (c) vireid contributors. All rights reserved.
import copy

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope

from vireid.registry import MODELS

MODEL_CFG = dict(
    type='VIReIDModel',
    data_preprocessor=dict(type='VIReIDDataPreprocessor'),
    backbone=dict(
        type='TwoStreamResNet', depth=18, base_width=16, non_local=True,
        non_local_cfg=dict(num_blocks=(0, 2, 2, 0))),
    neck=dict(type='GeMPooling', p=3.0),
    head=dict(
        type='BNNeckHead', in_channels=128, num_classes=2,
        loss_id=dict(type='CrossEntropyLoss'),
        loss_triplet=dict(type='WRTripletLoss')))


def _build(**overrides):
    init_default_scope('vireid')
    cfg = copy.deepcopy(MODEL_CFG)
    cfg.update(overrides)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def test_three_modes(tiny_batch):
    model = _build()
    data = model.data_preprocessor(tiny_batch, True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_id', 'loss_triplet', 'acc'}
    assert all(torch.isfinite(v) for v in losses.values())
    (losses['loss_id'] + losses['loss_triplet']).backward()
    for m in (0, 1):
        grad = model.backbone.specific[m].conv1.weight.grad
        assert torch.isfinite(grad).all() and grad.abs().sum() > 0

    model.eval()
    with torch.no_grad():
        outs = model(**data, mode='tensor')
        preds = model(**data, mode='predict')
        no_labels = model(data['inputs'], [
            type(ds)(metainfo=ds.metainfo) for ds in data['data_samples']
        ], mode='tensor')
    assert outs['pool'].shape == (8, 128) and outs['bn'].shape == (8, 128)
    assert outs['logits'].shape == (8, 2)
    torch.testing.assert_close(no_labels['bn'], outs['bn'])
    assert len(preds) == 8
    for i, ds in enumerate(preds):
        torch.testing.assert_close(ds.pred_feature['bn'], outs['bn'][i])
        torch.testing.assert_close(ds.pred_feature['pool'], outs['pool'][i])
    with pytest.raises(ValueError, match='invalid mode'):
        model(**data, mode='feat')


def test_train_val_steps(tiny_batch):
    model = _build()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    log_vars = model.train_step(tiny_batch, optim)
    assert set(log_vars) == {'loss', 'loss_id', 'loss_triplet', 'acc'}
    torch.testing.assert_close(log_vars['loss'],
                               log_vars['loss_id'] + log_vars['loss_triplet'])
    assert torch.count_nonzero(model.head.bn.bias) == 0  # frozen at 0
    model.eval()
    results = model.val_step(tiny_batch)
    assert len(results) == 8
    # what mmengine's Evaluator hands to the metric
    as_dict = results[0].to_dict()
    assert set(as_dict['pred_feature']) == {'bn', 'pool'}
    assert as_dict['pred_feature']['bn'].shape == (128, )
    assert as_dict['modality'] == 0 and as_dict['pid'] == 100


def test_flip_test_averages(tiny_batch):
    model = _build(flip_test=True).eval()
    data = model.data_preprocessor(tiny_batch)
    x, samples = data['inputs'], data['data_samples']
    with torch.no_grad():
        plain = model(x, samples, mode='tensor')
        flipped = model(x.flip(-1), samples, mode='tensor')
        preds = model(x, samples, mode='predict')
    for i, ds in enumerate(preds):
        for key in ('bn', 'pool'):
            torch.testing.assert_close(
                ds.pred_feature[key], (plain[key][i] + flipped[key][i]) / 2)
    assert not torch.allclose(plain['bn'], flipped['bn'])
    # a horizontally symmetric image: flipping changes nothing
    sym = torch.cat([x[..., :16], x[..., :16].flip(-1)], dim=-1)
    no_flip = _build(flip_test=False).eval()
    no_flip.load_state_dict(model.state_dict())
    with torch.no_grad():
        a = model(sym, samples, mode='predict')
        b = no_flip(sym, samples, mode='predict')
    for da, db in zip(a, b):
        torch.testing.assert_close(da.pred_feature['bn'],
                                   db.pred_feature['bn'], rtol=1e-4,
                                   atol=1e-5)


def test_modality_required_and_one_stream(tiny_batch, make_samples):
    model = _build().eval()
    data = model.data_preprocessor(tiny_batch)
    with pytest.raises(ValueError, match='needs `modality`'):
        model(data['inputs'], None, mode='tensor')
    broken = make_samples([0, 1], [0, 1])
    broken[1].set_metainfo(dict(modality=None))
    with pytest.raises(KeyError, match='img_1.jpg'):
        model(data['inputs'][:2], broken, mode='tensor')
    one = _build(backbone=dict(type='TwoStreamResNet', depth=18,
                               base_width=16, share_from=0)).eval()
    with torch.no_grad():
        assert one(data['inputs'], mode='tensor')['bn'].shape == (8, 128)


def test_pretrained_through_model_init(tmp_path, tiny_batch):
    import torchvision
    state = torchvision.models.resnet18(weights=None).state_dict()
    path = tmp_path / 'r18.pth'
    torch.save(state, path)
    model = _build(
        backbone=dict(
            type='TwoStreamResNet', depth=18,
            init_cfg=dict(type='Pretrained', checkpoint=str(path))),
        head=dict(type='BNNeckHead', in_channels=512, num_classes=2))
    for m in (0, 1):
        torch.testing.assert_close(
            model.backbone.specific[m].conv1.weight, state['conv1.weight'])
    assert model.head.bn.weight.std() > 0  # AGW init ran as well


def test_channels_last_and_autocast(tiny_batch):
    ref = _build().eval()
    cl = _build(channels_last=True).eval()
    cl.load_state_dict(ref.state_dict())
    assert cl.backbone.shared.layer1[0].conv1.weight.is_contiguous(
        memory_format=torch.channels_last)
    data = ref.data_preprocessor(tiny_batch)
    with torch.no_grad():
        a = ref(**data, mode='tensor')['bn']
        b = cl(**data, mode='tensor')['bn']
    torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
    model = _build()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model(**model.data_preprocessor(tiny_batch, True),
                       mode='loss')
    assert all(torch.isfinite(v) for v in losses.values())
    assert losses['loss_triplet'].dtype == torch.float32
    (losses['loss_id'] + losses['loss_triplet']).backward()
    assert torch.isfinite(model.backbone.specific[1].conv1.weight.grad).all()


def test_torchreid_backbone_in_model(tiny_batch):
    model = _build(
        backbone=dict(type='TorchreidBackbone', name='osnet_x0_25'),
        head=dict(type='BNNeckHead', in_channels=128, num_classes=2))
    losses = model(**model.data_preprocessor(tiny_batch, True), mode='loss')
    assert torch.isfinite(losses['loss_id'])
