# Copyright (c) vireid contributors. All rights reserved.
"""Per-epoch table of training scalars (e.g. ICRE's) from a work dir.

Reads every ``vis_data/scalars.json`` under WORK_DIR (mmengine's
``LocalVisBackend``; one row per logged iteration) and prints, per epoch,
the mean and the last logged value of the enhanced-branch triplet loss, the
ICG loss and its terms, and the feature statistics ICRE logs
(``*.stat_*``), as a markdown table::

    python tools/analysis_tools/loss_table.py work_dirs/demo_icre
"""
import argparse
import glob
import json
import os.path as osp
import statistics

KEYS = ('enh.loss_triplet', 'deep.loss_triplet', 'loss_icg',
        'icg.diversity', 'enh.stat_dpos', 'enh.stat_dneg', 'enh.stat_norm')


def rows(work_dir: str):
    """Logged training rows (with ``epoch``) of every run under a dir."""
    paths = sorted(glob.glob(osp.join(work_dir, '**', 'vis_data',
                                      'scalars.json'), recursive=True))
    if not paths:
        raise SystemExit(f'error: no vis_data/scalars.json under {work_dir}')
    out = []
    for path in paths:
        with open(path) as f:
            out += [r for r in map(json.loads, f) if 'epoch' in r
                    and 'loss' in r]
    return out


def table(work_dir: str, keys=KEYS) -> str:
    by_epoch = {}
    for r in rows(work_dir):
        by_epoch.setdefault(int(r['epoch']), []).append(r)
    keys = [k for k in keys if any(k in r for v in by_epoch.values()
                                   for r in v)]
    lines = ['| epoch | ' + ' | '.join(f'{k} (mean / last)' for k in keys) +
             ' |', '| --- ' * (len(keys) + 1) + '|']
    for ep in sorted(by_epoch):
        cells = []
        for k in keys:
            vals = [r[k] for r in by_epoch[ep] if k in r]
            cells.append(f'{statistics.fmean(vals):.3f} / {vals[-1]:.3f}'
                         if vals else '-')
        lines.append(f'| {ep} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dir')
    args = parser.parse_args(argv)
    text = table(args.work_dir)
    print(text)
    return text


if __name__ == '__main__':
    main()
