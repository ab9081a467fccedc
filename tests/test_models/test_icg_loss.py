# Copyright (c) vireid contributors. All rights reserved.
import itertools

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope

from vireid.models.losses import ICGLoss
from vireid.registry import MODELS


def _loop_reference(feats, labels, modality, margin, normalize,
                    balanced_joint):
    """Slow per-identity reference of the three ICG terms."""
    x = F.normalize(feats.double(), dim=1) if normalize else feats.double()
    ids = sorted(set(labels.tolist()))
    gaps, pulls, joints = [], [], {}
    for y in ids:
        rows = [i for i in range(len(labels)) if labels[i] == y]
        v = [i for i in rows if modality[i] == 0]
        r = [i for i in rows if modality[i] == 1]
        joints[y] = x[rows].mean(0)
        if v and r:
            cv, ci = x[v].mean(0), x[r].mean(0)
            if balanced_joint:
                joints[y] = (cv + ci) / 2
            gaps.append((cv - ci).norm())
            for i in v:
                pulls.append((x[i] - ci).norm())
            for i in r:
                pulls.append((x[i] - cv).norm())
    gap = torch.stack(gaps).mean() if gaps else torch.tensor(0.)
    pull = torch.stack(pulls).mean() if pulls else torch.tensor(0.)
    div = []
    if len(ids) > 1:
        for y in ids:
            nearest = min((joints[y] - joints[z]).norm() for z in ids
                          if z != y)
            div.append(torch.relu(margin - nearest))
    diversity = torch.stack(div).mean() if div else torch.tensor(0.)
    return dict(gap=gap, pull=pull, diversity=diversity)


def test_matches_loop_reference():
    g = torch.Generator().manual_seed(0)
    # id 0, 1, 2 in both modalities (unbalanced counts), id 3 visible only,
    # id 4 infrared only
    labels = torch.tensor([0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4])
    modality = torch.tensor([0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1])
    for normalize, balanced, scale in itertools.product((True, False),
                                                        (True, False),
                                                        (0.05, 1.0)):
        feats = torch.randn(12, 6, generator=g) * scale + 1.0
        loss = ICGLoss(margin=0.3 if normalize else 2.5, normalize=normalize,
                       balanced_joint=balanced)
        terms = loss.compute_terms(feats, labels, modality)
        ref = _loop_reference(feats, labels, modality, loss.margin,
                              normalize, balanced)
        for k in ('gap', 'pull', 'diversity'):
            torch.testing.assert_close(
                terms[k].double(), ref[k], rtol=1e-5, atol=1e-6,
                msg=f'{k} normalize={normalize} balanced={balanced}')
        assert terms['num_cross_ids'] == 3
        total = loss(feats, labels, modality)
        torch.testing.assert_close(
            total.double(), ref['gap'] + ref['pull'] + ref['diversity'],
            rtol=1e-5, atol=1e-6)
    # the three weights and loss_weight combine linearly
    w = ICGLoss(gap_weight=2.0, pull_weight=0.5, diversity_weight=3.0,
                loss_weight=0.1)
    terms = w.compute_terms(feats, labels, modality)
    torch.testing.assert_close(
        w(feats, labels, modality),
        0.1 * (2 * terms['gap'] + 0.5 * terms['pull'] +
               3 * terms['diversity']))


def _two_id_batch(delta, dist_between_ids=5.0):
    """2 ids x (2 V + 2 I) in 3-d; the I samples are shifted by delta."""
    base = torch.tensor([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0]])
    shift = torch.tensor([0.0, delta, 0.0])
    rows, labels, mods = [], [], []
    for y in (0, 1):
        c = torch.tensor([0.0, 0.0, dist_between_ids * y])
        for m in (0, 1):
            for b in base:
                rows.append(c + b + (shift if m else 0))
                labels.append(y)
                mods.append(m)
    return torch.stack(rows), torch.tensor(labels), torch.tensor(mods)


def test_gap_zero_when_centres_coincide_and_monotonic():
    loss = ICGLoss(normalize=False, margin=0.3)
    feats, labels, mods = _two_id_batch(0.0)
    feats.requires_grad_(True)
    terms = loss.compute_terms(feats, labels, mods)
    assert terms['gap'].item() == 0.0  # exactly
    assert terms['diversity'].item() == 0.0  # ids 5 apart > margin
    # pull is not zero: samples sit 1 away from the other modality's centre
    torch.testing.assert_close(terms['pull'], torch.tensor(1.0))
    loss(feats, labels, mods).backward()
    assert torch.isfinite(feats.grad).all()  # no NaN at a zero distance

    gaps = []
    for delta in (0.0, 0.1, 0.5, 1.0, 2.0):
        feats, labels, mods = _two_id_batch(delta)
        gap = loss.compute_terms(feats, labels, mods)['gap']
        torch.testing.assert_close(gap, torch.tensor(delta))
        gaps.append(gap.item())
    assert all(a < b for a, b in zip(gaps, gaps[1:]))

    # also exactly zero on normalised features with identical V / I sets
    norm = ICGLoss(normalize=True)
    feats, labels, mods = _two_id_batch(0.0)
    assert norm.compute_terms(feats, labels, mods)['gap'].item() == 0.0


