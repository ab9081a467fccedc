# Copyright (c) vireid contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F

from vireid.models import BNNeckHead, GeMPooling


def _maps(b=4, c=6, h=4, w=2, seed=0):
    return torch.rand(b, c, h, w,
                      generator=torch.Generator().manual_seed(seed)) + 0.1


# ------------------------------- GeM --------------------------------- #
def test_gem_values():
    x = _maps()
    torch.testing.assert_close(GeMPooling(p=1.0)(x), x.mean(dim=(2, 3)))
    expected = x.pow(3).mean(dim=(2, 3)).pow(1 / 3)
    torch.testing.assert_close(GeMPooling()(x), expected)
    big = GeMPooling(p=60.0)(x)
    torch.testing.assert_close(big, x.amax(dim=(2, 3)), rtol=0.05, atol=0)
    # negative inputs are clamped at eps
    assert torch.all(GeMPooling()(-x) > 0)


def test_gem_tuple_learnable_and_half():
    x = _maps()
    outs = GeMPooling()((x, x[:, :3]))
    assert isinstance(outs, tuple)
    assert outs[0].shape == (4, 6) and outs[1].shape == (4, 3)
    gem = GeMPooling(learnable=True)
    assert [n for n, _ in gem.named_parameters()] == ['p']
    gem(x).sum().backward()
    assert gem.p.grad is not None and gem.p.grad.abs() > 0
    assert 'p' not in GeMPooling().state_dict()  # fixed p is no parameter
    big = torch.full((1, 2, 3, 3), 100.0, dtype=torch.half)
    out = GeMPooling()(big)  # 100^3 overflows float16
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, torch.full((1, 2), 100.0))
    with pytest.raises(ValueError, match='B x C x H x W'):
        GeMPooling()(torch.zeros(2, 3))


# ---------------------------- BNNeckHead ------------------------------ #
def test_head_forward_and_frozen_bias():
    head = BNNeckHead(in_channels=16, num_classes=5)
    feats = torch.randn(6, 16)
    outs = head((feats, ))
    assert set(outs) == {'pool', 'bn', 'logits'}
    assert outs['pool'] is feats
    assert outs['bn'].shape == (6, 16) and outs['logits'].shape == (6, 5)
    assert head.classifier.bias is None
    assert not head.bn.bias.requires_grad
    with pytest.raises(ValueError, match='B x 16'):
        head(torch.zeros(2, 8))


def test_head_agw_and_default_init():
    head = BNNeckHead(in_channels=512, num_classes=64, init='agw')
    head.init_weights()
    w = head.bn.weight.detach()
    assert w.mean().item() == pytest.approx(1.0, abs=0.003)
    assert w.std().item() == pytest.approx(0.01, rel=0.2)
    assert torch.count_nonzero(head.bn.bias) == 0
    cls = head.classifier.weight.detach()
    assert cls.std().item() == pytest.approx(0.001, rel=0.05)
    default = BNNeckHead(in_channels=512, num_classes=64, init='default')
    default.init_weights()
    assert torch.all(default.bn.weight == 1)
    assert default.classifier.weight.std().item() > 0.01
    with pytest.raises(ValueError, match="'agw' or 'default'"):
        BNNeckHead(in_channels=4, num_classes=2, init='kaiming')


def test_head_loss_keys_and_accuracy(make_samples):
    head = BNNeckHead(
        in_channels=4, num_classes=3,
        loss_triplet=dict(type='TripletLoss', margin=0.3),
        loss_id_weight=2.0)
    labels = [0, 1, 2, 0, 1, 2]
    samples = make_samples(labels, [0, 0, 0, 1, 1, 1])
    feats = torch.randn(6, 4, generator=torch.Generator().manual_seed(3))
    losses = head.loss(feats, samples)
    assert set(losses) == {'loss_id', 'loss_triplet', 'acc'}
    outs = head(feats)
    target = torch.tensor(labels)
    torch.testing.assert_close(
        losses['loss_id'], 2.0 * F.cross_entropy(outs['logits'], target))
    expected_acc = (outs['logits'].argmax(1) == target).float().mean()
    torch.testing.assert_close(losses['acc'], expected_acc)
    assert not losses['acc'].requires_grad
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert head.bn.bias.grad is None
    assert head.classifier.weight.grad.abs().sum() > 0
    only_id = BNNeckHead(in_channels=4, num_classes=3, loss_triplet=None)
    assert set(only_id.loss(feats, samples)) == {'loss_id', 'acc'}
    bad = make_samples([0, 3], [0, 1])
    with pytest.raises(ValueError, match='0..2'):
        head.loss(feats[:2], bad)


def test_head_predict_writes_dict(make_samples):
    head = BNNeckHead(in_channels=4, num_classes=3).eval()
    feats = torch.randn(3, 4)
    samples = head.predict(feats, make_samples([0, 1, 2], [0, 1, 0]))
    outs = head(feats)
    for i, ds in enumerate(samples):
        assert set(ds.pred_feature) == {'bn', 'pool'}
        torch.testing.assert_close(ds.pred_feature['bn'], outs['bn'][i])
        torch.testing.assert_close(ds.pred_feature['pool'], feats[i])
        assert ds.metainfo['modality'] == [0, 1, 0][i]
    fresh = head.predict(feats)
    assert len(fresh) == 3 and fresh[0].pred_feature['bn'].shape == (4, )
