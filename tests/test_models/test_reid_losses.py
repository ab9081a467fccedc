# Copyright (c) vireid contributors. All rights reserved.
import math

import pytest
import torch
import torch.nn.functional as F

from vireid.models import CrossEntropyLoss, TripletLoss, WRTripletLoss


def _feats(n=12, d=8, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


LABELS = torch.tensor([0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2])  # V block, I block


def _dist(a, b):
    return math.sqrt(sum((float(x) - float(y))**2 for x, y in zip(a, b)))


def _slow_batch_hard(feats, labels, margin):
    total, n = 0.0, len(labels)
    for i in range(n):
        pos = [_dist(feats[i], feats[j]) for j in range(n)
               if labels[j] == labels[i]]
        neg = [_dist(feats[i], feats[j]) for j in range(n)
               if labels[j] != labels[i]]
        gap = max(pos) - min(neg)
        total += (math.log1p(math.exp(gap)) if margin is None else
                  max(0.0, gap + margin))
    return total / n


def _slow_wrt(feats, labels):
    total, n = 0.0, len(labels)
    for i in range(n):
        pos = [_dist(feats[i], feats[j]) for j in range(n)
               if labels[j] == labels[i]]
        neg = [_dist(feats[i], feats[j]) for j in range(n)
               if labels[j] != labels[i]]
        wp = [math.exp(d) for d in pos]
        wn = [math.exp(-d) for d in neg]
        dp = sum(w * d for w, d in zip(wp, pos)) / sum(wp)
        dn = sum(w * d for w, d in zip(wn, neg)) / sum(wn)
        total += math.log1p(math.exp(dp - dn))
    return total / n


@pytest.mark.parametrize('margin', [0.3, 1.3, None])
def test_batch_hard_equals_loop(margin):
    feats = _feats()
    loss = TripletLoss(margin=margin)(feats, LABELS)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(
        _slow_batch_hard(feats, LABELS.tolist(), margin), rel=1e-4, abs=1e-5)


def test_batch_hard_normalize_and_weight():
    feats = _feats()
    normed = F.normalize(feats, dim=1)
    loss = TripletLoss(margin=0.3, normalize=True, loss_weight=2.0)(feats,
                                                                    LABELS)
    ref = 2.0 * _slow_batch_hard(normed, LABELS.tolist(), 0.3)
    assert loss.item() == pytest.approx(ref, rel=1e-4)


def test_wrt_equals_loop_and_is_finite():
    feats = _feats()
    loss = WRTripletLoss()(feats, LABELS)
    assert torch.isfinite(loss)
    assert loss.item() == pytest.approx(
        _slow_wrt(feats, LABELS.tolist()), rel=1e-4)
    far = WRTripletLoss()(feats * 1e3, LABELS)  # no overflow in the weights
    assert torch.isfinite(far)


def test_wrt_decreases_when_positives_move_closer():
    feats = _feats().requires_grad_(True)
    wrt = WRTripletLoss()
    loss = wrt(feats, LABELS)
    loss.backward()
    assert torch.isfinite(feats.grad).all() and feats.grad.abs().sum() > 0
    with torch.no_grad():
        centers = torch.stack([feats[LABELS == c].mean(0) for c in range(3)])
        closer = feats + 0.5 * (centers[LABELS] - feats)
    assert wrt(closer, LABELS) < loss


def test_single_identity_batch_is_zero_and_differentiable():
    feats = _feats(4).requires_grad_(True)
    labels = torch.zeros(4, dtype=torch.long)
    for loss_fn in (TripletLoss(), WRTripletLoss()):
        loss = loss_fn(feats, labels)
        assert loss.item() == 0.0
        loss.backward()


def test_cross_entropy_matches_functional():
    logits = _feats(6, 5)
    labels = torch.tensor([0, 4, 2, 2, 1, 3])
    for smoothing in (0.0, 0.1):
        ce = CrossEntropyLoss(label_smoothing=smoothing, loss_weight=0.5)
        expected = 0.5 * F.cross_entropy(
            logits, labels, label_smoothing=smoothing)
        torch.testing.assert_close(ce(logits, labels), expected)
    assert CrossEntropyLoss(reduction='none')(logits, labels).shape == (6, )
    with pytest.raises(ValueError, match='labels'):
        CrossEntropyLoss()(logits, labels[:3])
    with pytest.raises(ValueError, match='label_smoothing'):
        CrossEntropyLoss(label_smoothing=1.0)


def test_metric_losses_validate_inputs():
    with pytest.raises(ValueError, match='N x D'):
        TripletLoss()(torch.zeros(2, 3, 4), torch.zeros(2))
    with pytest.raises(ValueError, match='labels'):
        WRTripletLoss()(torch.zeros(4, 3), torch.zeros(3))


def test_half_precision_inputs():
    feats = _feats().half()
    assert TripletLoss()(feats, LABELS).dtype == torch.float32
    assert torch.isfinite(WRTripletLoss()(feats, LABELS))
