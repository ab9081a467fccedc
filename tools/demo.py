# Copyright (c) vireid contributors. All rights reserved.
"""`make demo`: the main job, end to end on a 2-core CPU.

1. generate the synthetic SYSU-MM01-layout data set if it is absent;
2. train the demo config;
3. evaluate the last checkpoint under the SYSU-MM01 all-search protocol
   (10 single-shot gallery trials, AGW draw), print the table, write the
   metrics JSON (``tools/test.py --out`` format) and ranked-list pictures.

Example::

    python tools/demo.py                                # default demo config
    python tools/demo.py --config projects/agw/demo.py --work-dir work_dirs/x
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path[:0] = [ROOT, osp.join(ROOT, 'plugins')]

DEFAULT_CONFIG = 'projects/agw/demo.py'
DATA_ROOT = osp.join('data', 'synthetic')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help=f'demo config (default {DEFAULT_CONFIG})')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--data-root', default=DATA_ROOT,
                        help='where the synthetic data set is (generated '
                        'there if absent)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the synthetic data set')
    parser.add_argument('--train-seed', type=int, default=None,
                        help='training seed (randomness.seed: weights, '
                        'sampler, augmentation); default: the config\'s')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='extra key=value overrides for training and '
                        'testing')
    return parser.parse_args(argv)


def ensure_data(data_root: str, seed: int) -> str:
    """Generate the synthetic SYSU-MM01 layout unless it is there."""
    sysu = osp.join(data_root, 'SYSU-MM01')
    if osp.isfile(osp.join(sysu, 'exp', 'test_id.txt')):
        print(f'[demo] using the synthetic data set in {sysu}')
        return sysu
    from vireid.synthetic import make_synthetic
    t0 = time.time()
    print(f'[demo] generating the synthetic data set in {sysu} ...')
    make_synthetic(data_root, layouts=('sysu', ), seed=seed,
                   workers=os.cpu_count() or 1)
    print(f'[demo] generated in {time.time() - t0:.1f} s')
    return sysu


def last_checkpoint(work_dir: str) -> str:
    marker = osp.join(work_dir, 'last_checkpoint')
    with open(marker) as f:
        return f.read().strip()


def main(argv=None) -> dict:
    args = parse_args(argv)
    config = args.config
    os.chdir(ROOT)
    t_start = time.time()
    sysu = ensure_data(args.data_root, args.seed)
    roots = [f'{k}.dataset.data_root={sysu}'
             for k in ('train_dataloader', 'val_dataloader',
                       'test_dataloader')]
    overrides = roots + list(args.cfg_options)
    if args.train_seed is not None:
        overrides.append(f'randomness.seed={args.train_seed}')

    from tools import test as test_tool
    from tools import train as train_tool
    t0 = time.time()
    runner = train_tool.main(
        [config, '--work-dir', args.work_dir, '--cfg-options'] + overrides)
    train_s = time.time() - t0
    seed = runner.seed
    print(f'[demo] training seed: {seed}')
    ckpt = last_checkpoint(args.work_dir)
    out = osp.join(args.work_dir, 'metrics.json')
    t0 = time.time()
    metrics = test_tool.main([
        config, ckpt, '--work-dir', args.work_dir, '--out', out,
        '--show-dir', osp.join(args.work_dir, 'ranked_lists'),
        '--cfg-options'
    ] + overrides)
    test_s = time.time() - t0
    with open(out) as f:
        payload = json.load(f)
    payload['train_seed'] = seed
    payload['timing_s'] = dict(
        train=round(train_s, 1), test=round(test_s, 1),
        total=round(time.time() - t_start, 1))
    with open(out, 'w') as f:
        json.dump(payload, f, indent=2)
    print(f'\n[demo] config {config}; trained in {train_s:.0f} s, tested '
          f'in {test_s:.0f} s; metrics in {out}; ranked lists in '
          f'{osp.join(args.work_dir, "ranked_lists")}')
    for k, v in sorted(metrics.items()):
        print(f'[demo]   {k:32s} {v:8.2f}')
    return metrics


if __name__ == '__main__':
    from vireid.utils.cli import run_cli
    run_cli(main)
