# Copyright (c) vireid contributors. All rights reserved.
"""The sync-free training paths equal straightforward references.

On CPU a test cannot count CUDA host-device synchronisations (that is what
``benchmarks/gpu_check.sh`` does on a GPU); these tests check that the
rewritten routing, label gathering and masked reductions give the same
outputs and gradients as the plain implementations they replaced.
"""
import copy
import os.path as osp

import pytest
import torch

from vireid.models.backbones import TwoStreamResNet


def _reference_specific(net, x, modality):
    """The index routing as it was: device nonzero per modality,
    index_select, cat, inverse permutation."""
    groups = []
    for m in range(net.num_modalities):
        idx = (modality == m).nonzero(as_tuple=True)[0]
        if idx.numel():
            groups.append((m, idx))
    if len(groups) <= 1:
        return net.specific[groups[0][0] if groups else 0](x)
    per_group = [net.specific[m](x.index_select(0, idx)) for m, idx in groups]
    order = torch.cat([idx for _, idx in groups])
    inverse = torch.empty_like(order)
    inverse[order] = torch.arange(order.numel())
    return [
        torch.cat([outs[s] for outs in per_group]).index_select(0, inverse)
        for s in range(len(per_group[0]))
    ]


def _reference_forward(net, x, modality):
    outs = list(_reference_specific(net, x, modality))
    outs.extend(net.shared(outs[-1]))
    return tuple(outs[i + 1] for i in net.out_indices)


@pytest.mark.parametrize('modality', [
    [1, 0, 0, 1, 0, 1],  # interleaved: index routing
    [0, 0, 0, 1, 1, 1],  # contiguous runs: slices
    [1, 1, 0, 0, 0, 0],  # contiguous, infrared first
    [0, 0, 0, 0, 0, 0],  # one modality
    [1, 1, 1, 1, 1, 1],
])
def test_two_stream_routing_equals_reference(modality):
    torch.manual_seed(0)
    net = TwoStreamResNet(depth=18, base_width=8, out_indices=(0, 3),
                          non_local=True,
                          non_local_cfg=dict(num_blocks=(0, 1, 1, 0)))
    ref = copy.deepcopy(net)
    # non-zero residual BN so the non-local blocks take part
    for m in (net, ref):
        for nl in m.shared.nl_layer2:
            torch.nn.init.constant_(nl.W[1].weight, 0.5)
    x = torch.randn(len(modality), 3, 64, 32)
    mod = torch.tensor(modality)
    outs = net(x, mod)  # training mode: BatchNorm batch statistics
    refs = _reference_forward(ref, x, mod)
    for a, b in zip(outs, refs):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    sum(o.square().mean() for o in outs).backward()
    sum(o.square().mean() for o in refs).backward()
    for (name, p), q in zip(net.named_parameters(), ref.parameters()):
        if q.grad is None:
            assert p.grad is None, name
        else:
            torch.testing.assert_close(p.grad, q.grad, rtol=1e-5, atol=1e-6,
                                       msg=name)
    # running statistics updated identically
    for (name, b), c in zip(net.named_buffers(), ref.buffers()):
        torch.testing.assert_close(b, c, rtol=0, atol=1e-6, msg=name)


def test_two_stream_modality_forms():
    net = TwoStreamResNet(depth=18, base_width=8).eval()
    x = torch.randn(4, 3, 64, 32)
    with torch.no_grad():
        ref = net(x, torch.tensor([0, 1, 1, 0]))[0]
        torch.testing.assert_close(net(x, [0, 1, 1, 0])[0], ref)
        torch.testing.assert_close(
            net(x, torch.tensor([0, 1, 1, 0], dtype=torch.int32))[0], ref)
        torch.testing.assert_close(net(x, 1)[0], net(x, [1, 1, 1, 1])[0])


def test_get_modality_and_gather_labels_host(make_samples):
    from vireid.models.heads import BNNeckHead
    from vireid.models.reid import VIReIDModel
    samples = make_samples([3, 1, 2, 0], [0, 1, 1, 0])
    mod = VIReIDModel.get_modality(samples, 4)
    assert mod.device.type == 'cpu' and mod.dtype == torch.long
    assert mod.tolist() == [0, 1, 1, 0]
    assert VIReIDModel.get_modality(samples, 4, 'cpu').tolist() == [0, 1, 1, 0]
    labels = BNNeckHead.gather_labels(samples, torch.device('cpu'),
                                      num_classes=4)
    assert labels.dtype == torch.long and labels.tolist() == [3, 1, 2, 0]
    with pytest.raises(ValueError, match=r'0\.\.2 \(num_classes\)'):
        BNNeckHead.gather_labels(samples, torch.device('cpu'), num_classes=3)


