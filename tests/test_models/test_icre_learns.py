# Copyright (c) vireid contributors. All rights reserved.
"""ICRE's enhanced branch and the collapse of issue #10.

A few dozen SGD steps of a tiny ICRE on an in-memory VI-ReID set: similar
identities (colour patterns close to one common image), noisy, an infrared
view that is a fixed grey mix of the colour channels. With the original
reconstruction (``OLD``: LayerNorm output pooled directly, triplet and ICG
on the pre-BN enhanced feature) the enhanced feature collapses to one point
within ~10 steps: ``enh.loss_triplet`` sits at the 0.3 margin and
``loss_icg`` at rho = 0.3. ``NEW`` (the configs' defaults since issue #10:
``SDCEHead(output='residual')``, triplet and ICG on BN(f_enh)) learns, here
and on the demo (``projects/icre/README.md``). ``MAPBN`` (the first
candidate: BN of the SDCE map instead of the residual output) also learns
here but failed on the demo: the tiny set does not predict the demo, which
is why the demo log and seed table are in the README.
"""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope

from vireid.registry import MODELS
from vireid.structures import VIReIDDataSample

MARGIN = RHO = 0.3
NUM_IDS = 12
TINY = dict(
    type='ICRE',
    data_preprocessor=dict(type='VIReIDDataPreprocessor'),
    backbone=dict(type='TwoStreamResNet', depth=18, base_width=8,
                  last_stride=1, out_indices=(1, 2, 3)),
    head=dict(type='BNNeckHead', in_channels=64, num_classes=NUM_IDS,
              loss_triplet=dict(type='TripletLoss', margin=MARGIN)),
    mpfr=dict(type='MPFRHead', channels=16,
              aux_head=dict(type='BNNeckHead', loss_triplet=None)),
    sdce=dict(type='SDCEHead', embed_dims=16, num_heads=2, pos_embed=True,
              pos_size=(4, 2), distill=dict(weight=1.0, temperature=4.0)),
    loss_icg=dict(type='ICGLoss', margin=RHO))
#: the original reconstruction's switches (= the ICRE class defaults)
OLD = dict(sdce=dict(TINY['sdce'], map_norm='none', output='tokens'),
           icg_feature='pool', enh_metric_feature='pool')
#: the fix of issue #10 (= configs/_base_/models/icre_r50.py)
NEW = dict(sdce=dict(TINY['sdce'], output='residual'), icg_feature='bn',
           enh_metric_feature='bn')
#: the first candidate (learns here, failed on the demo)
MAPBN = dict(sdce=dict(TINY['sdce'], map_norm='bn'), icg_feature='bn',
             enh_metric_feature='bn')


def _data(spread, noise, per=4, h=64, w=32):
    g = torch.Generator().manual_seed(0)
    protos = 0.5 + spread * (torch.rand(NUM_IDS, 3, 4, 2, generator=g) - 0.5)
    protos = F.interpolate(protos, size=(h, w), mode='bilinear',
                           align_corners=False)
    grey = torch.rand(3, generator=g)
    grey = (grey / grey.sum()).view(3, 1, 1)
    rows = []
    for y in range(NUM_IDS):
        for m in (0, 1):
            x = protos[y] if m == 0 else (protos[y] * grey).sum(
                0, keepdim=True).expand(3, h, w)
            for _ in range(per):
                img = x + noise * torch.randn(3, h, w, generator=g)
                rows.append(((img.clamp(0, 1) * 255).to(torch.uint8), y, m))
    return rows


def _batches(rows, p=4, k=2):
    g = torch.Generator().manual_seed(1)
    cells = {}
    for i, (_, y, m) in enumerate(rows):
        cells.setdefault((y, m), []).append(i)
    while True:
        ids = torch.randperm(NUM_IDS, generator=g)[:p].tolist()
        idx = [cells[(y, m)][j] for m in (0, 1) for y in ids
               for j in torch.randperm(len(cells[(y, m)]),
                                       generator=g)[:k].tolist()]
        samples = []
        for i in idx:
            ds = VIReIDDataSample(metainfo=dict(modality=rows[i][2],
                                                img_path=f'{i}.png'))
            ds.set_gt_label(rows[i][1])
            samples.append(ds)
        yield dict(inputs=[rows[i][0] for i in idx], data_samples=samples)


