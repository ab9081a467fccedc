# Copyright (c) vireid contributors. All rights reserved.
"""Training throughput of a config: mmengine's Runner vs a plain loop.

Both run the config's real model and training pipeline on synthetic images
of the config's input size (a small SYSU-MM01-layout tree is generated in a
temporary folder):

* ``runner``: ``VIReIDRunner`` from the config (its data loader, sampler,
  data preprocessor, optimizer wrapper, hooks), timed over ``--iters``
  iterations after ``--warmup``;
* ``plain``: the same model built from the config, one batch taken from the
  same data loader and kept on the device, ``model(..., mode='loss')`` ->
  sum -> ``backward`` -> ``SGD.step`` in a bare loop (no data loading, no
  hooks): what the model alone costs.

Printed: img/s of both, their ratio (``runner / plain``: the Runner and data
overhead), peak memory (CUDA: ``max_memory_allocated``; CPU: the process's
peak RSS), the FLOPs of one training iteration counted by
``torch.utils.flop_counter`` (forward + backward), and on CUDA the fraction
of the device's dense bf16 peak that the plain loop reaches
(``--peak-tflops`` to give it; known for H100/H200/A100/L40S).

Example::

    python benchmarks/train_speed.py --config projects/agw/config.py \\
        --amp bf16 --iters 30
    python benchmarks/train_speed.py --config projects/agw/demo.py \\
        --size 96 48 --iters 5            # CPU-sized
"""
import argparse
import contextlib
import os
import os.path as osp
import resource
import sys
import tempfile
import time

_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path[:0] = [p for p in (_ROOT, osp.join(_ROOT, 'plugins'))
                if p not in sys.path]

#: dense bf16 peak TFLOP/s by device-name fragment
BF16_PEAK_TFLOPS = {'H200': 989.0, 'H100': 989.0, 'A100': 312.0,
                    'L40S': 362.0}


class _Stop(Exception):
    """Raised by the timing hook to end the Runner's loop."""


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', required=True)
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--amp', choices=['bf16', 'fp16'], default=None)
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--compile', action='store_true')
    parser.add_argument('--size', type=int, nargs=2, default=None,
                        metavar=('H', 'W'),
                        help="input size (default: the config's ReIDResize)")
    parser.add_argument('--workers', type=int, default=None,
                        help='data loader workers (default: the config)')
    parser.add_argument('--peak-tflops', type=float, default=None)
    parser.add_argument('--skip-runner', action='store_true')
    parser.add_argument('--sync-debug', action='store_true',
                        help='CUDA only: count the host-device syncs of one '
                        'training step, data preprocessor included '
                        '(torch.cuda.set_sync_debug_mode)')
    parser.add_argument('--max-syncs', type=int, default=None,
                        help='with --sync-debug on CUDA: exit with an error '
                        'when one step syncs more often than this')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    if args.iters < 1 or args.warmup < 0:
        parser.error('--iters must be >= 1 and --warmup >= 0')
    return args


def _set_scale(pipeline, size) -> tuple:
    """Set (or read) the ReIDResize scale of a pipeline."""
    found = None
    for step in pipeline:
        if step.get('type') == 'ReIDResize':
            if size is not None:
                step['scale'] = tuple(size)
            found = tuple(step['scale'])
    return found


def prepare_cfg(args, work_dir: str, data_root: str):
    from mmengine.config import Config
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    size = _set_scale(cfg.train_dataloader.dataset.pipeline, args.size)
    if size is None:
        raise SystemExit(f'error: {args.config}: the train pipeline has no '
                         f'ReIDResize; pass --size H W')
    cfg.work_dir = work_dir
    cfg.train_dataloader.dataset.data_root = data_root
    if args.workers is not None:
        cfg.train_dataloader.num_workers = args.workers
        if args.workers == 0:
            cfg.train_dataloader.persistent_workers = False
    for key in ('val_dataloader', 'val_evaluator', 'val_cfg',
                'test_dataloader', 'test_evaluator', 'test_cfg'):
        cfg[key] = None
    cfg.train_cfg = dict(type=cfg.train_cfg.get('type', 'EpochBasedTrainLoop'),
                         max_epochs=10**6, val_interval=10**9)
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10**6)
    cfg.visualizer = dict(type='Visualizer', vis_backends=[])
    cfg.custom_hooks = []
    cfg.log_level = 'WARNING'
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.dtype = ('bfloat16' if args.amp == 'bf16' else
                                   'float16')
    if args.channels_last:
        cfg.model.channels_last = True
    if args.compile:
        cfg.compile = True
    return cfg, size


