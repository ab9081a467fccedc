# Copyright (c) vireid contributors. All rights reserved.
"""The sync-free training paths equal straightforward references.

On CPU a test cannot count CUDA host-device synchronisations (that is what
``benchmarks/gpu_check.sh`` does on a GPU); these tests check that the
rewritten routing, label gathering and masked reductions give the same
outputs and gradients as the plain implementations they replaced.
"""
import copy

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
