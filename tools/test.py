# Copyright (c) vireid contributors. All rights reserved.
"""Test a vireid checkpoint under the config's evaluation protocol.

Example::

    python tools/test.py projects/agw/config.py work_dirs/agw/best.pth \
        --out work_dirs/agw/metrics.json --show-dir work_dirs/agw/ranks
"""
import argparse
import json
import os
import os.path as osp
import sys

_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
if osp.join(_ROOT, 'plugins') not in sys.path:
    sys.path.insert(1, osp.join(_ROOT, 'plugins'))

from vireid.apis import (apply_test_overrides, build_runner,  # noqa: E402
                         load_config)


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description='Test a vireid model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs')
    parser.add_argument(
        '--out', help='write the metrics (and per-trial numbers) as JSON')
    parser.add_argument(
        '--show-dir',
        help='save ranked-list pictures (query, top-10 gallery) here')
    parser.add_argument(
        '--show-num', type=int, default=8,
        help='number of queries drawn with --show-dir')
    parser.add_argument(
        '--trust-checkpoint', action='store_true',
        help='unpickle the checkpoint in full; only for a foreign legacy '
        'file from a trusted source (vireid checkpoints load weights-only)')
    parser.add_argument(
        '--non-strict', action='store_true',
        help='load the matching part of a checkpoint that does not fit the '
        'model (default: refuse it, naming the keys and shapes)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings in the config, key=value')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm'], default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_cfg(args: argparse.Namespace):
    """Load the config and apply the test overrides."""
    cfg = load_config(args.config, cfg_options=args.cfg_options,
                      work_dir=args.work_dir, launcher=args.launcher)
    return apply_test_overrides(cfg, args.checkpoint,
                                trust_checkpoint=args.trust_checkpoint,
                                show_dir=args.show_dir,
                                show_num=args.show_num)


def collect_trials(runner) -> dict:
    """Per-trial numbers kept by the metrics (``last_results``)."""
    out = {}
    evaluator = runner.test_loop.evaluator
    for metric in evaluator.metrics:
        last = getattr(metric, 'last_results', None)
        if last is not None:
            out[getattr(metric, 'prefix', None) or type(metric).__name__] = \
                last
    return out


def main(argv=None) -> dict:
    from vireid.utils.tool_checks import apply_args, preflight
    args = parse_args(argv)
    preflight(args)
    cfg = apply_args(build_cfg(args), args)
    runner = build_runner(cfg)
    metrics = runner.test()
    if args.out and runner.rank == 0:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        payload = dict(
            config=args.config,
            checkpoint=args.checkpoint,
            metrics={k: float(v) for k, v in metrics.items()},
            details=collect_trials(runner))
        with open(args.out, 'w') as f:
            json.dump(payload, f, indent=2, default=float)
        runner.logger.info(f'metrics written to {args.out}')
    return metrics


def _shutdown() -> None:
    """Tear the process group down cleanly after a distributed run."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


if __name__ == '__main__':
    from vireid.utils.cli import run_cli
    run_cli(lambda argv: (main(argv), _shutdown()))
