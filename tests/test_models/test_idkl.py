# Copyright (c) vireid contributors. All rights reserved.
"""IDKL model, backbone, purifier, discriminator and converter."""
import os.path as osp
import sys

import pytest
import torch

from vireid.models.reid.idkl import IDKL_LOSS_KEYS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
C = 64  # layer4 channels of a depth-18 base-width-8 backbone
N = 4


def idkl_cfg(**over):
    head = dict(type='BNNeckHead', in_channels=C, num_classes=N,
                loss_triplet=dict(type='TripletLoss', margin=1.3),
                init='default')
    cfg = dict(
        type='IDKL',
        backbone=dict(type='IDKLResNet', depth=18, base_width=8),
        head=head,
        sp_head=dict(head),
        purifier=dict(type='IIPPurifier', in_channels=C),
        disc_sp=dict(type='ModalityDiscriminator', in_channels=C,
                     dropout=0.0),
        disc_sh=dict(type='ModalityDiscriminator', in_channels=C,
                     dropout=0.0),
        loss_mod_sp=dict(type='ModalityCELoss'),
        loss_mod_sh=dict(type='ModalityCELoss', target='pseudo'),
        loss_iip=dict(type='IIPLoss', in_channels=C, num_classes=N),
        loss_tgsa=dict(type='TGSALoss'),
        loss_csa_batch=dict(type='CSABatchLoss'),
        loss_csa_sample=dict(type='CSASampleLoss'))
    cfg.update(over)
    return cfg


def build(cfg):
    from mmengine.registry import init_default_scope
    init_default_scope('vireid')
    from vireid.registry import MODELS
    return MODELS.build(cfg)


@pytest.fixture
def interleaved(make_samples):
    """4 ids x (2 I + 2 V), interleaved I, V, normalised float input."""
    labels = [y for y in range(N) for _ in range(4)]
    modalities = [1, 0] * (2 * N)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(len(labels), 3, 64, 32, generator=g)
    return x, make_samples(labels, modalities)


def test_backbone_streams_and_shapes():
    bb = build(dict(type='IDKLResNet', depth=18, base_width=8))
    x = torch.randn(2, 3, 64, 32)
    x_sh, x_sp = bb(x)
    assert x_sh.shape == x_sp.shape == (2, C, 4, 2)  # last stride 1
    assert len(bb(x, specific=False)) == 1
    assert not torch.allclose(x_sh, x_sp)  # separate weights
    none = build(dict(type='IDKLResNet', depth=18, base_width=8,
                      with_specific=False))
    with pytest.raises(ValueError, match='specific'):
        none(x)


def test_backbone_resnet50_parameter_count():
    """One trunk + two layer3-4 stacks: 1.445 M + 2 x 22.063 M."""
    from torchvision.models import resnet50
    ref = resnet50()
    count = lambda mods: sum(  # noqa: E731
        p.numel() for m in mods for p in m.parameters())
    trunk = count([ref.conv1, ref.bn1, ref.layer1, ref.layer2])
    deep = count([ref.layer3, ref.layer4])
    bb = build(dict(type='IDKLResNet', depth=50))
    assert sum(p.numel() for p in bb.parameters()) == trunk + 2 * deep
    assert abs(trunk + 2 * deep - 45.57e6) < 0.01e6


