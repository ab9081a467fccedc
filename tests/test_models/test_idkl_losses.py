# Copyright (c) vireid contributors. All rights reserved.
"""IDKL losses against loop-based oracles written from the spec (§2b)."""
import math

import pytest
import torch

from vireid.models.losses import (CSABatchLoss, CSASampleLoss, IIPLoss,
                                  ModalityCELoss, TGSALoss)
from vireid.models.losses.idkl_losses import (offdiag_distances,
                                              pseudo_modality_labels,
                                              symmetric_kl)


# ---------------------------------------------------------------- oracles
def softmax_row(row):
    m = max(row)
    e = [math.exp(v - m) for v in row]
    s = sum(e)
    return [v / s for v in e]


def skl(a, b):
    """sum_rows [KL(p_b || p_a) + KL(p_a || p_b)] / rows, from lists."""
    total = 0.0
    for ra, rb in zip(a, b):
        pa, pb = softmax_row(ra), softmax_row(rb)
        total += sum(q * math.log(q / p) for p, q in zip(pa, pb))
        total += sum(p * math.log(p / q) for p, q in zip(pa, pb))
    return total / len(a)


def dist_rows(x, negate=False):
    """Off-diagonal Euclidean distances (clamp 1e-6 on the square)."""
    out = []
    for i, xi in enumerate(x):
        row = []
        for j, xj in enumerate(x):
            if i == j:
                continue
            d = math.sqrt(max(sum((a - b)**2 for a, b in zip(xi, xj)), 1e-6))
            row.append(-d if negate else d)
        out.append(row)
    return out


def split(rows, modality):
    v = [r for r, m in zip(rows, modality) if m == 0]
    i = [r for r, m in zip(rows, modality) if m == 1]
    return v, i


def regroup(rows, m):
    """Chunks of m consecutive rows concatenated along the class axis."""
    chunks = [rows[c:c + m] for c in range(0, len(rows), m)]
    return [sum((chunk[r] for chunk in chunks), []) for r in range(m)]


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(0)
    # 3 ids x (2 I + 2 V), interleaved I, V per identity
    labels = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
    modality = torch.tensor([1, 0] * 6)
    f_sh = torch.randn(12, 5, generator=g, dtype=torch.float64)
    f_sp = torch.randn(12, 5, generator=g, dtype=torch.float64)
    z_sh = torch.randn(12, 7, generator=g, dtype=torch.float64)
    z_sp = torch.randn(12, 7, generator=g, dtype=torch.float64)
    return labels, modality, f_sh, f_sp, z_sh, z_sp


def test_symmetric_kl_and_distances(batch):
    _, _, f_sh, f_sp, z_sh, z_sp = batch
    assert symmetric_kl(z_sh, z_sp).item() == pytest.approx(
        skl(z_sh.tolist(), z_sp.tolist()), rel=1e-5)
    d = offdiag_distances(f_sh)
    assert d.shape == (12, 11)
    assert torch.allclose(d.double(), torch.tensor(dist_rows(f_sh.tolist()),
                                                  dtype=torch.float64),
                          rtol=1e-5)


