# Copyright (c) vireid contributors. All rights reserved.
import argparse

import pytest
import torch
import torchvision

from vireid.models import TwoStreamResNet
from vireid.models.utils import CheckpointMismatchError
from vireid.utils.compat import UntrustedCheckpointError


def _images(n=6, h=64, w=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, h, w, generator=g)


@pytest.mark.parametrize('depth,width,last_stride,expected', [
    (18, 16, 1, [(16, 16, 8), (32, 8, 4), (64, 4, 2), (128, 4, 2)]),
    (50, 8, 1, [(32, 16, 8), (64, 8, 4), (128, 4, 2), (256, 4, 2)]),
    (18, 16, 2, [(16, 16, 8), (32, 8, 4), (64, 4, 2), (128, 2, 1)]),
])
def test_stage_shapes(depth, width, last_stride, expected):
    net = TwoStreamResNet(
        depth=depth, base_width=width, last_stride=last_stride,
        out_indices=(0, 1, 2, 3))
    outs = net(_images(4), torch.tensor([0, 1, 1, 0]))
    assert len(outs) == 4
    assert [tuple(o.shape[1:]) for o in outs] == expected
    assert net.out_channels == tuple(e[0] for e in expected)
    assert all(o.shape[0] == 4 for o in outs)


def test_default_returns_layer4_only_and_negative_indices():
    net = TwoStreamResNet(depth=18, base_width=8)
    outs = net(_images(2), torch.tensor([0, 1]))
    assert isinstance(outs, tuple) and len(outs) == 1
    assert outs[0].shape == (2, 64, 4, 2)
    assert TwoStreamResNet(depth=18, base_width=8,
                           out_indices=(-1, -2)).out_indices == (2, 3)


def test_specific_and_shared_layout():
    net = TwoStreamResNet(depth=18, base_width=8, share_from=2)
    keys = net.state_dict().keys()
    for m in (0, 1):
        assert f'specific.{m}.conv1.weight' in keys
        assert f'specific.{m}.layer1.0.conv1.weight' in keys
    assert 'shared.layer2.0.conv1.weight' in keys
    assert not any(k.startswith('shared.layer1') for k in keys)
    one = TwoStreamResNet(depth=18, base_width=8, share_from=0)
    assert one.specific is None and 'shared.conv1.weight' in one.state_dict()
    # a one-stream network needs no modality
    assert one(_images(2))[0].shape == (2, 64, 4, 2)


@pytest.mark.parametrize('share_from', [1, 2, 5])
def test_routing_equals_per_modality(share_from):
    net = TwoStreamResNet(
        depth=18, base_width=8, share_from=share_from,
        out_indices=(0, 3)).eval()
    x = _images(6)
    modality = torch.tensor([1, 0, 0, 1, 0, 1])
    with torch.no_grad():
        mixed = net(x, modality)
        vis_idx = (modality == 0).nonzero().flatten()
        ir_idx = (modality == 1).nonzero().flatten()
        vis = net(x[vis_idx], torch.zeros(3, dtype=torch.long))
        ir = net(x[ir_idx], 1)
    for s in range(2):
        torch.testing.assert_close(mixed[s][vis_idx], vis[s])
        torch.testing.assert_close(mixed[s][ir_idx], ir[s])
    # the two modality copies really differ (independent random init)
    with torch.no_grad():
        as_vis = net(x[:1], torch.tensor([0]))[1]
        as_ir = net(x[:1], torch.tensor([1]))[1]
    assert not torch.allclose(as_vis, as_ir)


def test_gradients_reach_both_stems():
    net = TwoStreamResNet(depth=18, base_width=8, non_local=True,
                          non_local_cfg=dict(num_blocks=(0, 2, 2, 0)))
    out = net(_images(4), torch.tensor([0, 1, 0, 1]))[0]
    out.mean().backward()
    for m in (0, 1):
        grad = net.specific[m].conv1.weight.grad
        assert grad is not None and torch.isfinite(grad).all()
        assert grad.abs().sum() > 0
    assert net.shared.layer4[1].conv2.weight.grad.abs().sum() > 0
    # only visible images: the infrared stem receives no gradient
    net.zero_grad(set_to_none=True)
    net(_images(2), torch.tensor([0, 0]))[0].mean().backward()
    assert net.specific[0].conv1.weight.grad.abs().sum() > 0
    assert net.specific[1].conv1.weight.grad is None


