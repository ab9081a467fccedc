# Copyright (c) vireid contributors. All rights reserved.
import pytest
import torch
from mmengine.registry import init_default_scope

from vireid.models import MPFRHead, TwoStreamResNet
from vireid.registry import MODELS

# layer1..layer4 of TwoStreamResNet(depth=18, base_width=16) at 64 x 32
SHAPES = [(16, 16, 8), (32, 8, 4), (64, 4, 2), (128, 4, 2)]
CHANNELS = [s[0] for s in SHAPES]


def _maps(batch=4, seed=0, requires_grad=False):
    g = torch.Generator().manual_seed(seed)
    return tuple(
        torch.rand(batch, *s, generator=g).requires_grad_(requires_grad)
        for s in SHAPES)


def test_backbone_maps_have_expected_shapes():
    net = TwoStreamResNet(depth=18, base_width=16, out_indices=(0, 1, 2, 3))
    assert net.out_channels == tuple(CHANNELS)
    outs = net(torch.randn(2, 3, 64, 32), modality=torch.tensor([0, 1]))
    assert [tuple(o.shape[1:]) for o in outs] == SHAPES


@pytest.mark.parametrize('in_index', [(1, 2, 3), (0, 1, 2)])
@pytest.mark.parametrize('resize,fusion', [('avg', 'sum'),
                                           ('bilinear', 'concat')])
def test_shapes_and_gradients(in_index, resize, fusion):
    head = MPFRHead(in_channels=CHANNELS, in_index=in_index, channels=24,
                    resize=resize, fusion=fusion)
    assert head.in_channels == tuple(CHANNELS[i] for i in in_index)
    maps = _maps(requires_grad=True)
    outs = head(maps)
    assert outs['fused'].shape == (4, 24, 4, 2)
    assert len(outs['masks']) == 3
    assert all(m.shape == (4, 1, 4, 2) for m in outs['masks'])
    assert all(((m > 0) & (m < 1)).all() for m in outs['masks'])
    assert (outs['fused'] >= 0).all()
    assert head.loss_by_feat(outs, []) == {}  # no loss without aux head
    outs['fused'].pow(2).mean().backward()
    for k in range(3):
        for p in (head.align[k][0].weight, head.masks[k].weight):
            assert p.grad is not None and torch.isfinite(p.grad).all()
            assert p.grad.abs().sum() > 0
    for i, x in enumerate(maps):
        assert (x.grad is not None) == (i in in_index)
    if fusion == 'concat':
        assert head.fuse[0].weight.grad.abs().sum() > 0


def test_masks_gate_each_scale():
    head = MPFRHead(in_channels=CHANNELS[1:], channels=8).eval()
    maps = _maps()[1:]
    with torch.no_grad():
        ref = head(maps)['fused']
        for m in head.masks:  # close every mask: F_mp vanishes
            m.bias.fill_(-60.0)
        closed = head(maps)['fused']
        head.masks[0].bias.fill_(60.0)  # re-open the first scale only
        first = head(maps)['fused']
        aligned = torch.nn.functional.adaptive_avg_pool2d(
            head.align[0](maps[0]), (4, 2))
    assert ref.abs().sum() > 0
    assert closed.abs().max() < 1e-12
    torch.testing.assert_close(first, aligned)


def test_no_mask_variant_and_channels_check():
    with_mask = MPFRHead(in_channels=CHANNELS, in_index=(1, 2, 3),
                         channels=8)
    no_mask = MPFRHead(in_channels=CHANNELS, in_index=(1, 2, 3), channels=8,
                       spatial_mask=False)
    n_with = sum(p.numel() for p in with_mask.parameters())
    n_without = sum(p.numel() for p in no_mask.parameters())
    assert n_with - n_without == 3 * (8 * 9 + 1)
    assert no_mask(_maps())['masks'] == ()
    with pytest.raises(ValueError, match='must be B x 64 x H x W'):
        no_mask((_maps()[0], _maps()[1], _maps()[1], _maps()[3]))
    with pytest.raises(ValueError, match='backbone returned 2 maps'):
        no_mask(_maps()[:2])
    with pytest.raises(ValueError, match='in_channels is required'):
        MPFRHead()
    with pytest.raises(ValueError, match="fusion must be 'sum' or 'concat'"):
        MPFRHead(in_channels=CHANNELS, fusion='max')
    with pytest.raises(ValueError, match='out of range'):
        MPFRHead(in_channels=CHANNELS, in_index=(2, 5))


def test_aux_head_losses(make_samples):
    init_default_scope('vireid')
    head = MODELS.build(
        dict(type='MPFRHead', in_channels=CHANNELS, in_index=(1, 2, 3),
             channels=16,
             aux_head=dict(type='BNNeckHead', num_classes=3,
                           loss_triplet=None)))
    head.init_weights()
    assert head.with_aux_head and head.aux_head.in_channels == 16
    samples = make_samples([0, 1, 2, 0], [0, 1, 0, 1])
    outs = head(_maps())
    assert outs['logits'].shape == (4, 3) and outs['pool'].shape == (4, 16)
    losses = head.loss(_maps(), samples)
    assert set(losses) == {'loss_id', 'acc'}
    losses['loss_id'].backward()
    assert head.align[0][0].weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='aux_head.in_channels=5'):
        MPFRHead(in_channels=CHANNELS, channels=16,
                 aux_head=dict(type='BNNeckHead', in_channels=5,
                               num_classes=3))