# --------------------------------------------------------------------- #
# metric losses: masked reductions vs boolean indexing
# --------------------------------------------------------------------- #
def _ref_triplet(feats, labels, margin):
    import torch.nn.functional as F

    from vireid.models.losses.utils import pairwise_euclidean
    dist = pairwise_euclidean(feats)
    same = labels.view(-1, 1) == labels.view(1, -1)
    has_neg = (~same).any(dim=1)
    if not bool(has_neg.any()):
        return dist.sum() * 0.0
    d_ap = dist.masked_fill(~same, float('-inf')).amax(dim=1)[has_neg]
    d_an = dist.masked_fill(same, float('inf')).amin(dim=1)[has_neg]
    if margin is None:
        return F.softplus(d_ap - d_an).mean()
    return F.relu(d_ap - d_an + margin).mean()


def _ref_weighted(feats, labels, weighting, scale, finish):
    from vireid.models.losses.utils import pairwise_euclidean
    from vireid.models.losses.wr_triplet_loss import weighted_distances
    dist = pairwise_euclidean(feats)
    same = labels.view(-1, 1) == labels.view(1, -1)
    if weighting == 'softmax':
        has_neg = (~same).any(dim=1)
        if not bool(has_neg.any()):
            return dist.sum() * 0.0
        dist, same = dist[has_neg], same[has_neg]
    d_p, d_n = weighted_distances(dist, same, weighting, scale=scale)
    return finish(d_p - d_n).mean()


def _adp_finish(gap):
    import torch.nn.functional as F
    s = gap.pow(2).clamp(max=88.0)
    return F.softplus(torch.where(gap > 0, 1.0, -1.0) * s)


LABELS = [[0, 1, 0, 1, 2, 2, 0, 1], [3, 3, 3, 3, 3, 3, 3, 3]]


def _compare(loss_fn, ref_fn, labels, scale=1.0):
    g = torch.Generator().manual_seed(len(labels) + labels[0])
    base = torch.randn(len(labels), 16, generator=g) * scale
    a = base.clone().requires_grad_()
    b = base.clone().requires_grad_()
    la = loss_fn(a, torch.tensor(labels))
    lb = ref_fn(b, torch.tensor(labels))
    torch.testing.assert_close(la, lb, rtol=0, atol=1e-6)
    la.backward()
    lb.backward()
    torch.testing.assert_close(a.grad, b.grad, rtol=0, atol=1e-6)
    assert torch.isfinite(a.grad).all()


@pytest.mark.parametrize('labels', LABELS)
@pytest.mark.parametrize('margin', [0.3, None])
def test_triplet_masked_equals_indexing(labels, margin):
    from vireid.models.losses import TripletLoss
    _compare(TripletLoss(margin=margin),
             lambda f, y: _ref_triplet(f, y, margin), labels)


@pytest.mark.parametrize('labels', LABELS)
@pytest.mark.parametrize('weighting', ['softmax', 'official'])
def test_wrt_masked_equals_indexing(labels, weighting):
    import torch.nn.functional as F

    from vireid.models.losses import WRTripletLoss
    _compare(WRTripletLoss(weighting=weighting),
             lambda f, y: _ref_weighted(f, y, weighting, 1.0, F.softplus),
             labels, scale=0.3)


@pytest.mark.parametrize('labels', LABELS)
@pytest.mark.parametrize('weighting', ['softmax', 'official'])
def test_adp_masked_equals_indexing(labels, weighting):
    from vireid.models.losses import ADPTripletLoss
    _compare(ADPTripletLoss(weighting=weighting),
             lambda f, y: _ref_weighted(f, y, weighting, 1.0, _adp_finish),
             labels, scale=0.3)


# --------------------------------------------------------------------- #
# ICG loss: device-side identity slots vs torch.unique
# --------------------------------------------------------------------- #
def _ref_icg_terms(loss, feats, labels, modality):
    """The unique / boolean-indexing formulation ICGLoss had before."""
    import torch.nn.functional as F
    x = feats.float()
    if loss.normalize:
        x = F.normalize(x, dim=1)
    zero = x.sum() * 0.0

    def reduce(v):
        return v.sum() if loss.reduction == 'sum' else v.mean()

    uniq, inv = torch.unique(labels, return_inverse=True)
    num_ids, dim = uniq.numel(), x.shape[1]
    slot = inv * 2 + modality
    sums = x.new_zeros(num_ids * 2, dim).index_add_(0, slot, x)
    counts = x.new_zeros(num_ids * 2).index_add_(
        0, slot, torch.ones_like(slot, dtype=x.dtype))
    sums, counts = sums.view(num_ids, 2, dim), counts.view(num_ids, 2)
    centres = sums / counts.clamp(min=1.0).unsqueeze(-1)
    both = (counts > 0).all(dim=1)
    if loss.balanced_joint:
        joint = torch.where(
            both.unsqueeze(-1), centres.mean(dim=1),
            sums.sum(dim=1) / counts.sum(dim=1, keepdim=True))
    else:
        joint = sums.sum(dim=1) / counts.sum(dim=1, keepdim=True)
    if bool(both.any()):
        gap = reduce(torch.linalg.vector_norm(
            centres[both, 0] - centres[both, 1], dim=1))
        keep = both[inv]
        other = centres[inv[keep], 1 - modality[keep]]
        pull = reduce(torch.linalg.vector_norm(x[keep] - other, dim=1))
    else:
        gap, pull = zero, zero
    if num_ids > 1 and loss.margin > 0:
        dist = torch.cdist(
            joint.unsqueeze(0), joint.unsqueeze(0),
            compute_mode='donot_use_mm_for_euclid_dist').squeeze(0)
        eye = torch.eye(num_ids, dtype=torch.bool)
        nearest = dist.masked_fill(eye, float('inf')).amin(dim=1)
        diversity = reduce(F.relu(loss.margin - nearest))
    else:
        diversity = zero
    return dict(gap=gap, pull=pull, diversity=diversity,
                num_cross_ids=both.sum().float())


