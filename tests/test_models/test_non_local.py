# Copyright (c) vireid contributors. All rights reserved.
import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModule

from vireid.models import NonLocalBlock2d


def _x(b=2, c=8, h=6, w=3):
    return torch.randn(b, c, h, w, generator=torch.Generator().manual_seed(1))


def test_identity_at_init_and_shapes():
    block = NonLocalBlock2d(8)
    assert block.inter_channels == 4
    x = _x()
    torch.testing.assert_close(block(x), x)
    assert NonLocalBlock2d(8, inter_channels=3).inter_channels == 3


@pytest.mark.parametrize('mode', ['dot', 'embedded_gaussian'])
def test_matches_formula(mode):
    block = NonLocalBlock2d(8, mode=mode).eval()
    nn.init.normal_(block.W[1].weight)
    x = _x()
    b, c, h, w = x.shape
    theta = block.theta(x).flatten(2)  # B x C' x N
    phi = block.phi(x).flatten(2)
    g = block.g(x).flatten(2)
    f = theta.transpose(1, 2) @ phi  # B x N x N
    f = f / (h * w) if mode == 'dot' else f.softmax(-1)
    y = (f @ g.transpose(1, 2)).transpose(1, 2).reshape(b, -1, h, w)
    expected = x + block.W(y)
    torch.testing.assert_close(block(x), expected, rtol=1e-4, atol=1e-5)
    assert not torch.allclose(block(x), x)


def test_gradient_reaches_attention_once_switched_on():
    block = NonLocalBlock2d(8)
    nn.init.constant_(block.W[1].weight, 1.0)
    block(_x()).pow(2).sum().backward()
    for name in ('theta', 'phi', 'g'):
        grad = getattr(block, name).weight.grad
        assert grad is not None and grad.abs().sum() > 0


def test_enclosing_init_cfg_keeps_identity():

    class Wrapper(BaseModule):

        def __init__(self):
            super().__init__(init_cfg=dict(
                type='Constant', layer='BatchNorm2d', val=1.0))
            self.nl = NonLocalBlock2d(8)

    m = Wrapper()
    m.init_weights()
    assert torch.count_nonzero(m.nl.W[1].weight) == 0
    x = _x()
    torch.testing.assert_close(m.nl(x), x)


def test_bad_arguments():
    with pytest.raises(ValueError, match='mode'):
        NonLocalBlock2d(8, mode='gaussian')
    with pytest.raises(ValueError, match='reduction'):
        NonLocalBlock2d(1, reduction=2)


def test_agw_official_width_one_inner_channel():
    """AGW's Non_local has 1 inner channel: 7 C + 3 parameters per block,
    28.7 K for the five blocks of AGW (2 x 512, 3 x 1024 channels)."""
    blocks = [NonLocalBlock2d(c, inter_channels=1)
              for c in (512, 512, 1024, 1024, 1024)]
    counts = [sum(p.numel() for p in b.parameters()) for b in blocks]
    assert counts[0] == 7 * 512 + 3 and sum(counts) == 28687
    half = sum(sum(p.numel() for p in NonLocalBlock2d(c).parameters())
               for c in (512, 512, 1024, 1024, 1024))
    assert half > 7.3e6
    b = blocks[0].eval()
    nn.init.normal_(b.W[1].weight)
    x = torch.randn(2, 512, 4, 2, generator=torch.Generator().manual_seed(0))
    t, p, g = (m(x).flatten(2) for m in (b.theta, b.phi, b.g))  # B x 1 x N
    y = (t.transpose(1, 2) @ p / t.shape[-1]) @ g.transpose(1, 2)
    ref = x + b.W(y.transpose(1, 2).reshape(2, 1, 4, 2))
    torch.testing.assert_close(b(x), ref)