def test_non_local_positions():
    net = TwoStreamResNet(depth=34, base_width=8, non_local=True)
    assert net.shared.nl_positions == {2: (2, 3), 3: (3, 4, 5)}
    assert len(net.shared.nl_layer2) == 2 and len(net.shared.nl_layer3) == 3
    assert not hasattr(net.shared, 'nl_layer1')
    assert net.shared.nl_layer3[0].inter_channels == 32 // 2
    # non-local blocks start as the identity
    plain = TwoStreamResNet(depth=34, base_width=8).eval()
    state = {k: v for k, v in net.state_dict().items() if '.nl_layer' not in k}
    plain.load_state_dict(state)
    net.eval()
    x, mod = _images(2), torch.tensor([0, 1])
    with torch.no_grad():
        torch.testing.assert_close(net(x, mod)[0], plain(x, mod)[0])
    with pytest.raises(ValueError, match='layer3 has only 2'):
        TwoStreamResNet(depth=18, base_width=8, non_local=True)
    custom = TwoStreamResNet(
        depth=18, base_width=8, non_local=True,
        non_local_cfg=dict(positions=((), (0, ), (), (1, )), mode='dot'))
    assert custom.shared.nl_positions == {2: (0, ), 4: (1, )}


def test_bad_arguments_and_modality():
    with pytest.raises(ValueError, match='depth'):
        TwoStreamResNet(depth=20)
    with pytest.raises(ValueError, match='out_indices'):
        TwoStreamResNet(depth=18, out_indices=(4, ))
    with pytest.raises(ValueError, match='share_from'):
        TwoStreamResNet(depth=18, share_from=6)
    net = TwoStreamResNet(depth=18, base_width=8)
    with pytest.raises(ValueError, match='needs `modality`'):
        net(_images(2))
    with pytest.raises(ValueError, match='values must be in 0..1'):
        net(_images(2), torch.tensor([0, 2]))
    with pytest.raises(ValueError, match=r'shape \[2\]'):
        net(_images(2), torch.tensor([0, 1, 1]))
    with pytest.raises(TypeError, match='integer'):
        net(_images(2), torch.tensor([0., 1.]))


# --------------------------------------------------------------------- #
# pretrained loading
# --------------------------------------------------------------------- #
@pytest.fixture(scope='module')
def r18_file(tmp_path_factory):
    state = torchvision.models.resnet18(weights=None).state_dict()
    path = tmp_path_factory.mktemp('ckpt') / 'resnet18_tv.pth'
    torch.save(state, path)
    return str(path), state


def test_pretrained_torchvision_into_both_stems(r18_file):
    path, state = r18_file
    net = TwoStreamResNet(
        depth=18, share_from=2, non_local=True,
        non_local_cfg=dict(num_blocks=(0, 1, 1, 0)),
        init_cfg=dict(type='Pretrained', checkpoint=path))
    net.init_weights()
    for m in (0, 1):
        part = net.specific[m]
        torch.testing.assert_close(part.conv1.weight, state['conv1.weight'])
        torch.testing.assert_close(part.bn1.running_var,
                                   state['bn1.running_var'])
        torch.testing.assert_close(part.layer1[1].conv2.weight,
                                   state['layer1.1.conv2.weight'])
    torch.testing.assert_close(net.shared.layer4[1].bn2.weight,
                               state['layer4.1.bn2.weight'])
    # the non-local blocks (absent from the file) stay the identity
    assert torch.count_nonzero(net.shared.nl_layer2[0].W[1].weight) == 0


