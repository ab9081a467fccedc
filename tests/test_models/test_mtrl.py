# Copyright (c) vireid contributors. All rights reserved.
"""MTRL: generators, the [V; M; I] batch, losses, nothing extra at test."""
import copy
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope

from vireid.models import (MTRL, ChannelMixerTransition, GrayscaleTransition,
                           OfflineTransition, RandomChannelTransition,
                           VIReIDModel)
from vireid.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BACKBONE = dict(type='TwoStreamResNet', depth=18, base_width=8,
                non_local=True, non_local_cfg=dict(num_blocks=(0, 1, 1, 0)))
HEAD = dict(type='BNNeckHead', in_channels=64, num_classes=2,
            loss_id=dict(type='CrossEntropyLoss'),
            loss_triplet=dict(type='WRTripletLoss'))
FULL = dict(type='MTRL', backbone=BACKBONE, neck=dict(type='GeMPooling'),
            head=HEAD)
PLAIN = dict(type='VIReIDModel', backbone=BACKBONE,
             neck=dict(type='GeMPooling'), head=HEAD)


@pytest.fixture
def small_batch(make_samples):
    """2 ids x (2 V + 2 I), uint8 32 x 16 images, mixed modality order."""
    g = torch.Generator().manual_seed(0)
    labels = [0, 1, 0, 1, 0, 1, 0, 1]
    modalities = [0, 1, 1, 0, 1, 0, 0, 1]
    imgs = [torch.randint(0, 256, (3, 32, 16), generator=g,
                          dtype=torch.uint8) for _ in labels]
    return dict(inputs=imgs, data_samples=make_samples(labels, modalities))


def _build(cfg=FULL, seed=0, **overrides):
    init_default_scope('vireid')
    cfg = copy.deepcopy(cfg)
    cfg.update(copy.deepcopy(overrides))
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def _gray_oracle(img: np.ndarray) -> np.ndarray:
    """Loop over pixels: 0.2989 R + 0.587 G + 0.114 B (float, 0-255)."""
    h, w = img.shape[1:]
    out = np.zeros((h, w))
    for y in range(h):
        for x in range(w):
            r, g, b = (float(img[c, y, x]) for c in range(3))
            out[y, x] = 0.2989 * r + 0.587 * g + 0.114 * b
    return out


def test_generators_formulas():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4, 3, 6, 5, generator=g)
    gray = GrayscaleTransition()(x)
    ref = 0.2989 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    assert gray.shape == x.shape
    for c in range(3):
        assert torch.allclose(gray[:, c], ref, atol=1e-6)
    # random channel: every image is one of its own R, G, B planes
    rc = RandomChannelTransition().train()
    torch.manual_seed(1)
    seen = set()
    for _ in range(5):
        out = rc(x)
        for i in range(4):
            match = [c for c in range(3) if torch.equal(out[i, 0], x[i, c])]
            assert match and torch.equal(out[i, 0], out[i, 2])
            seen.add(match[0])
    assert seen == {0, 1, 2}
    assert torch.allclose(rc.eval()(x), gray, atol=1e-6)
    # mixer: 'clamp' starts as the luma, 'sigmoid' as sigmoid(4 (gray - .5))
    assert torch.allclose(ChannelMixerTransition(activation='clamp')(x), gray,
                          atol=1e-6)
    sig = ChannelMixerTransition()(x)
    assert torch.allclose(sig, torch.sigmoid(4 * (gray - 0.5)), atol=1e-5)
    assert ChannelMixerTransition(out_channels=3)(x).shape == x.shape
    with pytest.raises(ValueError, match='out_channels'):
        ChannelMixerTransition(out_channels=2)
    with pytest.raises(ValueError, match='3 x H x W'):
        GrayscaleTransition()(torch.rand(2, 1, 4, 4))


