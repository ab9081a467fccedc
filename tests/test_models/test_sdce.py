# Copyright (c) vireid contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope

from vireid.models import SDCEHead
from vireid.registry import MODELS


def _inputs(batch=3, seed=0, mp_channels=32, mp_size=(4, 2)):
    g = torch.Generator().manual_seed(seed)
    deep = torch.rand(batch, 128, 4, 2, generator=g)
    mp = torch.rand(batch, mp_channels, *mp_size, generator=g)
    return deep, mp


def test_shapes_and_gradients():
    init_default_scope('vireid')
    head = MODELS.build(
        dict(type='SDCEHead', deep_channels=128, mp_channels=32,
             embed_dims=32, num_heads=4))
    assert isinstance(head.mp_proj, torch.nn.Identity)  # C' == d
    deep, mp = _inputs()
    deep.requires_grad_(True)
    mp.requires_grad_(True)
    outs = head(deep, mp)
    assert outs['feat'].shape == (3, 32) and outs['map'].shape == (3, 32, 4,
                                                                   2)
    assert outs['feat'].dtype == torch.float32
    assert head.out_channels == 32
    outs['feat'].pow(2).sum().backward()
    stage = head.stages[0]
    for p in (stage.cross_attn.in_proj_weight,
              stage.cross_attn.out_proj.weight,
              stage.self_attn.in_proj_weight, stage.ffn[0].weight,
              head.deep_proj.weight):
        assert p.grad is not None and torch.isfinite(p.grad).all()
        assert p.grad.abs().sum() > 0
    # the shallow cues reach the output through the cross-attention
    assert mp.grad.abs().sum() > 0 and deep.grad.abs().sum() > 0


def test_cross_attention_uses_shallow_tokens():
    head = SDCEHead(deep_channels=128, mp_channels=32, embed_dims=32,
                    num_heads=4).eval()
    deep, mp = _inputs()
    _, mp2 = _inputs(seed=1)
    with torch.no_grad():
        a = head(deep, mp)['feat']
        b = head(deep, mp2)['feat']
        # K = V = T_mp; a different number of shallow tokens also works
        c = head(deep, _inputs(mp_size=(8, 4))[1])['map']
    assert not torch.allclose(a, b)
    assert c.shape == (3, 32, 4, 2)


def test_options_projection_depth_pos_prenorm():
    head = SDCEHead(deep_channels=128, mp_channels=24, embed_dims=32,
                    num_heads=4, depth=2, out_channels=64, pos_embed=True,
                    pos_size=(2, 1), pre_norm=True)
    assert len(head.stages) == 2 and head.out_channels == 64
    assert isinstance(head.mp_proj, torch.nn.Conv2d)
    deep, mp = _inputs(mp_channels=24)
    outs = head(deep, mp)
    assert outs['feat'].shape == (3, 64)
    outs['feat'].sum().backward()
    assert head.pos_embed.grad.abs().sum() > 0  # resized 2x1 -> 4x2
    assert head.stages[1].cross_attn.in_proj_weight.grad.abs().sum() > 0
    one = SDCEHead(deep_channels=128, mp_channels=32, embed_dims=32,
                   num_heads=4, depth=1)
    two = SDCEHead(deep_channels=128, mp_channels=32, embed_dims=32,
                   num_heads=4, depth=2)
    n1 = sum(p.numel() for p in one.parameters())
    n2 = sum(p.numel() for p in two.parameters())
    assert n2 - n1 == sum(p.numel() for p in one.stages[0].parameters())


def test_autocast_runs_attention_in_float32():
    head = SDCEHead(deep_channels=128, mp_channels=32, embed_dims=32,
                    num_heads=4)
    deep, mp = _inputs()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        outs = head(deep.bfloat16(), mp.bfloat16())
    assert outs['feat'].dtype == torch.float32
    assert outs['map'].dtype == torch.float32
    assert torch.isfinite(outs['feat']).all()
    lowp = SDCEHead(deep_channels=128, mp_channels=32, embed_dims=32,
                    num_heads=4, attn_fp32=False)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert lowp(deep, mp)['map'].dtype == torch.bfloat16
    assert lowp(deep, mp)['map'].dtype == torch.float32  # no autocast