ICG_BATCHES = [
    # mixed, one identity infrared only (7), labels not contiguous
    ([5, 2, 5, 2, 9, 9, 7, 7, 2, 5], [0, 1, 1, 0, 0, 1, 1, 1, 1, 0]),
    ([4, 4, 4, 4], [0, 1, 0, 1]),  # one identity: no diversity
    ([1, 2, 3, 1, 2, 3], [0, 0, 0, 0, 0, 0]),  # no cross identity
    ([0, 1, 2, 3], [0, 1, 0, 1]),  # every identity one modality
]


@pytest.mark.parametrize('labels,modality', ICG_BATCHES)
@pytest.mark.parametrize('kwargs', [
    dict(), dict(reduction='sum'), dict(balanced_joint=True),
    dict(normalize=False, margin=5.0), dict(margin=0.0)])
def test_icg_slots_equal_unique(labels, modality, kwargs):
    from vireid.models.losses import ICGLoss
    loss = ICGLoss(**kwargs)
    g = torch.Generator().manual_seed(len(labels))
    base = torch.randn(len(labels), 8, generator=g)
    # two coinciding features: zero distances must not give NaN gradients
    base[1] = base[0]
    a = base.clone().requires_grad_()
    b = base.clone().requires_grad_()
    y, m = torch.tensor(labels), torch.tensor(modality)
    ta = loss.compute_terms(a, y, m)
    tb = _ref_icg_terms(loss, b, y, m)
    for k in ta:
        torch.testing.assert_close(ta[k], tb[k], rtol=1e-6, atol=1e-6,
                                   msg=k)
    loss.combine(ta).backward()
    loss.combine(tb).backward()
    assert torch.isfinite(a.grad).all()
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------- #
# data path settings
# --------------------------------------------------------------------- #
def test_base_configs_pin_and_keep_workers():
    import os.path as osp

    from mmengine.config import Config
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    runtime = Config.fromfile(
        osp.join(root, 'configs/_base_/default_runtime.py'))
    assert runtime.env_cfg.cudnn_benchmark is True
    for name in ('sysu_mm01', 'regdb', 'llcm', 'synthetic'):
        cfg = Config.fromfile(
            osp.join(root, f'configs/_base_/datasets/{name}.py'))
        for key in ('train_dataloader', 'test_dataloader', 'val_dataloader'):
            loader = cfg[key]
            assert loader.pin_memory is True, (name, key)
            assert loader.persistent_workers is (loader.num_workers > 0)


def test_runner_drops_pin_memory_without_accelerator():
    import warnings

    from vireid.engine.vireid_runner import (VIReIDRunner,
                                             _accelerator_available)
    if _accelerator_available():
        pytest.skip('an accelerator is present: pin_memory is kept')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        loader = VIReIDRunner.build_dataloader(
            dict(batch_size=2, num_workers=0, pin_memory=True,
                 sampler=dict(type='DefaultSampler', shuffle=False),
                 dataset=list(range(6))))
        assert len(list(loader)) == 3
    assert loader.pin_memory is False