def test_vmi_batch_is_pixel_aligned(small_batch):
    model = _build()
    data = model.data_preprocessor(small_batch, True)
    images, samples, groups = model.build_vmi(**data)
    mods = [ds.metainfo['modality'] for ds in small_batch['data_samples']]
    vis = [i for i, m in enumerate(mods) if m == 0]
    ir = [i for i, m in enumerate(mods) if m == 1]
    n = len(vis)
    assert images.shape[0] == 2 * n + len(ir)
    assert groups.tolist() == [0] * n + [2] * n + [1] * len(ir)
    pre = model.data_preprocessor
    pixels = images * pre.std + pre.mean  # back to the 0-255 scale
    for k, i in enumerate(vis):
        src = small_batch['inputs'][i].numpy()
        # V rows are the inputs, M rows the luma of the same pixels
        assert torch.allclose(pixels[k], torch.from_numpy(src).float(),
                              atol=1e-3)
        want = _gray_oracle(src)
        for c in range(3):
            assert np.abs(pixels[n + k, c].numpy() - want).max() < 1e-3
        assert samples[n + k].metainfo['is_transition']
        assert samples[n + k].metainfo['modality'] == 0
        assert int(samples[n + k].gt_label) == int(samples[k].gt_label)
    for k, i in enumerate(ir):
        assert torch.allclose(pixels[2 * n + k],
                              small_batch['inputs'][i].float(), atol=1e-3)


def test_offline_generator_in_the_model(small_batch):
    model = _build(generator=dict(type='OfflineTransition'))
    batch = copy.deepcopy(small_batch)
    for ds in batch['data_samples']:
        if ds.metainfo['modality'] == 0:
            ds.transition_img = 255 - torch.arange(
                3 * 32 * 16, dtype=torch.int64).view(3, 32, 16).remainder(
                    256).to(torch.uint8)
    data = model.data_preprocessor(batch, True)
    images, _, groups = model.build_vmi(**data)
    pre = model.data_preprocessor
    mid = images[groups == 2] * pre.std + pre.mean
    want = batch['data_samples'][0].transition_img.float()
    assert torch.allclose(mid, want.expand_as(mid), atol=1e-3)
    with pytest.raises(KeyError, match='LoadTransitionImage'):
        model.build_vmi(**model.data_preprocessor(small_batch, True))
    with pytest.raises(ValueError, match='shape'):
        OfflineTransition()(torch.rand(1, 3, 8, 4),
                            [batch['data_samples'][0]])


@pytest.mark.parametrize('generator', [
    dict(type='GrayscaleTransition'),
    dict(type='RandomChannelTransition'),
    dict(type='ChannelMixerTransition'),
])
def test_full_mtrl_trains(small_batch, generator):
    model = _build(generator=generator)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    data = model.data_preprocessor(small_batch, True)
    model.train()
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_id', 'loss_triplet', 'acc', 'loss_mtc',
                           'loss_center', 'loss_mqr'}
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    optim.update_params(total)
    if generator['type'] == 'ChannelMixerTransition':
        # the mixer is trained by the re-id losses
        assert model.train_only_modules == ('generator', )
        assert not torch.allclose(
            model.generator.mix.weight,
            ChannelMixerTransition().mix.weight)
    else:
        assert model.train_only_modules == ()


def test_loss_switches_and_errors(small_batch):
    model = _build(loss_mqr=None, loss_center=None)
    data = model.data_preprocessor(small_batch, True)
    assert 'loss_mqr' not in model(**data, mode='loss')
    assert 'loss_mtc' in model(**data, mode='loss')
    with pytest.raises(ValueError, match='loss_mtc.*generator=None'):
        _build(generator=None)
    # a V-I centre loss needs no middle images
    m = _build(generator=None, loss_mtc=None, loss_mqr=None,
               loss_center=dict(type='TransitionCenterLoss', pairs=((0, 1),)))
    assert m(**m.data_preprocessor(small_batch, True),
             mode='loss')['loss_center'] > 0
    with pytest.raises(ValueError, match='aux_feature'):
        _build(aux_feature='x')
    with pytest.raises(ValueError, match='transition_modality'):
        _build(transition_modality=2)


