# Copyright (c) vireid contributors. All rights reserved.
"""Inference cost of configs: parameters, GFLOPs and CPU images/s.

Each config's test-time model (what ``predict`` runs, flip-test off) is
measured on one input size, all in the same run, and reported as a ratio
to the first config (the reference), e.g.::

    python benchmarks/model_cost.py projects/icre/ablation/agw.py \
        projects/icre/ablation/agw_icg.py projects/icre/ablation/icre.py

GFLOPs come from mmengine's ``FlopAnalyzer`` (fvcore-style counting: one
multiply-add = one FLOP) for one image, with two handles it lacks: the
attention products of ``aten::scaled_dot_product_attention`` (``Q K^T`` and
``A V``) and the fused ``aten::_native_multi_head_attention`` that
``nn.MultiheadAttention`` runs at inference (in-projections, both products,
out-projection). Without them the attention products (and, on the fused
path, the whole attention block) go uncounted. Throughput is the median of
``--repeats`` timed batches after warm-up, with the configured number of
torch threads. The configs are timed round-robin (one batch of each config
per round), so a load that comes and goes on a shared machine reaches every
config alike and the ratios stay meaningful.
"""
import argparse
import os.path as osp
import statistics
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path[:0] = [ROOT, osp.join(ROOT, 'plugins')]


class _Predictor:
    """Wraps a model's test path as a plain module call for counting."""

    def __init__(self, model, modality: int):
        self.model = model
        self.modality = modality

    def samples(self, n: int):
        from vireid.structures import VIReIDDataSample
        return [VIReIDDataSample(metainfo=dict(modality=self.modality))
                for _ in range(n)]


def sdpa_flop_jit(inputs, outputs) -> int:
    """MACs of ``scaled_dot_product_attention(q, k, v)``: ``Q K^T`` +
    ``A V`` = ``batch * Lq * Lk * (E + Ev)``."""
    from mmengine.analysis.jit_handles import get_shape
    q, k, v = (get_shape(x) for x in inputs[:3])
    batch = 1
    for d in q[:-2]:
        batch *= d
    return int(batch * q[-2] * k[-2] * (q[-1] + v[-1]))


def native_mha_flop_jit(inputs, outputs) -> int:
    """MACs of ``aten::_native_multi_head_attention`` (query, key, value
    ``B x L x E``): in-projections ``(Lq + 2 Lk) E^2``, attention
    ``2 Lq Lk E``, out-projection ``Lq E^2``, times ``B``."""
    from mmengine.analysis.jit_handles import get_shape
    q, k = get_shape(inputs[0]), get_shape(inputs[1])
    if len(q) == 2:  # unbatched
        q, k = [1] + q, [1] + k
    b, lq, e = q
    lk = k[-2]
    return int(b * ((lq + 2 * lk) * e * e + 2 * lq * lk * e + lq * e * e))


def count_flops(module, inputs) -> int:
    """fvcore-style FLOPs of ``module(*inputs)``, attention included."""
    from mmengine.analysis import FlopAnalyzer
    analyzer = FlopAnalyzer(module, inputs)
    analyzer.set_op_handle(
        'aten::scaled_dot_product_attention', sdpa_flop_jit,
        'aten::_native_multi_head_attention', native_mha_flop_jit)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return int(analyzer.total())


def build(config: str, size) -> tuple:
    """The config's row (parameters without classifiers and the auxiliary
    MPFR head, GFLOPs) and its test-time model as ``x -> BN feature``."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from vireid.registry import MODELS
    cfg = Config.fromfile(config)
    init_default_scope('vireid')
    model = MODELS.build(cfg.model)
    model.eval()
    params = sum(p.numel() for n, p in model.named_parameters()
                 if 'classifier' not in n and 'aux_head' not in n)
    h, w = size

    class Wrapped(torch.nn.Module):

        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            samples = _Predictor(self.m, 1).samples(x.shape[0])
            out = self.m(x, samples, mode='predict')
            return out[0].pred_feature['bn']

    wrapped = Wrapped(model).eval()
    with torch.no_grad():
        flops = count_flops(wrapped, (torch.randn(1, 3, h, w), )) / 1e9
    return dict(config=config, params_m=params / 1e6, gflops=flops), wrapped


def measure(configs, size, batch: int, repeats: int) -> list:
    """Rows of :func:`build` plus ``img_s``: the median over ``repeats``
    rounds, each round timing one batch of every config in turn (after two
    warm-up rounds)."""
    import torch
    rows, modules = zip(*(build(c, size) for c in configs))
    xb = torch.randn(batch, 3, *size)
    times = [[] for _ in rows]
    with torch.no_grad():
        for i in range(repeats + 2):
            for module, ts in zip(modules, times):
                t0 = time.perf_counter()
                module(xb)
                if i >= 2:
                    ts.append(time.perf_counter() - t0)
    for row, ts in zip(rows, times):
        row['img_s'] = batch / statistics.median(ts)
    return list(rows)


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--size', type=int, nargs=2, default=(128, 64),
                        metavar=('H', 'W'))
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--threads', type=int, default=None)
    args = parser.parse_args(argv)
    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = measure(args.configs, args.size, args.batch, args.repeats)
    ref = rows[0]
    print(f'input {args.size[0]}x{args.size[1]}, batch {args.batch}, '
          f'{torch.get_num_threads()} CPU threads; ratios vs {ref["config"]}')
    print(f'{"config":45s} {"params(M)":>9s} {"GFLOPs":>7s} {"img/s":>7s} '
          f'{"xparams":>7s} {"xGFLOPs":>7s} {"ximg/s":>7s}')
    for r in rows:
        print(f'{r["config"]:45s} {r["params_m"]:9.3f} {r["gflops"]:7.3f} '
              f'{r["img_s"]:7.1f} {r["params_m"] / ref["params_m"]:7.2f} '
              f'{r["gflops"] / ref["gflops"]:7.2f} '
              f'{r["img_s"] / ref["img_s"]:7.2f}')
    return rows


if __name__ == '__main__':
    main()
