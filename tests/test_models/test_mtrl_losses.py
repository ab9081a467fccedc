# Copyright (c) vireid contributors. All rights reserved.
"""MTRL losses against loop oracles written from their formulas."""
import math

import pytest
import torch

from vireid.models import MQRLoss, MTCLoss, TransitionCenterLoss

# a [V; M; I] batch: 3 ids; V rows 0-5, M rows 6-11 (M_k made from V_k),
# I rows 12-17 (identity 2 has one extra I row, identity 0 one fewer)
LABELS = [0, 0, 1, 1, 2, 2] * 2 + [0, 1, 1, 2, 2, 2]
GROUPS = [0] * 6 + [2] * 6 + [1] * 6


def _feats(n=18, d=5, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def _unit(v):
    n = math.sqrt(sum(float(a)**2 for a in v))
    return [float(a) / n for a in v]


def _dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def _rows(feats, group, normalize=True):
    return [(_unit(feats[i]) if normalize else [float(a) for a in feats[i]],
             LABELS[i]) for i in range(len(GROUPS)) if GROUPS[i] == group]


def _lse(values):
    m = max(values)
    return m + math.log(sum(math.exp(v - m) for v in values))


def _oracle_mtc(feats, tau, negatives='all', symmetric=False):
    vis, mid, ir = _rows(feats, 0), _rows(feats, 2), _rows(feats, 1)

    def inst(A, B):
        total = 0.0
        for i, (a, ya) in enumerate(A):
            cands = [j for j, (_, yb) in enumerate(B)
                     if negatives == 'all' or j == i or yb != ya]
            logits = [_dot(a, B[j][0]) / tau for j in cands]
            total += _lse(logits) - _dot(a, B[i][0]) / tau
        return total / len(A)

    def supcon(A, B):
        per = []
        for a, ya in A:
            pos = [b for b, yb in B if yb == ya]
            if not pos:
                continue
            lse = _lse([_dot(a, b) / tau for b, _ in B])
            per.append(sum(lse - _dot(a, b) / tau for b in pos) / len(pos))
        return sum(per) / len(per) if per else 0.0

    i_term = inst(mid, vis)
    d_term = supcon(mid, ir)
    if symmetric:
        i_term = (i_term + inst(vis, mid)) / 2
        d_term = (d_term + supcon(ir, mid)) / 2
    return i_term, d_term


@pytest.mark.parametrize('negatives', ['all', 'other_ids'])
@pytest.mark.parametrize('symmetric', [False, True])
def test_mtc_equals_loop(negatives, symmetric):
    feats = _feats()
    loss = MTCLoss(temperature=0.2, negatives=negatives, symmetric=symmetric,
                   inst_weight=0.7, id_weight=1.3, loss_weight=2.0)
    terms = loss.compute_terms(feats, torch.tensor(LABELS),
                               torch.tensor(GROUPS))
    inst, ident = _oracle_mtc(feats, 0.2, negatives, symmetric)
    assert terms['inst'].item() == pytest.approx(inst, rel=1e-5)
    assert terms['id'].item() == pytest.approx(ident, rel=1e-5)
    total = loss(feats, torch.tensor(LABELS), torch.tensor(GROUPS))
    assert total.item() == pytest.approx(2.0 * (0.7 * inst + 1.3 * ident),
                                         rel=1e-5)


def test_mtc_row_order_free_and_checks():
    feats = _feats()
    labels, groups = torch.tensor(LABELS), torch.tensor(GROUPS)
    ref = MTCLoss()(feats, labels, groups)
    # interleave I rows between the others: only the within-group order
    # matters (the k-th M pairs with the k-th V)
    perm = torch.tensor([12, 0, 6, 13, 1, 7, 2, 8, 14, 3, 9, 4, 10, 15, 5,
                         11, 16, 17])
    assert MTCLoss()(feats[perm], labels[perm], groups[perm]).item() == \
        pytest.approx(ref.item(), rel=1e-6)
    with pytest.raises(ValueError, match='middle rows'):
        MTCLoss()(feats[:17], labels[:17], torch.tensor(GROUPS[:6] + [2] * 5
                                                        + [1] * 6))
    bad = labels.clone()
    bad[6] = 2
    with pytest.raises(ValueError, match='label of the k-th visible'):
        MTCLoss()(feats, bad, groups)
    with pytest.raises(ValueError, match='temperature'):
        MTCLoss(temperature=0)
    # a perfectly aligned, well separated batch has a small instance loss
    basis = torch.eye(6) * 10
    f = torch.cat([basis, basis, basis[[0, 2, 2, 4, 4, 4]]])
    t = MTCLoss(temperature=0.1).compute_terms(f, labels, groups)
    assert t['inst'].item() < 1e-3


def test_mtc_gradients_reach_all_groups():
    feats = _feats().requires_grad_()
    MTCLoss()(feats, torch.tensor(LABELS), torch.tensor(GROUPS)).backward()
    assert (feats.grad.abs().sum(dim=1) > 0).all()


def _centres(feats, normalize=True):
    c = {}
    for g in (0, 1, 2):
        for y in set(LABELS):
            rows = [(_unit(feats[i]) if normalize else
                     [float(a) for a in feats[i]])
                    for i in range(len(LABELS))
                    if LABELS[i] == y and GROUPS[i] == g]
            if rows:
                c[(y, g)] = [sum(col) / len(rows) for col in zip(*rows)]
    return c


@pytest.mark.parametrize('squared', [False, True])
@pytest.mark.parametrize('normalize', [True, False])
def test_center_equals_loop(squared, normalize):
    feats = _feats(seed=1)
    pairs = ((2, 0), (2, 1), (0, 1))
    weights = (1.0, 0.5, 2.0)
    loss = TransitionCenterLoss(pairs=pairs, pair_weights=weights,
                                squared=squared, normalize=normalize,
                                loss_weight=3.0)
    c = _centres(feats, normalize)
    expect = 0.0
    for (a, b), w in zip(pairs, weights):
        ds = []
        for y in set(LABELS):
            if (y, a) in c and (y, b) in c:
                sq = sum((p - q)**2 for p, q in zip(c[(y, a)], c[(y, b)]))
                ds.append(sq if squared else math.sqrt(sq))
        expect += w * sum(ds) / len(ds)
    got = loss(feats, torch.tensor(LABELS), torch.tensor(GROUPS))
    assert got.item() == pytest.approx(3.0 * expect, rel=1e-5)
    terms = loss.compute_terms(feats, torch.tensor(LABELS),
                               torch.tensor(GROUPS))
    assert list(terms) == ['MV', 'MI', 'VI']


def test_center_edge_cases():
    labels, groups = torch.tensor(LABELS), torch.tensor(GROUPS)
    # equal centres: exactly zero, finite zero gradient (no NaN)
    f = torch.ones(18, 4, requires_grad=True)
    out = TransitionCenterLoss()(f, labels, groups)
    out.backward()
    assert out.item() == 0.0 and torch.isfinite(f.grad).all()
    # no middle rows: the M pairs contribute 0; V-I still works
    keep = groups != 2
    feats = _feats()[keep]
    assert TransitionCenterLoss()(feats, labels[keep],
                                  groups[keep]).item() == 0.0
    assert TransitionCenterLoss(pairs=((0, 1), ))(
        feats, labels[keep], groups[keep]).item() > 0
    with pytest.raises(ValueError, match='pairs'):
        TransitionCenterLoss(pairs=((0, 0), ))
    with pytest.raises(ValueError, match='pairs'):
        TransitionCenterLoss(pairs=((0, 1), (1, 0)))
    with pytest.raises(ValueError, match='groups must be'):
        TransitionCenterLoss()(feats, labels[keep], groups[keep] + 2)


def _softmax(v):
    m = max(v)
    e = [math.exp(x - m) for x in v]
    return [x / sum(e) for x in e]


def _skl(p, q):
    return (sum(a * math.log(a / b) for a, b in zip(p, q)) +
            sum(b * math.log(b / a) for a, b in zip(p, q))) / 2


@pytest.mark.parametrize('query', ['center', 'classifier'])
def test_mqr_query_equals_loop(query):
    feats = _feats(seed=2)
    weights = torch.randn(4, 5, generator=torch.Generator().manual_seed(9))
    tau = 0.3
    c = _centres(feats)
    ids = sorted(set(LABELS))  # all have V, M and I rows
    total = 0.0
    for y in ids:
        q = _unit(c[(y, 2)]) if query == 'center' else _unit(weights[y])
        pv = _softmax([_dot(q, _unit(c[(z, 0)])) / tau for z in ids])
        pi = _softmax([_dot(q, _unit(c[(z, 1)])) / tau for z in ids])
        total += _skl(pv, pi)
    expect = total / len(ids)
    loss = MQRLoss(query=query, temperature=tau, loss_weight=0.5)
    got = loss(feats, torch.tensor(LABELS), torch.tensor(GROUPS),
               class_weights=weights)
    assert got.item() == pytest.approx(0.5 * expect, rel=1e-5)


def test_mqr_posterior_equals_loop():
    feats = _feats(seed=3)
    logits = torch.randn(18, 4, generator=torch.Generator().manual_seed(4))
    tau = 2.0
    expect = 0.0
    for a, b in ((0, 2), (2, 1)):
        per = []
        for y in sorted(set(LABELS)):
            P = {}
            for g in (a, b):
                rows = [_softmax([float(v) / tau for v in logits[i]])
                        for i in range(18)
                        if LABELS[i] == y and GROUPS[i] == g]
                P[g] = [sum(col) / len(rows) for col in zip(*rows)]
            per.append(_skl(P[a], P[b]))
        expect += sum(per) / len(per)
    loss = MQRLoss(mode='posterior', temperature=tau, loss_weight=1.0)
    got = loss(feats, torch.tensor(LABELS), torch.tensor(GROUPS),
               logits=logits)
    assert got.item() == pytest.approx(expect, rel=1e-5)


def test_mqr_edge_cases_and_gradient():
    labels, groups = torch.tensor(LABELS), torch.tensor(GROUPS)
    feats = _feats().requires_grad_()
    MQRLoss()(feats, labels, groups).backward()
    assert feats.grad.abs().sum() > 0
    # one identity only: a distribution over one identity is constant -> 0
    one = labels == 2
    assert MQRLoss()(_feats()[one], labels[one], groups[one]).item() == 0.0
    with pytest.raises(ValueError, match='class_weights'):
        MQRLoss(query='classifier')(_feats(), labels, groups)
    with pytest.raises(ValueError, match='logits'):
        MQRLoss(mode='posterior')(_feats(), labels, groups)
    with pytest.raises(ValueError, match='mode'):
        MQRLoss(mode='x')