def test_baseline_is_the_plain_model(small_batch):
    """generator=None and no MTRL loss: the same weights and losses as the
    plain model (so the AGW demo is the MTRL ablation's baseline row)."""
    base = _build(generator=None, loss_mtc=None, loss_center=None,
                  loss_mqr=None)
    plain = _build(PLAIN)
    sa, sb = base.state_dict(), plain.state_dict()
    assert list(sa) == list(sb)
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    la = base(**base.data_preprocessor(small_batch, True), mode='loss')
    lb = plain(**plain.data_preprocessor(small_batch, True), mode='loss')
    assert set(la) == set(lb)
    assert all(torch.equal(la[k], lb[k]) for k in la)


@pytest.mark.parametrize('generator,dropped', [
    (dict(type='GrayscaleTransition'), ()),
    (dict(type='ChannelMixerTransition'), ('generator', )),
])
def test_deploy_strict_load_and_identical_features(small_batch, tmp_path,
                                                   generator, dropped):
    from tools.model_converters.mtrl_to_deploy import convert
    model = _build(generator=generator, seed=3)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.05))
    model.train()
    for _ in range(2):  # move weights and BN statistics away from init
        losses = model(**model.data_preprocessor(small_batch, True),
                       mode='loss')
        optim.update_params(sum(v for k, v in losses.items() if 'loss' in k))
    assert model.train_only_modules == dropped
    state = model.deploy_state_dict()
    full = model.state_dict()
    assert sorted(set(full) - set(state)) == sorted(
        k for k in full if k.startswith(tuple(f'{d}.' for d in dropped)))
    plain = _build(PLAIN, seed=7)
    plain.load_state_dict(state, strict=True)  # no missing / unexpected
    if dropped:
        with pytest.raises(RuntimeError, match='Unexpected'):
            _build(PLAIN).load_state_dict(full, strict=True)
    model.eval()
    plain.eval()
    with torch.no_grad():
        a = model(**model.data_preprocessor(small_batch, False),
                  mode='predict')
        b = plain(**plain.data_preprocessor(small_batch, False),
                  mode='predict')
    for x, y in zip(a, b):
        for k in ('bn', 'pool'):
            assert torch.equal(x.pred_feature[k], y.pred_feature[k])
    # the converter tool does the same from a checkpoint file
    src, dst = tmp_path / 'mtrl.pth', tmp_path / 'deploy.pth'
    torch.save(dict(state_dict=full, meta=dict(epoch=1)), src)
    out = convert(str(src), str(dst))
    assert tuple(sorted({k.split('.')[0] for k in out})) == dropped
    saved = torch.load(dst, map_location='cpu', weights_only=True)
    again = _build(PLAIN, seed=9)
    again.load_state_dict(saved['state_dict'], strict=True)
    assert saved['meta']['dropped_keys'] == out


def test_deploy_configs_match_the_training_configs():
    """The shipped deploy configs hold the training configs' backbone, neck
    and head, and a converted model loads strictly into them."""
    from mmengine.config import Config

    from tools.model_converters.mtrl_to_deploy import load_into_deploy
    for train, deploy in (
            ('projects/mtrl/demo.py', 'projects/mtrl/demo_deploy.py'),
            ('projects/mtrl/configs/mtrl_r50_1xb96-100e_sysu.py',
             'projects/mtrl/configs/mtrl_r50_deploy.py')):
        t = Config.fromfile(osp.join(ROOT, train)).model
        d = Config.fromfile(osp.join(ROOT, deploy)).model
        assert t.type == 'MTRL' and d.type == 'VIReIDModel'
        for key in ('backbone', 'neck', 'head', 'data_preprocessor'):
            assert t[key] == d[key], (deploy, key)
    # demo size only (the R50 one would take too long to build)
    cfg = Config.fromfile(osp.join(ROOT, 'projects/mtrl/demo.py'))
    init_default_scope('vireid')
    mcfg = cfg.model.to_dict()
    mcfg['backbone'].update(base_width=8)
    mcfg['head']['in_channels'] = 64
    mtrl = MODELS.build(mcfg)
    assert isinstance(mtrl, MTRL)
    plain = load_into_deploy(
        mtrl.deploy_state_dict(), osp.join(ROOT, 'projects/mtrl/'
                                           'demo_deploy.py'),
        dict(model=dict(backbone=dict(base_width=8),
                        head=dict(in_channels=64))))
    assert isinstance(plain, VIReIDModel) and not isinstance(plain, MTRL)