def model_num_classes(model_cfg) -> int:
    """The identity count the model's classifiers are built for (the
    synthetic training set gets exactly that many identities)."""
    from mmengine.registry import init_default_scope

    from vireid.registry import MODELS
    init_default_scope('vireid')
    model = MODELS.build(model_cfg)
    counts = {m.num_classes for m in model.modules()
              if isinstance(getattr(m, 'num_classes', None), int)
              and not isinstance(m.num_classes, bool)}
    if len(counts) > 1:
        raise SystemExit(f'error: the model classifies different identity '
                         f'counts {sorted(counts)}')
    return counts.pop() if counts else 0


def make_data(root: str, size, num_ids: int) -> str:
    from vireid.datasets import make_synthetic_sysu
    sysu = osp.join(root, 'SYSU-MM01')
    make_synthetic_sysu(sysu, num_train_ids=num_ids, num_test_ids=2,
                        img_size=tuple(size), images_per_cam=(2, 4), seed=0,
                        workers=os.cpu_count() or 1)
    return sysu


def _sync(device) -> None:
    import torch
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_runner(cfg, warmup: int, iters: int):
    """img/s of the Runner over ``iters`` iterations after ``warmup``."""
    from mmengine.hooks import Hook

    from tools.train import build_runner
    marks = []

    class Timing(Hook):
        priority = 'LOWEST'

        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            _sync(next(runner.model.parameters()).device)
            marks.append(time.perf_counter())
            if len(marks) > warmup + iters:
                raise _Stop

    runner = build_runner(cfg)
    runner.register_hook(Timing(), priority='LOWEST')
    with contextlib.suppress(_Stop):
        runner.train()
    secs = marks[-1] - marks[warmup]
    return cfg.train_dataloader.batch_size * iters / secs, runner