def test_distillation_term():
    head = SDCEHead(deep_channels=128, mp_channels=32, embed_dims=32,
                    num_heads=4, distill=dict(weight=0.5, temperature=2.0))
    assert head.with_distill
    g = torch.Generator().manual_seed(0)
    z_mp = torch.randn(5, 7, generator=g, requires_grad=True)
    z_enh = torch.randn(5, 7, generator=g, requires_grad=True)
    loss = head.loss_distill(z_mp, z_enh)
    p = F.softmax(z_mp.detach() / 2, dim=1)
    q = F.softmax(z_enh.detach() / 2, dim=1)
    ref = 0.5 * 4.0 * (p * (p.log() - q.log())).sum(1).mean()
    torch.testing.assert_close(loss, ref)
    loss.backward()
    assert z_mp.grad is None  # teacher (shallow side) is detached
    assert z_enh.grad.abs().sum() > 0
    same = head.loss_distill(z_enh.detach(), z_enh.detach())
    assert abs(same.item()) < 1e-6
    with pytest.raises(ValueError, match='differ in shape'):
        head.loss_distill(z_mp, z_enh[:, :3])
    with pytest.raises(RuntimeError, match='distill is None'):
        SDCEHead(deep_channels=8, mp_channels=8, embed_dims=8,
                 num_heads=2).loss_distill(z_mp, z_enh)


def test_bad_arguments():
    with pytest.raises(ValueError, match='multiple of num_heads'):
        SDCEHead(deep_channels=8, mp_channels=8, embed_dims=30, num_heads=4)
    with pytest.raises(ValueError, match='deep_channels and mp_channels'):
        SDCEHead()
    with pytest.raises(ValueError, match='unknown distill keys'):
        SDCEHead(deep_channels=8, mp_channels=8, embed_dims=8, num_heads=2,
                 distill=dict(tau=2.0))
    head = SDCEHead(deep_channels=128, mp_channels=32, embed_dims=32,
                    num_heads=4)
    deep, mp = _inputs()
    with pytest.raises(ValueError, match='F_mp must be 3 x 32'):
        head(deep, mp[:, :16])


def test_residual_output_starts_at_the_deep_feature():
    # output='residual': f_enh = GeM(X_deep + BN(Conv1x1(tokens))), the BN
    # scale zero-initialised, so SDCE starts as the identity on X_deep and
    # its parameters still receive gradients through the BN scale.
    init_default_scope('vireid')
    head = MODELS.build(
        dict(type='SDCEHead', deep_channels=128, mp_channels=32,
             embed_dims=32, num_heads=4, output='residual'))
    head.init_weights()
    assert head.out_channels == 128
    deep, mp = _inputs()
    outs = head(deep, mp)
    gem = MODELS.build(dict(type='GeMPooling', p=3.0))
    torch.testing.assert_close(outs['feat'], gem(deep))
    assert outs['map'].shape == deep.shape
    outs['feat'].pow(2).sum().backward()
    assert head.back_proj[1].weight.grad.abs().sum() > 0
    # once the scale is non-zero, the tokens (and so the MPFR cues) count
    with torch.no_grad():
        head.back_proj[1].weight.fill_(1.0)
    _, mp2 = _inputs(seed=1)
    head.eval()
    with torch.no_grad():
        assert not torch.allclose(head(deep, mp)['feat'],
                                  head(deep, mp2)['feat'])
    # an out_channels projection sits on top of the C_deep feature
    proj = SDCEHead(deep_channels=128, mp_channels=32, embed_dims=32,
                    num_heads=4, output='residual', out_channels=16)
    assert proj.out_channels == 16 and proj(deep, mp)['feat'].shape == (3,
                                                                        16)


def test_pre_norm_without_final_norm_pools_the_residual_stream():
    head = SDCEHead(deep_channels=128, mp_channels=32, embed_dims=32,
                    num_heads=4, pre_norm=True, final_norm=False)
    assert head.final_norm is None
    with_norm = SDCEHead(deep_channels=128, mp_channels=32, embed_dims=32,
                         num_heads=4, pre_norm=True)
    assert isinstance(with_norm.final_norm, torch.nn.LayerNorm)
    deep, mp = _inputs()
    tokens = head(deep, mp)['map'].flatten(2)
    # not LayerNorm'd: the per-token channel means are not all zero
    assert tokens.mean(1).abs().max() > 1e-3
    with pytest.raises(ValueError, match='final_norm=False needs pre_norm'):
        SDCEHead(deep_channels=8, mp_channels=8, embed_dims=8, num_heads=2,
                 final_norm=False)
    with pytest.raises(ValueError, match="output must be 'tokens' or"):
        SDCEHead(deep_channels=8, mp_channels=8, embed_dims=8, num_heads=2,
                 output='sum')
