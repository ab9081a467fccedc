# Copyright (c) vireid contributors. All rights reserved.
"""Draw ranked lists (query + top-k gallery, true matches green) for any
checkpoint, under the config's evaluation protocol (trial-0 gallery).

Example::

    python tools/visualize_ranks.py projects/agw/demo.py \
        work_dirs/demo/epoch_8.pth --out-dir work_dirs/demo/ranks --num 12
"""
import argparse
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path[:0] = [ROOT, osp.join(ROOT, 'plugins')]


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--num', type=int, default=8,
                        help='queries to draw (evenly spaced)')
    parser.add_argument('--topk', type=int, default=10)
    parser.add_argument('--trust-checkpoint', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', default=[])
    args = parser.parse_args(argv)

    from tools.test import build_cfg, parse_args
    from tools.train import build_runner
    test_argv = [args.config, args.checkpoint, '--work-dir',
                 osp.join(args.out_dir, 'logs')]
    if args.trust_checkpoint:
        test_argv.append('--trust-checkpoint')
    if args.cfg_options:
        test_argv += ['--cfg-options'] + args.cfg_options
    from vireid.utils.tool_checks import apply_args, preflight
    test_args = parse_args(test_argv)
    preflight(test_args)
    cfg = apply_args(build_cfg(test_args), test_args)
    cfg.custom_hooks = list(cfg.get('custom_hooks', []) or []) + [
        dict(type='RankedListVisHook', out_dir=args.out_dir,
             num_queries=args.num, topk=args.topk)]
    runner = build_runner(cfg)
    runner.test()
    hook = [h for h in runner.hooks
            if type(h).__name__ == 'RankedListVisHook'][-1]
    for path in hook.saved:
        print(path)
    return hook.saved


if __name__ == '__main__':
    from vireid.utils.cli import run_cli
    run_cli(main)
