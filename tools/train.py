# Copyright (c) vireid contributors. All rights reserved.
"""Train a vireid model with mmengine's Runner.

Example::

    python tools/train.py projects/agw/config.py --work-dir work_dirs/agw
    bash tools/dist_train.sh projects/agw/config.py 4
"""
import argparse
import os
import os.path as osp
import sys

# The repo root goes on sys.path so that `projects.*` modules import.
_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
if osp.join(_ROOT, 'plugins') not in sys.path:
    sys.path.insert(1, osp.join(_ROOT, 'plugins'))

from vireid.apis import (apply_train_overrides, build_runner,  # noqa: E402
                         load_config)

__all__ = ['parse_args', 'load_cfg', 'build_cfg', 'build_runner', 'main']


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description='Train a vireid model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='latest',
        help='resume from the given checkpoint; with no value from the '
        'newest complete checkpoint in the work dir (an error if there is '
        'none); "auto": the same, or from scratch if there is none')
    parser.add_argument(
        '--amp', action='store_true',
        help='enable automatic mixed precision training (needs a GPU)')
    parser.add_argument(
        '--amp-dtype', default='float16', choices=['float16', 'bfloat16'],
        help='dtype for --amp')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value, e.g. '
        'train_dataloader.dataset.data_root=data/synthetic/SYSU-MM01')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--non-strict', action='store_true',
        help='load_from/resume: load the matching part of a checkpoint that '
        'does not fit the model (default: refuse it, naming the keys)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def load_cfg(args: argparse.Namespace):
    """Load ``args.config`` and apply ``--launcher``, ``--cfg-options`` and
    ``--work-dir`` (default ``work_dirs/<config name>``); shared with
    ``tools/test.py``. See :func:`vireid.apis.load_config`."""
    return load_config(args.config, cfg_options=args.cfg_options,
                       work_dir=args.work_dir, launcher=args.launcher)


def build_cfg(args: argparse.Namespace):
    """Load the config and apply the training overrides."""
    return apply_train_overrides(load_cfg(args), amp=args.amp,
                                 amp_dtype=args.amp_dtype, resume=args.resume)


def main(argv=None):
    """Train; returns the runner (its ``seed``, ``work_dir``, ...)."""
    from vireid.utils.tool_checks import apply_args, preflight
    args = parse_args(argv)
    preflight(args)
    cfg = apply_args(build_cfg(args), args)
    runner = build_runner(cfg)
    runner.train()
    return runner


def _shutdown() -> None:
    """Tear the process group down cleanly after a distributed run."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


if __name__ == '__main__':
    from vireid.utils.cli import run_cli
    run_cli(lambda argv: (main(argv), _shutdown()))