def test_pretrained_own_layout_and_prefix(r18_file, tmp_path):
    path, state = r18_file
    src = TwoStreamResNet(depth=18, init_cfg=dict(
        type='Pretrained', checkpoint=path))
    src.init_weights()
    full = {f'backbone.{k}': v for k, v in src.state_dict().items()}
    full['head.bn.weight'] = torch.ones(3)
    own = tmp_path / 'model.pth'
    torch.save(dict(state_dict=full, meta=dict(epoch=3)), own)
    dst = TwoStreamResNet(depth=18, init_cfg=dict(
        type='Pretrained', checkpoint=str(own), prefix='backbone.'))
    dst.init_weights()
    for k, v in src.state_dict().items():
        torch.testing.assert_close(dst.state_dict()[k], v)


def test_pretrained_errors(r18_file, tmp_path):
    path, state = r18_file
    missing = tmp_path / 'nope' / 'resnet50.pth'
    net = TwoStreamResNet(depth=18, init_cfg=dict(
        type='Pretrained', checkpoint=str(missing)))
    with pytest.raises(FileNotFoundError, match='resnet50.pth'):
        net.init_weights()

    narrow = TwoStreamResNet(depth=18, base_width=16, init_cfg=dict(
        type='Pretrained', checkpoint=path))
    with pytest.raises(CheckpointMismatchError,
                       match=r'shape mismatches.*specific\.0\.conv1\.weight'):
        narrow.init_weights()

    r34 = tmp_path / 'resnet34.pth'
    torch.save(torchvision.models.resnet34(weights=None).state_dict(), r34)
    with pytest.raises(CheckpointMismatchError,
                       match=r'unexpected keys \(\d+\): shared\.layer1\.2'):
        TwoStreamResNet(depth=18, init_cfg=dict(
            type='Pretrained', checkpoint=str(r34))).init_weights()

    partial = dict(state)
    del partial['layer4.1.conv2.weight']
    cut = tmp_path / 'cut.pth'
    torch.save(partial, cut)
    with pytest.raises(CheckpointMismatchError,
                       match=r'missing keys \(1\): shared\.layer4\.1\.conv2'):
        TwoStreamResNet(depth=18, init_cfg=dict(
            type='Pretrained', checkpoint=str(cut))).init_weights()

    with pytest.raises(ValueError, match='never downloads'):
        TwoStreamResNet(depth=18, init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/x.pth')).init_weights()


def test_pretrained_refuses_pickled_objects(r18_file, tmp_path):
    _, state = r18_file
    evil = dict(state)
    evil['payload'] = argparse.Namespace(cmd='anything')
    bad = tmp_path / 'evil.pth'
    torch.save(evil, bad)
    net = TwoStreamResNet(depth=18, init_cfg=dict(
        type='Pretrained', checkpoint=str(bad)))
    before = net.specific[0].conv1.weight.clone()
    with pytest.raises(UntrustedCheckpointError, match='evil.pth'):
        net.init_weights()
    torch.testing.assert_close(net.specific[0].conv1.weight, before)


def test_other_init_cfg_through_mmengine():
    net = TwoStreamResNet(depth=18, base_width=8, init_cfg=dict(
        type='Constant', layer='Conv2d', val=0.5))
    net.init_weights()
    assert torch.all(net.specific[1].conv1.weight == 0.5)
    assert torch.all(net.shared.layer3[0].conv1.weight == 0.5)


def test_pretrained_matches_torchvision_forward(r18_file):
    path, state = r18_file
    tv = torchvision.models.resnet18(weights=None)
    tv.load_state_dict(state)
    tv.eval()
    net = TwoStreamResNet(depth=18, last_stride=2, out_indices=(0, 3),
                          init_cfg=dict(type='Pretrained', checkpoint=path))
    net.init_weights()
    net.eval()
    x = _images(2)
    with torch.no_grad():
        stem = tv.maxpool(tv.relu(tv.bn1(tv.conv1(x))))
        l1 = tv.layer1(stem)
        l4 = tv.layer4(tv.layer3(tv.layer2(l1)))
        outs = net(x, torch.tensor([1, 0]))
    torch.testing.assert_close(outs[0], l1)
    torch.testing.assert_close(outs[1], l4)
