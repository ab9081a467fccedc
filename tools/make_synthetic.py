# Copyright (c) vireid contributors. All rights reserved.
"""Write synthetic VI-ReID data sets in the official layouts.

Examples::

    # all three layouts: data/synthetic/{SYSU-MM01,RegDB,LLCM}
    python tools/make_synthetic.py --out data/synthetic
    # one layout (data/synthetic/SYSU-MM01) plus a preview grid
    python tools/make_synthetic.py --out data/synthetic --layout sysu \\
        --grid docs/synthetic_samples.png
    # a harder task
    python tools/make_synthetic.py --out data/hard --noise 2 --num-colors 6

The output is a function of ``--seed`` (and the size and difficulty
options) only, whatever ``--workers`` is.
"""
import argparse
import os
import os.path as osp
import sys
import time

try:
    from vireid.synthetic import (LAYOUT_DIRS, SyntheticDifficulty,
                                  make_synthetic, save_sample_grid)
except ImportError:  # running from a checkout without installing vireid
    sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..',
                                'plugins'))
    from vireid.synthetic import (LAYOUT_DIRS, SyntheticDifficulty,
                                  make_synthetic, save_sample_grid)


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv (list[str], optional): Arguments (defaults to ``sys.argv``).

    Returns:
        argparse.Namespace: The options.
    """
    defaults = SyntheticDifficulty()
    parser = argparse.ArgumentParser(
        description='Write synthetic VI-ReID data sets (SYSU-MM01, RegDB, '
        'LLCM layouts).')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--layout',
        default='all',
        choices=['sysu', 'regdb', 'llcm', 'all'],
        help='layout(s) to write, each into its own folder <out>/SYSU-MM01, '
        '<out>/RegDB, <out>/LLCM (default: all)')
    parser.add_argument(
        '--num-ids',
        type=int,
        default=None,
        help='identities per layout (a quarter are test identities; RegDB '
        'splits 50/50 per trial). Default: SYSU 120+40, RegDB 100, LLCM '
        '100+40')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument('--height', type=int, default=128)
    parser.add_argument('--width', type=int, default=64)
    parser.add_argument(
        '--workers',
        type=int,
        default=min(4, os.cpu_count() or 1),
        help='worker processes (does not change the output)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace an earlier synthetic data set in the output folder')
    parser.add_argument(
        '--grid',
        default=None,
        metavar='PNG',
        help='also save a visible | infrared preview grid to this PNG')
    group = parser.add_argument_group('difficulty')
    group.add_argument('--num-colors', type=int, default=defaults.num_colors)
    group.add_argument(
        '--num-textures', type=int, default=defaults.num_textures)
    group.add_argument(
        '--pose-jitter', type=float, default=defaults.pose_jitter)
    group.add_argument('--noise', type=float, default=defaults.noise)
    group.add_argument('--blur', type=float, default=defaults.blur)
    group.add_argument(
        '--illumination', type=float, default=defaults.illumination)
    group.add_argument('--ir-texture', type=float, default=defaults.ir_texture)
    group.add_argument(
        '--heat-darkness', type=float, default=defaults.heat_darkness)
    group.add_argument(
        '--identity-spread', type=float, default=defaults.identity_spread)
    group.add_argument('--heat-noise', type=float, default=defaults.heat_noise)
    args = parser.parse_args(argv)
    _check_args(parser, args)
    return args


def _check_args(parser: argparse.ArgumentParser,
                args: argparse.Namespace) -> None:
    """Refuse values the generator would otherwise clamp or misread."""
    if args.num_ids is not None:
        if args.num_ids < 4:
            parser.error(f'--num-ids must be >= 4 (a quarter are test '
                         f'identities, RegDB splits 50/50), got '
                         f'{args.num_ids}')
        if args.num_ids % 2 and args.layout in ('regdb', 'all'):
            parser.error(f'--num-ids {args.num_ids}: RegDB splits the '
                         f'identities 50/50 and needs an even number (use '
                         f'{args.num_ids - 1} or {args.num_ids + 1}, or '
                         f'--layout sysu/llcm)')
    for name in ('height', 'width'):
        if getattr(args, name) < 8:
            parser.error(f'--{name} must be >= 8 pixels, got '
                         f'{getattr(args, name)}')
    if args.workers < 1:
        parser.error(f'--workers must be >= 1, got {args.workers}')
    out = osp.abspath(args.out)
    if osp.exists(out) and not osp.isdir(out):
        parser.error(f'--out {args.out} is a file, expected a folder')
    if args.grid and osp.isdir(args.grid):
        parser.error(f'--grid {args.grid} is a folder, expected a .png file')
    for name in ('pose_jitter', 'noise', 'blur', 'illumination', 'ir_texture',
                 'heat_darkness', 'identity_spread', 'heat_noise'):
        value = getattr(args, name)
        if value != value or value in (float('inf'), float('-inf')):
            parser.error(f'--{name.replace("_", "-")} must be a finite '
                         f'number, got {value}')
    try:
        SyntheticDifficulty(
            **{k: getattr(args, k) for k in (
                'num_colors', 'num_textures', 'pose_jitter', 'noise',
                'blur', 'illumination', 'ir_texture', 'heat_darkness',
                'identity_spread', 'heat_noise')})
    except ValueError as err:
        parser.error(str(err))


def main(argv=None) -> None:
    """Generate the data set(s) and print a summary."""
    args = parse_args(argv)
    diff = SyntheticDifficulty(
        num_colors=args.num_colors,
        num_textures=args.num_textures,
        pose_jitter=args.pose_jitter,
        noise=args.noise,
        blur=args.blur,
        illumination=args.illumination,
        ir_texture=args.ir_texture,
        heat_darkness=args.heat_darkness,
        identity_spread=args.identity_spread,
        heat_noise=args.heat_noise)
    common = dict(
        seed=args.seed,
        img_size=(args.height, args.width),
        difficulty=diff,
        workers=max(1, args.workers),
        overwrite=args.overwrite)
    start = time.time()
    layouts = ('sysu', 'regdb', 'llcm') if args.layout == 'all' else (
        args.layout, )
    summaries = make_synthetic(
        args.out, layouts=layouts, num_ids=args.num_ids, **common)
    elapsed = time.time() - start
    for layout, summary in summaries.items():
        info = ', '.join(f'{k}={v}' for k, v in summary.items()
                         if k not in ('layout', 'root'))
        print(f'{LAYOUT_DIRS[layout]}: {summary["root"]} ({info})')
    total = sum(s['num_images'] for s in summaries.values())
    print(f'wrote {total} images in {elapsed:.1f} s')
    if args.grid:
        first = next(iter(summaries.values()))
        save_sample_grid(first['root'], args.grid)
        print(f'preview grid: {args.grid}')


if __name__ == '__main__':
    from vireid.utils.cli import run_cli
    run_cli(main)
