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
    from mmengine.config import DictAction

    from vireid.apis import apply_test_overrides, build_runner, load_config
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--num', type=int, default=8,
                        help='queries to draw (evenly spaced)')
    parser.add_argument('--topk', type=int, default=10)
    parser.add_argument(
        '--trust-checkpoint', action='store_true',
        help='unpickle the checkpoint in full (a file your own training '
        'run wrote)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value')
    args = parser.parse_args(argv)

    from vireid.utils.tool_checks import preflight
    preflight(argparse.Namespace(
        config=args.config, cfg_options=args.cfg_options,
        checkpoint=args.checkpoint, show_dir=args.out_dir))
    cfg = load_config(args.config, cfg_options=args.cfg_options,
                      work_dir=osp.join(args.out_dir, 'logs'))
    cfg = apply_test_overrides(cfg, args.checkpoint,
                               trust_checkpoint=args.trust_checkpoint,
                               show_dir=args.out_dir, show_num=args.num,
                               topk=args.topk)
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