def test_backbone_pretrained_from_torchvision_layout(tmp_path):
    # a torchvision-layout state dict of a narrow ResNet-18, made from a
    # one-stream TwoStreamResNet (keys 'shared.<torchvision key>')
    src = build(dict(type='TwoStreamResNet', depth=18, base_width=8,
                     share_from=0))
    tv = {k[len('shared.'):]: v for k, v in src.state_dict().items()}
    tv['fc.weight'] = torch.zeros(10, C)
    path = str(tmp_path / 'tv.pth')
    torch.save(tv, path)
    bb = build(dict(type='IDKLResNet', depth=18, base_width=8,
                    init_cfg=dict(type='Pretrained', checkpoint=path)))
    bb.init_weights()
    sd = bb.state_dict()
    assert torch.equal(sd['trunk.conv1.weight'], tv['conv1.weight'])
    assert torch.equal(sd['trunk.layer2.1.bn2.weight'],
                       tv['layer2.1.bn2.weight'])
    for stream in ('shared', 'specific'):
        assert torch.equal(sd[f'{stream}.layer3.0.conv1.weight'],
                           tv['layer3.0.conv1.weight'])
        assert torch.equal(sd[f'{stream}.layer4.1.conv2.weight'],
                           tv['layer4.1.conv2.weight'])
    tv['layer5.weight'] = torch.zeros(1)
    torch.save(tv, path)
    bad = build(dict(type='IDKLResNet', depth=18, base_width=8,
                     init_cfg=dict(type='Pretrained', checkpoint=path)))
    from vireid.models.utils import CheckpointMismatchError
    with pytest.raises(CheckpointMismatchError, match='layer5.weight'):
        bad.init_weights()


def test_purifier_formula():
    pur = build(dict(type='IIPPurifier', in_channels=32, reduction=16))
    pur.train()
    x = torch.randn(3, 32, 4, 2)
    out = pur(x)
    f_in = torch.nn.functional.instance_norm(
        x, weight=pur.norm.weight, bias=pur.norm.bias)
    assert torch.allclose(out['f_in'], f_in, atol=1e-5)
    m_in = torch.sigmoid(pur.gate_in.expand(torch.relu(
        pur.gate_in.reduce(f_in))))
    m_f = torch.sigmoid(pur.gate_f.expand(torch.relu(pur.gate_f.reduce(x))))
    assert m_in.shape == x.shape  # per pixel, per channel (no pooling)
    assert torch.allclose(out['out'], m_in * m_f * (x + f_in), atol=1e-5)
    assert torch.allclose(out['f_p'], m_f * x, atol=1e-6)
    assert torch.allclose(out['f_in_p'], m_in * f_in, atol=1e-6)


def test_discriminator_shape_and_dropout():
    d = build(dict(type='ModalityDiscriminator', in_channels=16))
    assert d(torch.randn(4, 16)).shape == (4, 2)
    assert sum(p.numel() for p in d.parameters()) == (
        16 * 100 + 100 + 200 + 100 * 100 + 100 + 200 + 100 * 2 + 2)
    with pytest.raises(ValueError, match='dropout'):
        build(dict(type='ModalityDiscriminator', in_channels=16,
                   dropout=1.0))


def test_loss_keys_and_total(interleaved):
    x, samples = interleaved
    model = build(idkl_cfg())
    model.train()
    losses = model.loss(x, samples)
    assert set(k for k in losses if 'loss' in k) == set(IDKL_LOSS_KEYS)
    total = sum(losses[k] for k in IDKL_LOSS_KEYS)
    assert torch.isfinite(total)
    total.backward()
    # the IIP classifier learns only from the IIP loss; it gets gradients
    assert model.loss_iip.classifier.weight.grad.abs().sum() > 0
    # loss_triplet holds both streams' terms
    outs = model.head(model.neck(model.backbone(x)[0]))
    labels = model.head.gather_labels(samples, x.device)
    alone = model.head.loss_triplet(outs['pool'], labels)
    assert losses['loss_triplet'].item() > alone.item() - 1e-6


@pytest.mark.parametrize('off,gone', [
    (dict(purifier=None, loss_iip=None), {'loss_iip'}),
    (dict(loss_tgsa=None), {'loss_tgsa'}),
    (dict(loss_csa_batch=None, loss_csa_sample=None),
     {'loss_csa_batch', 'loss_csa_sample'}),
])
def test_components_switch_off(interleaved, off, gone):
    x, samples = interleaved
    model = build(idkl_cfg(**off))
    keys = {k for k in model.loss(x, samples) if 'loss' in k}
    assert keys == set(IDKL_LOSS_KEYS) - gone