def train_tiny(overrides=None, iters=24, spread=0.3, noise=0.2, lr=0.05):
    """Train the tiny ICRE; return the logged values of every step.

    Runs on one torch thread: the outcome of a few dozen steps depends on
    the summation order, hence on the thread count, which earlier tests in
    the same process may have changed.
    """
    init_default_scope('vireid')
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        cfg = copy.deepcopy(TINY)
        cfg.update(copy.deepcopy(overrides or {}))
        model = MODELS.build(cfg)
        model.init_weights()
        model.train()
        optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=lr,
                                             momentum=0.9, nesterov=True,
                                             weight_decay=5e-4))
        it = _batches(_data(spread, noise))
        return [{k: float(v)
                 for k, v in model.train_step(next(it), optim).items()}
                for _ in range(iters)]
    finally:
        torch.set_num_threads(threads)


def pinned(history, tail=8):
    """Which of the two losses sit on their hinge constant at the end.

    A loss is pinned when its last ``tail`` values stay in a narrow band
    (range < 0.05) around its constant: the triplet around the margin
    (within 20 %), ICG around rho with the diversity hinge saturated
    (diversity > 0.9 rho); or when the pre-BN enhanced feature has collapsed
    (mean negative distance < 5 % of the feature norm) or the enhanced
    BNNeck's mean ``|gamma|`` fell below 0.05. A triplet on
    BN(f_enh) that learns is noisy from batch to batch (0 to ~1 on this
    set), so "below the margin in every step" is not the test; sitting on
    the constant is.
    """
    last = history[-tail:]
    tri = [h['enh.loss_triplet'] for h in last]
    icg = [h['loss_icg'] for h in last]
    div = sum(h['icg.diversity'] for h in last) / tail
    # a collapsed pre-BN feature, or a BNNeck scale shrunk to ~0 (then
    # BN(f_enh) is constant although the pre-BN feature is not: the +MPFR
    # row's failure with its triplet on BN, projects/icre/README.md)
    collapsed = (history[-1]['enh.stat_dneg'] <
                 0.05 * history[-1]['enh.stat_norm']
                 or history[-1]['enh.stat_bn_scale'] < 0.05)
    out = []
    mean_tri = sum(tri) / tail
    if collapsed or (abs(mean_tri - MARGIN) < 0.2 * MARGIN
                     and max(tri) - min(tri) < 0.05):
        out.append(f'enh.loss_triplet={mean_tri:.3f} (margin {MARGIN}, '
                   f'range {max(tri) - min(tri):.3f}, collapsed '
                   f'{collapsed})')
    if collapsed or div > 0.9 * RHO or max(icg) - min(icg) < 0.01:
        out.append(f'loss_icg={sum(icg) / tail:.3f} (diversity {div:.3f}, '
                   f'range {max(icg) - min(icg):.4f}; rho {RHO})')
    return out


@pytest.mark.parametrize('overrides', [NEW, MAPBN], ids=['new', 'mapbn'])
def test_fix_switches_learn_on_tiny_set(overrides):
    history = train_tiny(overrides)
    assert pinned(history) == [], pinned(history)
    # and it learns: identities separate in the pre-BN enhanced feature,
    # the triplet and ICG end well below where they started
    end = history[-1]
    assert end['enh.stat_dneg'] > 1.5 * end['enh.stat_dpos']
    tail = history[-8:]
    assert sum(h['enh.loss_triplet'] for h in tail) / 8 < \
        history[0]['enh.loss_triplet'] / 3
    assert sum(h['loss_icg'] for h in tail) / 8 < 0.7 * history[0]['loss_icg']


@pytest.mark.parametrize('overrides', [OLD, {}], ids=['old', 'class'])
def test_original_reconstruction_collapses(overrides):
    # the diagnosis of issue #10, and the check that the test above can
    # fail: with the original switches (the ICRE / SDCEHead class defaults,
    # kept as the specification's reading) both losses end on their
    # constants.
    history = train_tiny(overrides)
    assert len(pinned(history)) == 2, pinned(history)
    end = history[-1]
    assert end['enh.stat_dneg'] < 0.05 * end['enh.stat_norm']  # one point