@pytest.mark.parametrize('negate', [False, True])
def test_tgsa_main_formula(batch, negate):
    _, modality, f_sh, f_sp, _, _ = batch
    loss = TGSALoss(inter_weight=0.6, negate=negate)(f_sh, f_sp, modality)
    sv, si = split(f_sh.tolist(), modality.tolist())
    pv, pi = split(f_sp.tolist(), modality.tolist())
    cross = sv[:len(sv) // 2] + si[:len(si) // 2]
    D = lambda x: dist_rows(x, negate)  # noqa: E731
    intra = skl(D(sv), D(si)) + skl(D(sv), D(cross)) + skl(D(cross), D(si))
    inter = skl(D(sv), D(pv)) + skl(D(si), D(pi))
    assert loss.item() == pytest.approx(intra + 0.6 * inter, rel=1e-5)


def test_tgsa_batch_size_switch(batch):
    _, modality, f_sh, f_sp, _, _ = batch
    sv, si = split(f_sh.tolist(), modality.tolist())
    pv, pi = split(f_sp.tolist(), modality.tolist())
    expect = 0.1 * (skl(dist_rows(sv), dist_rows(si)) +
                    skl(dist_rows(sv), dist_rows(pv)) +
                    skl(dist_rows(si), dist_rows(pi)))
    # the code's switch: batch 12 != 120 -> the other branch
    loss = TGSALoss(switch_batch_size=120)(f_sh, f_sp, modality)
    assert loss.item() == pytest.approx(expect, rel=1e-5)
    same = TGSALoss(switch_batch_size=12)(f_sh, f_sp, modality)
    assert same.item() == pytest.approx(
        TGSALoss()(f_sh, f_sp, modality).item())


def test_tgsa_nothing_detached(batch):
    _, modality, f_sh, f_sp, _, _ = batch
    f_sh, f_sp = f_sh.clone().requires_grad_(), f_sp.clone().requires_grad_()
    TGSALoss()(f_sh, f_sp, modality).backward()
    assert f_sh.grad.abs().sum() > 0 and f_sp.grad.abs().sum() > 0


@pytest.mark.parametrize('switch,weight', [(None, 0.8), (120, 0.3)])
def test_csa_batch(batch, switch, weight):
    _, modality, _, _, z_sh, z_sp = batch
    loss = CSABatchLoss(inter_weight=0.8, switch_batch_size=switch,
                        fallback_inter_weight=0.3)(z_sh, z_sp, modality)
    hv, hi = split(z_sh.tolist(), modality.tolist())
    pv, pi = split(z_sp.tolist(), modality.tolist())
    expect = skl(hv, hi) + weight * (skl(hv, pv) + skl(hi, pi))
    assert loss.item() == pytest.approx(expect, rel=1e-5)


def test_csa_sample(batch):
    labels, modality, _, _, z_sh, z_sp = batch
    loss = CSASampleLoss(inter_weight=0.8)(z_sh, z_sp, modality, labels)
    hv, hi = split(z_sh.tolist(), modality.tolist())
    pv, pi = split(z_sp.tolist(), modality.tolist())
    m = 2  # 4 samples share labels[0] -> K/2 = 2
    R = lambda rows: regroup(rows, m)  # noqa: E731
    assert len(R(hv)) == 2 and len(R(hv)[0]) == 3 * 7
    expect = skl(R(hv), R(hi)) + 0.8 * (skl(R(hv), R(pv)) + skl(R(hi), R(pi)))
    assert loss.item() == pytest.approx(expect, rel=1e-5)
    explicit = CSASampleLoss(chunk_size=2)(z_sh, z_sp, modality, labels)
    assert explicit.item() == pytest.approx(loss.item())
    with pytest.raises(ValueError, match='chunks of 4'):
        CSASampleLoss(chunk_size=4)(z_sh, z_sp, modality, labels)


def test_losses_refuse_unpaired_modalities(batch):
    _, modality, f_sh, f_sp, _, _ = batch
    bad = modality.clone()
    bad[0] = 0
    with pytest.raises(ValueError, match='same number'):
        TGSALoss()(f_sh, f_sp, bad)


def test_iip_loss():
    g = torch.Generator().manual_seed(3)
    labels = torch.tensor([0, 0, 1, 1, 0, 1])
    modality = torch.tensor([0, 1, 0, 1, 0, 1])
    maps = {k: torch.rand(6, 4, 3, 2, generator=g) + 0.01
            for k in ('f', 'f_p', 'f_in', 'f_in_p')}
    loss_mod = IIPLoss(4, 5, loss_weight=0.1)
    w = loss_mod.classifier.weight.detach().double().tolist()

    def gem(m):
        return [[(sum(v**3 for v in m[i, c].flatten().tolist()) /
                  m[i, c].numel())**(1 / 3) for c in range(m.shape[1])]
                for i in range(m.shape[0])]

    def entropy(vec):
        logits = [sum(a * b for a, b in zip(row, vec)) for row in w]
        p = softmax_row(logits)
        return -sum(q * math.log(q) for q in p)

    g_f, g_fp = gem(maps['f'].double()), gem(maps['f_p'].double())
    l_f = sum(math.exp(max(entropy(b) - entropy(a), 0.0)) - 1
              for a, b in zip(g_f, g_fp)) / 6

    def gaps(vecs):
        out = []
        rows = list(zip(vecs, labels.tolist(), modality.tolist()))
        for y in (0, 1):
            v = [x for x, lab, m in rows if lab == y and m == 0]
            i = [x for x, lab, m in rows if lab == y and m == 1]
            mv = [sum(c) / len(v) for c in zip(*v)]
            mi = [sum(c) / len(i) for c in zip(*i)]
            out.append(math.sqrt(sum((a - b + 1e-6)**2
                                     for a, b in zip(mv, mi))))
        return out

    gap_p = gaps(gem(maps['f_in_p'].double()))
    gap = gaps(gem(maps['f_in'].double()))
    l_in = sum(max(p - q, 0.0) for p, q in zip(gap_p, gap)) / 2
    parts = loss_mod.components(maps, labels, modality)
    assert parts['entropy'].item() == pytest.approx(l_f, rel=1e-4, abs=1e-7)
    assert parts['centroid'].item() == pytest.approx(l_in, rel=1e-4, abs=1e-7)
    total = loss_mod(maps, labels, modality)
    assert total.item() == pytest.approx(0.1 * (l_f + l_in), rel=1e-4,
                                         abs=1e-7)


def test_iip_centroid_term_skips_single_modality_identities():
    """L_IN averages over the identities that have both modalities only,
    whatever the label values and their order in the batch; with none it
    is 0 and its gradient finite."""
    g = torch.Generator().manual_seed(11)
    labels = torch.tensor([12, 3, 7, 12, 3, 40, 7, 12, 9])
    modality = torch.tensor([0, 1, 0, 1, 0, 1, 1, 0, 0])
    maps = {k: torch.rand(9, 4, 3, 2, generator=g) + 0.01
            for k in ('f', 'f_p', 'f_in', 'f_in_p')}
    loss_mod = IIPLoss(4, 50, centroid_margin=0.05)

    def gaps(m):
        vec = loss_mod._gem(m).double()
        out = {}
        for y in sorted(set(labels.tolist())):
            v = vec[(labels == y) & (modality == 0)]
            i = vec[(labels == y) & (modality == 1)]
            if len(v) and len(i):  # 40 and 9 have one modality only
                out[y] = float((v.mean(0) - i.mean(0) + 1e-6).norm())
        return out

    gap, gap_p = gaps(maps['f_in']), gaps(maps['f_in_p'])
    assert sorted(gap) == [3, 7, 12]
    want = sum(max(gap_p[y] - gap[y] + 0.05, 0.0) for y in gap) / 3
    got = loss_mod.components(maps, labels, modality)['centroid']
    assert got.item() == pytest.approx(want, rel=1e-5, abs=1e-7)

    maps = {k: v.clone().requires_grad_() for k, v in maps.items()}
    none = loss_mod.components(maps, labels, torch.zeros(9, dtype=torch.long))
    assert none['centroid'].item() == 0.0
    none['centroid'].backward()
    assert torch.isfinite(maps['f_in_p'].grad).all()


def test_iip_probe_supervised_oracle_and_gradients():
    g = torch.Generator().manual_seed(5)
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    modality = torch.tensor([0, 1, 0, 1, 0, 1])
    maps = {k: (torch.rand(6, 4, 3, 2, generator=g) + 0.01).requires_grad_()
            for k in ('f', 'f_p', 'f_in', 'f_in_p')}
    off = IIPLoss(4, 3, loss_weight=0.1)
    sup = IIPLoss(4, 3, loss_weight=0.1, probe='supervised', probe_weight=0.5)
    sup.load_state_dict(off.state_dict())
    c_off = off.components(maps, labels, modality)
    c_sup = sup.components(maps, labels, modality)
    # same L_F / L_IN values; the probe CE is the CE of C(GeM(F))
    assert c_sup['entropy'].item() == pytest.approx(c_off['entropy'].item())
    assert c_sup['centroid'].item() == pytest.approx(c_off['centroid'].item())
    logits = off.classifier(off._gem(maps['f'])).tolist()
    ce = sum(-math.log(softmax_row(r)[y])
             for r, y in zip(logits, labels.tolist())) / 6
    assert c_sup['probe'].item() == pytest.approx(ce, rel=1e-5)
    total = sup(maps, labels, modality)
    assert total.item() == pytest.approx(
        0.1 * (c_off['entropy'].item() + c_off['centroid'].item()) + 0.5 * ce,
        rel=1e-5)
    # the probe CE trains C only; L_F reaches the maps, not C
    total.backward()
    grads = {k: maps[k].grad.clone() for k in maps}
    for m in maps.values():
        m.grad = None
    off(maps, labels, modality).backward()
    for k in maps:
        torch.testing.assert_close(grads[k], maps[k].grad)
    sup.classifier.weight.grad = None
    (0.5 * sup.components(maps, labels, modality)['probe']).backward()
    ce_only = sup.classifier.weight.grad.clone()
    sup.classifier.weight.grad = None
    sup(maps, labels, modality).backward()
    torch.testing.assert_close(sup.classifier.weight.grad, ce_only)
    with pytest.raises(ValueError, match='probe'):
        IIPLoss(4, 3, probe='labels')


def test_iip_official_probe_flattens_under_weight_decay():
    """IDKL's probe: once the hinge holds, weight decay flattens C (L_F = 0
    for good); the supervised probe keeps classifying."""
    torch.manual_seed(0)
    n_cls = 6
    labels = torch.arange(n_cls).repeat_interleave(2)
    modality = torch.tensor([0, 1] * n_cls)
    f = torch.rand(2 * n_cls, 8, 2, 2) + torch.eye(8)[labels % 8][:, :, None,
                                                                   None]
    # purified = raw: both hinges sit at 0, so L_F gives C no gradient
    maps = dict(f=f, f_p=f.clone(), f_in=f, f_in_p=f.clone())
    entropies = {}
    for probe in ('official', 'supervised'):
        loss_mod = IIPLoss(8, n_cls, probe=probe)
        opt = torch.optim.Adam(loss_mod.parameters(), lr=0.05,
                               weight_decay=5e-3)
        for _ in range(60):
            opt.zero_grad()
            loss_mod(maps, labels, modality).backward()
            opt.step()
        with torch.no_grad():
            entropies[probe] = loss_mod._entropy(
                loss_mod.classifier(loss_mod._gem(f))).mean().item()
    assert entropies['official'] > 0.99 * math.log(n_cls)
    assert entropies['supervised'] < 0.5 * math.log(n_cls)


def test_modality_ce_pseudo_label():
    modality = torch.tensor([1, 0, 1, 0, 1, 0, 1, 0])
    # roll(repeat_interleave(first half, 2), -1)
    assert pseudo_modality_labels(modality).tolist() == [1, 0, 0, 1, 1, 0, 0,
                                                         1]
    logits = torch.tensor([[0.3, -0.2]] * 8)
    ce = lambda t: sum(  # noqa: E731
        -math.log(softmax_row(r)[y]) for r, y in zip(logits.tolist(), t)) / 8
    assert ModalityCELoss('true')(logits, modality).item() == pytest.approx(
        ce(modality.tolist()), rel=1e-6)
    assert ModalityCELoss('pseudo')(logits, modality).item() == \
        pytest.approx(ce([1, 0, 0, 1, 1, 0, 0, 1]), rel=1e-6)
    with pytest.raises(ValueError, match='even'):
        pseudo_modality_labels(torch.tensor([0, 1, 0]))


def test_iip_centroid_term_is_float32_under_autocast():
    """The one-hot centroid products stay in float32 under bf16 autocast
    (the per-identity means they replaced were never autocast)."""
    g = torch.Generator().manual_seed(2)
    maps = {k: torch.rand(8, 4, 3, 2, generator=g) + 0.01
            for k in ('f', 'f_p', 'f_in', 'f_in_p')}
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    modality = torch.tensor([0, 1] * 4)
    loss_mod = IIPLoss(4, 5, centroid_margin=0.5)
    want = loss_mod.components(maps, labels, modality)['centroid']
    with torch.autocast('cpu', dtype=torch.bfloat16):
        got = loss_mod.components(maps, labels, modality)['centroid']
    assert want.item() > 0
    assert got.dtype == torch.float32 and got.item() == want.item()