def test_bad_combinations_are_refused():
    with pytest.raises(ValueError, match='loss_iip needs the purifier'):
        build(idkl_cfg(purifier=None))
    with pytest.raises(ValueError, match='go together'):
        build(idkl_cfg(disc_sp=None))
    with pytest.raises(ValueError, match='specific stream'):
        build(idkl_cfg(sp_head=None))
    with pytest.raises(TypeError, match='specific: bool'):
        build(idkl_cfg(backbone=dict(type='TwoStreamResNet', depth=18,
                                     base_width=8)))


def test_predict_runs_the_shared_stream_only(interleaved, monkeypatch):
    x, samples = interleaved
    model = build(idkl_cfg())
    model.eval()

    def boom(*a, **k):
        raise AssertionError('specific stream run at test time')

    monkeypatch.setattr(model.backbone.specific, 'forward', boom)
    monkeypatch.setattr(model.purifier, 'forward', boom)
    with torch.no_grad():
        preds = model.predict(x, samples)
        expect = model.head.bn(model.neck(model.backbone(
            x, specific=False)[0]))
    got = torch.stack([p.pred_feature['bn'] for p in preds])
    assert torch.allclose(got, expect, atol=1e-6)


def _official_names(model):
    """Official Baseline keys for this model's keys (the test's own map,
    written from the converter's documented mapping)."""
    out = {}
    for k, v in model.state_dict().items():
        for mine, theirs in (
                ('backbone.trunk.', 'backbone.shared_module_fr.model_sh_fr.'),
                ('backbone.shared.', 'backbone.shared_module_bh.model_sh_bh.'),
                ('backbone.specific.', 'backbone.special.special_module.'),
                ('purifier.norm.', 'backbone.IN.'),
                ('purifier.gate_in.reduce.',
                 'backbone.mask1.channel_attention.0.'),
                ('purifier.gate_in.expand.',
                 'backbone.mask1.channel_attention.2.'),
                ('purifier.gate_f.reduce.',
                 'backbone.mask2.channel_attention.0.'),
                ('purifier.gate_f.expand.',
                 'backbone.mask2.channel_attention.2.'),
                ('head.bn.', 'bn_neck.'), ('head.classifier.', 'classifier.'),
                ('sp_head.bn.', 'bn_neck_sp.'),
                ('sp_head.classifier.', 'classifier_sp.'),
                ('disc_sp.', 'D_special.'), ('disc_sh.', 'D_shared_pseu.'),
                ('loss_iip.classifier.', 'C_sp_f.')):
            if k.startswith(mine):
                out[theirs + k[len(mine):]] = v
                break
        else:
            raise AssertionError(k)
    return out


def test_converter_round_trip(tmp_path):
    sys.path.insert(0, osp.join(ROOT, 'tools', 'model_converters'))
    from idkl_official_to_vireid import UnmappedKeysError, convert
    model = build(idkl_cfg())
    with torch.no_grad():
        for p in model.parameters():
            p.normal_()
    official = _official_names(model)
    unused = {
        'backbone.shared_module_fr.model_sh_fr.layer3.0.conv1.weight':
        torch.zeros(2),
        'backbone.shared_module_fr.model_sh_fr.fc.weight': torch.zeros(2),
        'backbone.shared_module_bh.model_sh_bh.conv1.weight': torch.zeros(2),
        'backbone.special.special_module.layer1.0.bn1.weight': torch.zeros(2),
        'backbone.special_att.channel_attention.0.weight': torch.zeros(2),
    }
    src = str(tmp_path / 'official.pth')
    torch.save({'module.' + k: v for k, v in {**official, **unused}.items()},
               src)
    dst = str(tmp_path / 'vireid.pth')
    dropped = convert(src, dst)
    assert sorted(k[len('module.'):] for k in dropped) == sorted(unused)
    fresh = build(idkl_cfg())
    state = torch.load(dst, weights_only=True)['state_dict']
    fresh.load_state_dict(state, strict=True)
    for k, v in model.state_dict().items():
        assert torch.equal(fresh.state_dict()[k], v), k
    # without the prefix it works too; an unknown key is an error naming it
    torch.save({**official, 'center_loss.centers': torch.zeros(2)}, src)
    with pytest.raises(UnmappedKeysError, match='center_loss.centers'):
        convert(src, dst)
