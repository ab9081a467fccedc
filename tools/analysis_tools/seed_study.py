# Copyright (c) vireid contributors. All rights reserved.
"""Train and evaluate configs over several training seeds; mean +- std.

Each (config, seed) pair runs ``tools/demo.py`` in its own process (train,
then test the last checkpoint under the config's protocol) and writes
``WORK_DIR/<config name>/seed<S>/metrics.json``; finished runs are reused,
so an interrupted study continues where it stopped. The summary gives, per
config, the mean and the sample standard deviation (ddof=1) **over training
seeds** of every metric, and the mean over the last ``--tail`` logged
iterations of every loss, to spot a loss pinned at a constant.

``--preset quick`` (the default) is the seed-study size used in the project
READMEs: the demo data, model and schedule (6 epochs) at 64x32 pixels
instead of 96x48 (about 1.7 min of training on an idle 2-core CPU);
``--preset demo`` keeps the demo config as it is.

Example::

    python tools/analysis_tools/seed_study.py projects/agw/demo.py \\
        projects/icre/demo.py --seeds 0 1 2 --work-dir work_dirs/study \\
        --out work_dirs/study/table.md
"""
import argparse
import contextlib
import json
import os
import os.path as osp
import statistics
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: ``--cfg-options`` of each preset (applied to every run).
PRESETS = {
    'quick': [
        'train_dataloader.dataset.pipeline.1.scale=(64,32)',
        'val_dataloader.dataset.pipeline.1.scale=(64,32)',
        'test_dataloader.dataset.pipeline.1.scale=(64,32)',
    ],
    'demo': [],
}
METRIC_KEYS = ('rank1', 'rank10', 'mAP', 'mINP')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+', help='demo-style configs')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--preset', choices=sorted(PRESETS), default='quick')
    parser.add_argument('--work-dir', default='work_dirs/seed_study')
    parser.add_argument('--data-root', default=osp.join('data', 'synthetic'))
    parser.add_argument('--tail', type=int, default=20,
                        help='iterations averaged for the final loss values')
    parser.add_argument('--out', help='write the markdown table here')
    parser.add_argument('--lock', help='hold this file locked (flock) '
                        'while a run trains, so that studies started side '
                        'by side on one machine take turns')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='extra key=value overrides for every run')
    args = parser.parse_args(argv)
    if len(set(args.seeds)) < 3:
        parser.error('a seed study needs at least 3 distinct seeds')
    return args


def run_one(config: str, seed: int, work_dir: str, args) -> dict:
    """Train + test one (config, seed); reuse a finished run."""
    out = osp.join(work_dir, 'metrics.json')
    if not osp.isfile(out):
        cmd = [sys.executable, osp.join(ROOT, 'tools', 'demo.py'),
               '--config', config, '--work-dir', work_dir,
               '--data-root', args.data_root, '--train-seed', str(seed),
               '--cfg-options'] + PRESETS[args.preset] + args.cfg_options
        os.makedirs(work_dir, exist_ok=True)
        with open(osp.join(work_dir, 'study.log'), 'w') as log, \
                _locked(args.lock):
            proc = subprocess.run(cmd, cwd=ROOT, stdout=log,
                                  stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            raise SystemExit(f'error: {config} seed {seed} failed (exit '
                             f'{proc.returncode}); see '
                             f'{osp.join(work_dir, "study.log")}')
    with open(out) as f:
        payload = json.load(f)
    payload['losses'] = final_losses(work_dir, args.tail)
    return payload


@contextlib.contextmanager
def _locked(path):
    """Hold an exclusive ``flock`` on ``path`` (no-op for None)."""
    if path is None:
        yield
        return
    import fcntl
    with open(path, 'a') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def final_losses(work_dir: str, tail: int) -> dict:
    """Mean of the last ``tail`` logged values of every ``loss*`` scalar."""
    series = {}
    for root, _, files in os.walk(work_dir):
        if 'scalars.json' not in files:
            continue
        with open(osp.join(root, 'scalars.json')) as f:
            for line in f:
                row = json.loads(line)
                for key, val in row.items():
                    if 'loss' in key and isinstance(val, (int, float)):
                        series.setdefault(key, []).append(float(val))
    return {k: statistics.fmean(v[-tail:]) for k, v in series.items()}


def pick(metrics: dict, name: str) -> float:
    """The first ``*/<name>`` metric (the config's primary direction)."""
    for key, val in metrics.items():
        if key.endswith('/' + name):
            return float(val)
    raise KeyError(name)


def mean_std(values):
    return statistics.fmean(values), statistics.stdev(values)


def summarise(results: dict) -> str:
    lines = ['| config | seeds | ' + ' | '.join(
        ('R1', 'R10', 'mAP', 'mINP')) + ' | final losses (mean of seeds) |',
        '| --- | --- | --- | --- | --- | --- | --- |']
    for config, runs in results.items():
        cells = []
        for key in METRIC_KEYS:
            m, s = mean_std([pick(r['metrics'], key) for r in runs.values()])
            cells.append(f'{m:.2f} ± {s:.2f}')
        loss_keys = sorted(set().union(*(r['losses'] for r in runs.values())))
        losses = ', '.join(
            f'{k} {statistics.fmean(r["losses"].get(k, float("nan")) for r in runs.values()):.3f}'  # noqa: E501
            for k in loss_keys if k != 'loss')
        lines.append(f'| `{config}` | {",".join(map(str, runs))} | ' +
                     ' | '.join(cells) + f' | {losses} |')
    return '\n'.join(lines)


def main(argv=None) -> dict:
    args = parse_args(argv)
    results = {}
    for config in args.configs:
        name = osp.splitext(osp.basename(config))[0]
        parent = osp.basename(osp.dirname(config))
        runs = {}
        for seed in args.seeds:
            wd = osp.join(args.work_dir, f'{parent}_{name}', f'seed{seed}')
            runs[seed] = run_one(config, seed, wd, args)
            print(f'[study] {config} seed {seed}: R1 '
                  f'{pick(runs[seed]["metrics"], "rank1"):.2f} mAP '
                  f'{pick(runs[seed]["metrics"], "mAP"):.2f}', flush=True)
        results[config] = runs
    table = summarise(results)
    print(f'\npreset {args.preset}; mean ± std (ddof=1) over training seeds '
          f'{args.seeds}\n' + table)
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'summary.json'), 'w') as f:
        json.dump({c: {str(s): r for s, r in runs.items()}
                   for c, runs in results.items()}, f, indent=2)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(table + '\n')
    return results


if __name__ == '__main__':
    main()
