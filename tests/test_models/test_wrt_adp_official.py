# Copyright (c) vireid contributors. All rights reserved.
"""WRT / ADP losses at real feature scales against float64 loop oracles.

The oracles are written from the formulas (see the loss docstrings): the
released AGW/CAJ code's weights ``m exp(v - max(v * m)) / (sum + 1e-6)`` and
the exact masked softmax.
"""
import math

import pytest
import torch

from vireid.models import ADPTripletLoss, WRTripletLoss


def _gem_like(n_ids=8, k=4, dim=2048, seed=0, norm=(10.0, 60.0)):
    """Un-normalised, non-negative features with norms in ``norm``, two
    modalities of ``k`` images per identity (labels ``[V; I]``)."""
    g = torch.Generator().manual_seed(seed)
    centers = torch.rand(n_ids, dim, generator=g)
    labels = torch.arange(n_ids).repeat_interleave(k).repeat(2)
    feats = (centers[labels] + 0.8 * torch.rand(len(labels), dim, generator=g))
    target = norm[0] + (norm[1] - norm[0]) * torch.rand(len(labels), 1,
                                                        generator=g)
    feats = feats / feats.norm(dim=1, keepdim=True) * target
    return feats, labels


def _weights(values, mask, mode):
    """Per-row weights from the formula (pure Python floats)."""
    if mode == 'official':
        shift = max(v * m for v, m in zip(values, mask))
        e = [math.exp(v - shift) * m for v, m in zip(values, mask)]
        z = sum(e) + 1e-6
    else:
        shift = max(v for v, m in zip(values, mask) if m)
        e = [math.exp(v - shift) if m else 0.0 for v, m in zip(values, mask)]
        z = sum(e)
    return [x / z for x in e]


def _oracle(feats, labels, mode, alpha=1.0, gamma=1.0, loss='wrt'):
    x = feats.double()
    d = torch.cdist(x, x).tolist()
    lab = labels.tolist()
    total, count = 0.0, 0
    for i in range(len(lab)):
        pos = [1.0 if lab[j] == lab[i] else 0.0 for j in range(len(lab))]
        neg = [1.0 - p for p in pos]
        if mode == 'softmax' and not any(neg):
            continue
        dp_row = [d[i][j] * pos[j] for j in range(len(lab))]
        dn_row = [d[i][j] * neg[j] for j in range(len(lab))]
        wp = _weights([alpha * v for v in dp_row], pos, mode)
        wn = _weights([-alpha * v for v in dn_row], neg, mode)
        dp = sum(w * v for w, v in zip(wp, dp_row))
        dn = sum(w * v for w, v in zip(wn, dn_row))
        if loss == 'wrt':
            total += math.log1p(math.exp(gamma * (dp - dn)))
        else:  # CAJ's squared gap
            s = min(gamma * (dp - dn)**2, 88.0)
            sign = 1.0 if dp > dn else -1.0
            total += math.log1p(math.exp(sign * s))
        count += 1
    return total / count


@pytest.mark.parametrize('mode', ['official', 'softmax'])
def test_wrt_matches_oracle_at_real_scale(mode):
    feats, labels = _gem_like()
    norms = feats.norm(dim=1)
    assert norms.min() >= 10 and norms.max() <= 60
    loss = WRTripletLoss(weighting=mode)(feats, labels)
    ref = _oracle(feats, labels, mode)
    assert loss.item() == pytest.approx(ref, rel=1e-5, abs=1e-5)


def test_official_and_softmax_differ_at_real_scale_only():
    feats, labels = _gem_like()
    off = WRTripletLoss(weighting='official')(feats, labels).item()
    soft = WRTripletLoss(weighting='softmax')(feats, labels).item()
    # the released code's negative weights collapse: d_n ~ 0
    assert off > soft + 5.0
    # at unit scale the two agree closely (sum exp(-d) >> 1e-6)
    small = feats / feats.norm(dim=1, keepdim=True) * 0.5
    a = WRTripletLoss(weighting='official')(small, labels).item()
    b = WRTripletLoss(weighting='softmax')(small, labels).item()
    assert a == pytest.approx(b, rel=1e-4)


def test_official_wrt_is_about_softplus_of_positive_distance():
    feats, labels = _gem_like(norm=(40.0, 60.0))
    x = feats.double()
    d = torch.cdist(x, x)
    same = labels[:, None] == labels[None, :]
    w = torch.where(same, d, torch.full_like(d, -1e9)).softmax(dim=1)
    d_p = (w * d).sum(dim=1)
    loss = WRTripletLoss(weighting='official')(feats, labels).item()
    assert loss == pytest.approx(
        torch.nn.functional.softplus(d_p).mean().item(), rel=1e-3)


@pytest.mark.parametrize('square', [True, False])
@pytest.mark.parametrize('mode', ['official', 'softmax'])
def test_adp_matches_oracle(square, mode):
    feats, labels = _gem_like(seed=2)
    feats = feats * 0.05  # distances ~1-3: neither regime saturates
    fn = ADPTripletLoss(alpha=1.0, gamma=1.0, square=square, weighting=mode)
    ref = _oracle(feats, labels, mode, loss='adp' if square else 'wrt')
    assert fn(feats, labels).item() == pytest.approx(ref, rel=1e-5, abs=1e-6)


def test_adp_alpha_gamma_and_real_scale():
    feats, labels = _gem_like(seed=3)
    for alpha, gamma in ((2.0, 0.5), (0.5, 3.0)):
        small = feats * 0.03
        fn = ADPTripletLoss(alpha=alpha, gamma=gamma, square=False)
        assert fn(small, labels).item() == pytest.approx(
            _oracle(small, labels, 'official', alpha, gamma), rel=1e-4)
    big = ADPTripletLoss()(feats, labels)  # squared gap hits the clamp
    assert torch.isfinite(big)
    assert big.item() == pytest.approx(
        _oracle(feats, labels, 'official', loss='adp'), rel=1e-5)


def test_losses_have_gradients_and_validate():
    feats, labels = _gem_like(n_ids=3, k=2, dim=64)
    feats = (feats * 0.05).requires_grad_(True)  # below ADP's clamp
    for fn in (WRTripletLoss(weighting='official'), ADPTripletLoss()):
        loss = fn(feats, labels)
        (g, ) = torch.autograd.grad(loss, feats)
        assert torch.isfinite(g).all() and g.abs().sum() > 0
    with pytest.raises(ValueError, match='weighting'):
        WRTripletLoss(weighting='exact')
    with pytest.raises(ValueError, match='alpha'):
        ADPTripletLoss(alpha=0)