def time_plain(cfg, runner, warmup: int, iters: int, amp,
               sync_debug: bool = False):
    """img/s of a bare loop on one device-resident batch, FLOPs, the last
    total loss and (``sync_debug`` on CUDA) the syncs of one step."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from vireid.registry import MODELS
    model = runner.model if runner is not None else MODELS.build(cfg.model)
    model = getattr(model, 'module', model)
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    model.to(device).train()
    if runner is None:
        loader = _build_loader(cfg)
    else:
        loader = runner.train_dataloader
    raw = next(iter(loader))
    data = model.data_preprocessor(raw, True)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    dtype = dict(bf16=torch.bfloat16, fp16=torch.float16).get(amp)

    def step(batch=None):
        with torch.autocast(device.type, dtype=dtype, enabled=dtype
                            is not None):
            losses = model(**(batch or data), mode='loss')
        total = sum(v for k, v in losses.items() if 'loss' in k)
        total.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return total.detach()

    counter = FlopCounterMode(display=False)
    with counter:
        step()
    flops = counter.get_total_flops()
    for _ in range(warmup):
        step()
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(iters):
        step()
    _sync(device)
    secs = time.perf_counter() - t0
    last = float(step())
    syncs = None
    if sync_debug and device.type == 'cuda':
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            torch.cuda.set_sync_debug_mode('warn')
            try:
                # preprocessing (host -> device copy) + forward, backward,
                # optimiser step; the final synchronize is outside the mode
                step(model.data_preprocessor(raw, True))
                torch.cuda.set_sync_debug_mode(0)
                torch.cuda.synchronize(device)
            finally:
                torch.cuda.set_sync_debug_mode(0)
        syncs = [f'{w.filename}:{w.lineno}' for w in caught
                 if 'synchroniz' in str(w.message)]
    return (data['inputs'].shape[0] * iters / secs, flops, device, last,
            syncs)


def _build_loader(cfg):
    from vireid.engine.vireid_runner import VIReIDRunner
    return VIReIDRunner.build_dataloader(cfg.train_dataloader)


def peak_memory(device) -> str:
    import torch
    if device.type == 'cuda':
        return f'{torch.cuda.max_memory_allocated(device) / 2**30:.2f} GiB'
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
    return f'{rss / 2**20:.2f} GiB (process peak RSS)'


def main(argv=None) -> dict:
    args = parse_args(argv)
    import torch
    if args.amp and not torch.cuda.is_available():
        raise SystemExit('error: --amp needs a CUDA device (mmengine\'s '
                         'AmpOptimWrapper asserts one)')
    with tempfile.TemporaryDirectory() as tmp:
        from mmengine.config import Config
        probe = Config.fromfile(args.config)
        if args.cfg_options:
            probe.merge_from_dict(args.cfg_options)
        sampler = probe.train_dataloader.get('sampler', {})
        num_ids = model_num_classes(probe.model) or max(
            2 * int(sampler.get('num_ids', 8)), 8)
        size = args.size or _set_scale(
            probe.train_dataloader.dataset.pipeline, None) or (288, 144)
        data_root = make_data(tmp, size, num_ids)
        cfg, size = prepare_cfg(args, osp.join(tmp, 'work'), data_root)
        from mmengine.registry import init_default_scope
        init_default_scope('vireid')
        runner_rate, runner = (None, None)
        if not args.skip_runner:
            runner_rate, runner = time_runner(cfg, args.warmup, args.iters)
        plain_rate, flops, device, last_loss, syncs = time_plain(
            cfg, runner, args.warmup, args.iters, args.amp, args.sync_debug)
    out = dict(config=args.config, size=size, amp=args.amp or 'fp32',
               runner_img_s=runner_rate, plain_img_s=plain_rate,
               ratio=(runner_rate / plain_rate) if runner_rate else None,
               train_gflop_per_iter=flops / 1e9, device=str(device),
               peak_memory=peak_memory(device), last_loss=last_loss,
               syncs_per_step=None if syncs is None else len(syncs))
    peak = args.peak_tflops
    if device.type == 'cuda' and peak is None:
        name = torch.cuda.get_device_name(device)
        peak = next((v for k, v in BF16_PEAK_TFLOPS.items() if k in name),
                    None)
    batch = cfg.train_dataloader.batch_size
    achieved = flops * plain_rate / batch / 1e12
    out['plain_tflops'] = achieved
    out['bf16_peak_fraction'] = (achieved / peak if peak and
                                 device.type == 'cuda' else None)
    print(f'\n{args.config} @ {size[0]}x{size[1]}, batch {batch}, '
          f'{out["amp"]}, channels_last={args.channels_last}, '
          f'compile={args.compile}, {device}')
    if runner_rate:
        print(f'  runner : {runner_rate:9.1f} img/s')
    print(f'  plain  : {plain_rate:9.1f} img/s   '
          f'({flops / 1e9:.1f} GFLOP per iteration, {achieved:.2f} TFLOP/s)')
    if runner_rate:
        print(f'  ratio runner/plain: {out["ratio"]:.2f}')
    print(f'  peak memory: {out["peak_memory"]}')
    import math
    print(f'  last total loss: {last_loss:.4f}'
          f'{"" if math.isfinite(last_loss) else "  NOT FINITE"}')
    if syncs is not None:
        print(f'  host-device syncs in one step: {len(syncs)}')
        for where in sorted(set(syncs))[:20]:
            print(f'    {where}')
    if out['bf16_peak_fraction'] is not None:
        print(f'  fraction of bf16 peak ({peak:.0f} TFLOP/s): '
              f'{out["bf16_peak_fraction"]:.3f}')
    if not math.isfinite(last_loss):
        raise SystemExit(f'error: {args.config}: the training loss is not '
                         f'finite ({last_loss})')
    if args.max_syncs is not None:
        if syncs is None:
            print('  host-device syncs: not counted (needs CUDA and '
                  '--sync-debug)')
        elif len(syncs) > args.max_syncs:
            raise SystemExit(
                f'error: {args.config}: one training step synchronised '
                f'host and device {len(syncs)} times, more than '
                f'--max-syncs {args.max_syncs} (locations above)')
    return out


if __name__ == '__main__':
    main()