def test_diversity_only_below_margin():
    loss = ICGLoss(normalize=False, margin=0.3)
    for d in (0.0, 0.1, 0.29, 0.3, 0.5, 3.0):
        feats, labels, mods = _two_id_batch(0.0, dist_between_ids=d)
        div = loss.compute_terms(feats, labels, mods)['diversity']
        torch.testing.assert_close(div, torch.tensor(max(0.0, 0.3 - d)),
                                   atol=1e-6, rtol=0)
        if d != 0.3:  # at the margin itself rounding may go either way
            assert (div.item() > 0) == (d < 0.3)
    # a single identity has no other centre: no diversity term
    feats, labels, mods = _two_id_batch(0.2)
    keep = labels == 0
    terms = loss.compute_terms(feats[keep], labels[keep], mods[keep])
    assert terms['diversity'].item() == 0.0
    torch.testing.assert_close(terms['gap'], torch.tensor(0.2))
    # margin 0 switches it off
    feats, labels, mods = _two_id_batch(0.0, dist_between_ids=0.0)
    assert ICGLoss(normalize=False, margin=0.0).compute_terms(
        feats, labels, mods)['diversity'].item() == 0.0


def test_single_modality_ids_skipped():
    loss = ICGLoss(normalize=False, margin=0.3)
    feats, labels, mods = _two_id_batch(0.7)
    ref = loss.compute_terms(feats, labels, mods)
    # add id 2 (visible only, far away, large spread) and id 3 (IR only)
    extra = torch.tensor([[9.0, 9.0, 9.0], [-9.0, 9.0, 9.0],
                          [30.0, 0.0, 0.0]])
    feats2 = torch.cat([feats, extra])
    labels2 = torch.cat([labels, torch.tensor([2, 2, 3])])
    mods2 = torch.cat([mods, torch.tensor([0, 0, 1])])
    terms = loss.compute_terms(feats2, labels2, mods2)
    torch.testing.assert_close(terms['gap'], ref['gap'])
    torch.testing.assert_close(terms['pull'], ref['pull'])
    assert terms['num_cross_ids'] == 2
    # no identity seen in both modalities: gap / pull are zero, grads finite
    only = torch.randn(4, 3, requires_grad=True)
    terms = loss.compute_terms(only, torch.tensor([0, 0, 1, 1]),
                               torch.tensor([0, 0, 1, 1]))
    assert terms['gap'].item() == 0.0 and terms['pull'].item() == 0.0
    loss(only, torch.tensor([0, 0, 1, 1]), torch.tensor([0, 0, 1, 1])
         ).backward()
    assert torch.isfinite(only.grad).all()


def test_gradient_reduces_gap_and_bad_inputs():
    init_default_scope('vireid')
    loss = MODELS.build(dict(type='ICGLoss', diversity_weight=0.0))
    assert isinstance(loss, ICGLoss)
    feats, labels, mods = _two_id_batch(0.8)
    feats = feats.clone().requires_grad_(True)
    opt = torch.optim.SGD([feats], lr=0.5)
    before = loss.compute_terms(feats, labels, mods)['gap'].item()
    for _ in range(5):
        opt.zero_grad()
        loss(feats, labels, mods).backward()
        opt.step()
    after = loss.compute_terms(feats, labels, mods)['gap'].item()
    assert after < before
    with pytest.raises(ValueError, match='modality values'):
        loss(feats, labels, torch.tensor([0, 1, 2, 0, 1, 0, 1, 0]))
    with pytest.raises(ValueError, match='8 features but 3 labels'):
        loss(feats, labels[:3], mods[:3])
    with pytest.raises(ValueError, match='N x D'):
        loss(feats[0], labels, mods)
    with pytest.raises(ValueError, match='margin must be >= 0'):
        ICGLoss(margin=-1.0)
    # half precision inputs: float32 result
    out = loss(feats.detach().bfloat16(), labels, mods)
    assert out.dtype == torch.float32 and torch.isfinite(out)