# --------------------------------------------------------------------- #
# non-local precision under autocast
# --------------------------------------------------------------------- #
@pytest.mark.parametrize('mode', ['dot', 'embedded_gaussian'])
def test_non_local_bf16_autocast_close_to_fp32(mode):
    import torch.nn as nn

    from vireid.models import NonLocalBlock2d
    block = NonLocalBlock2d(16, mode=mode).eval()
    nn.init.normal_(block.W[1].weight)
    x = torch.randn(2, 16, 6, 4, generator=torch.Generator().manual_seed(2))
    ref = block(x)
    assert ref.dtype == torch.float32
    with torch.autocast('cpu', dtype=torch.bfloat16):
        low = block(x)
    assert torch.isfinite(low).all()
    torch.testing.assert_close(low.float(), ref, rtol=5e-2, atol=5e-2)
    # without autocast nothing changed: the float32 formula of the module
    theta = block.theta(x).flatten(2).transpose(1, 2)
    f = theta @ block.phi(x).flatten(2)
    f = f / f.shape[-1] if mode == 'dot' else f.softmax(-1)
    y = (f @ block.g(x).flatten(2).transpose(1, 2)).transpose(1, 2)
    torch.testing.assert_close(
        ref, x + block.W(y.reshape(2, -1, 6, 4)), rtol=0, atol=1e-6)


# --------------------------------------------------------------------- #
# a whole training step on the meta device: no host read of device values
# --------------------------------------------------------------------- #
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: every method family, at demo width and at its real size
META_CONFIGS = [
    'projects/agw/demo.py',
    'projects/agw/demo_caj.py',
    'projects/icre/demo.py',
    'projects/idkl/demo.py',
    'projects/mtrl/demo.py',
    'projects/agw/configs/agw_r50-nl_1xb64-81e_sysu.py',
    'projects/agw/configs/caj_r50_1xb96-100e_sysu.py',
    'projects/icre/config.py',
    'projects/idkl/configs/idkl-code_r50_1xb120-160e_sysu.py',
    'projects/mtrl/configs/mtrl_r50_1xb96-100e_sysu.py',
]


@pytest.fixture
def meta_autocast(monkeypatch):
    """``torch.autocast`` has no meta backend: a no-op context there."""
    import contextlib
    real_autocast, real_enabled = torch.autocast, torch.is_autocast_enabled

    def autocast(device_type, *args, **kwargs):
        if device_type == 'meta':
            return contextlib.nullcontext()
        return real_autocast(device_type, *args, **kwargs)

    def enabled(*args):
        return False if args and args[0] == 'meta' else real_enabled(*args)

    monkeypatch.setattr(torch, 'autocast', autocast)
    monkeypatch.setattr(torch, 'is_autocast_enabled', enabled)


def _meta_step(cfg_model, samples, size=(64, 32)):
    from vireid.registry import MODELS
    # (no init_weights: no checkpoints); the data preprocessor moves the
    # host batch to the model's device and augments it there
    model = MODELS.build(cfg_model).to('meta')
    g = torch.Generator().manual_seed(0)
    data = model.data_preprocessor(
        dict(inputs=[torch.randint(0, 256, (3, ) + size, generator=g,
                                   dtype=torch.uint8) for _ in samples],
             data_samples=samples), True)
    assert data['inputs'].is_meta
    losses = model.loss(data['inputs'], data['data_samples'])
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    return losses, model


@pytest.mark.parametrize('config', META_CONFIGS)
def test_training_step_reads_no_device_value(config, meta_autocast,
                                             make_samples):
    """The model on the ``meta`` device (its data preprocessor moves the
    images there), the samples on the host as the data loader gives them:
    a meta tensor has a shape and no values, so anything that reads a
    device value on the host (``item``, ``bool``/``int`` of a tensor,
    ``nonzero``, boolean-mask indexing, ``unique``, ``tolist``, a copy to
    the CPU) raises. The whole step,
    forward, every loss and backward, must run. This is the CPU stand-in of
    ``benchmarks/gpu_check.sh``'s sync count (which needs CUDA); it does
    not see blocking host-to-device copies."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    init_default_scope('vireid')
    cfg = Config.fromfile(osp.join(ROOT, config))
    if 'idkl' in config:  # the code's interleaved (I, V) pairs
        labels, modalities = [i // 4 for i in range(16)], [1, 0] * 8
    else:
        labels, modalities = [i // 4 for i in range(8)] * 2, [0] * 8 + [1] * 8
    losses, model = _meta_step(cfg.model, make_samples(labels, modalities))
    assert any('loss' in k for k in losses)
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert grads and any(g is not None and g.is_meta for g in grads)


def test_meta_step_catches_a_device_read(meta_autocast, make_samples):
    """The check can fail: the MTRL losses given their labels on the
    features' device (instead of the host, as MTRL passes them) read
    device values."""
    from vireid.models.losses import MTCLoss, TransitionCenterLoss
    feats = torch.randn(9, 8, device='meta', requires_grad=True)
    labels = torch.tensor([0, 1, 2] * 3)
    groups = torch.tensor([0] * 3 + [2] * 3 + [1] * 3)
    for loss in (MTCLoss(), TransitionCenterLoss()):
        loss(feats, labels, groups).backward()  # host labels: fine
        with pytest.raises((RuntimeError, NotImplementedError)):
            loss(feats, labels.to('meta'), groups.to('meta'))
