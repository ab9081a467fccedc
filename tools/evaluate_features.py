# Copyright (c) vireid contributors. All rights reserved.
"""Evaluate saved features (or a ready distance matrix) under a VI-ReID test
protocol, without a model.

Two inputs:

1. Features of a whole test split, drawn and ranked exactly like
   ``VIReIDMetric`` does during ``tools/test.py``::

       python tools/evaluate_features.py --dataset sysu \\
           --root data/SYSU-MM01 --features feats.npz [--mode indoor] \\
           [--gallery-draw official --shots 10] [--distance euclidean] \\
           [--rerank] --out res.json

   ``feats.npz`` holds ``paths`` (string array, paths relative to the data
   set root, e.g. ``cam3/0006/0001.jpg``) and ``feats`` (one row per path).
   Every image of the test split needs a feature; rows of other images
   (``tools/extract_features.py --split all``) are ignored and counted.
   RegDB takes ``--trial N`` (the split, 1..10) and ``--direction
   v2t|t2v``; LLCM ``--direction``.

2. One ready query/gallery set::

       python tools/evaluate_features.py --npz set.npz --protocol sysu

   ``set.npz`` holds ``distmat`` (num_query x num_gallery; or ``qf`` and
   ``gf`` features), ``q_pids``, ``g_pids``, ``q_camids``, ``g_camids``
   (REAL camera numbers: SYSU 1-6, LLCM 1-9, RegDB any).

A table goes to stdout; ``--out R.json`` writes ``rank1, rank5, rank10,
rank20, mAP, mINP`` as fractions in [0, 1] averaged over trials, ``trials``
(the same keys per trial, in trial order, with the trial id and set sizes),
``std`` and a ``protocol`` description. Bad input stops with one message
(argparse style, exit code 2).
"""
import argparse
import json
import os.path as osp
import sys
from typing import List, Optional, Sequence

_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if osp.join(_ROOT, 'plugins') not in sys.path:
    sys.path.insert(0, osp.join(_ROOT, 'plugins'))

import numpy as np  # noqa: E402

RESULT_KEYS = ('rank1', 'rank5', 'rank10', 'rank20', 'mAP', 'mINP')


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser.

    Returns:
        argparse.ArgumentParser: The parser.
    """
    parser = argparse.ArgumentParser(
        prog='evaluate_features.py',
        description='Evaluate saved VI-ReID features or a distance matrix '
        'under the SYSU-MM01 / RegDB / LLCM protocol.')
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument(
        '--features', metavar='F.npz',
        help='npz with "paths" (relative to --root) and "feats"')
    src.add_argument(
        '--npz', metavar='D.npz',
        help='npz with "distmat" (or "qf" and "gf"), "q_pids", "g_pids", '
        '"q_camids", "g_camids"')
    parser.add_argument('--dataset', choices=['sysu', 'regdb', 'llcm'],
                        help='data set of --features')
    parser.add_argument('--root', help='data set root of --features')
    parser.add_argument('--protocol', choices=['sysu', 'regdb', 'llcm'],
                        help='protocol (exclusion rule and CMC) of --npz')
    parser.add_argument('--mode', choices=['all', 'indoor'], default='all',
                        help='SYSU-MM01 search mode (default: all)')
    parser.add_argument('--shots', type=int, choices=[1, 10], default=1,
                        help='SYSU-MM01 gallery shots (10 needs '
                        '--gallery-draw official)')
    parser.add_argument('--gallery-draw', choices=['agw', 'official'],
                        default='agw',
                        help='SYSU-MM01 gallery draw: AGW random.seed(trial) '
                        'or the authors\' exp/rand_perm_cam.mat')
    parser.add_argument('--direction',
                        choices=['t2v', 'v2t', 'i2v', 'v2i'],
                        help='t2v: infrared query (SYSU: the only one; LLCM '
                        'default); v2t: visible query (RegDB default)')
    parser.add_argument('--trial', type=int, default=1,
                        help='RegDB split trial, 1..10 (default: 1)')
    parser.add_argument('--trials', type=int, default=10,
                        help='SYSU/LLCM number of gallery draws (default: 10)')
    parser.add_argument('--distance', choices=['cosine', 'euclidean'],
                        default='cosine',
                        help='cosine: -q.g on L2-normalised features '
                        '(default); euclidean')
    parser.add_argument('--rerank', action='store_true',
                        help='k-reciprocal re-ranking (k1=20, k2=6, '
                        'lambda=0.3)')
    parser.add_argument('--max-rank', type=int, default=20,
                        help='CMC length (default: 20)')
    parser.add_argument('--out', metavar='R.json',
                        help='write the results as JSON')
    return parser


# --------------------------------------------------------------------------
def _load_npz(parser: argparse.ArgumentParser, path: str) -> dict:
    if not osp.isfile(path):
        parser.error(f'{path}: file not found')
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except ValueError as err:  # object arrays need pickle
        parser.error(f'{path}: cannot read without pickle ({err}); save '
                     f'paths as a string array (np.array(paths, dtype=str))')
    except Exception as err:  # noqa: BLE001 (zip/format errors)
        parser.error(f'{path}: not a readable .npz file ({err})')


def _require(parser, path: str, data: dict, keys: Sequence[str]) -> None:
    missing = [k for k in keys if k not in data]
    if missing:
        parser.error(f'{path}: missing array(s) {missing} (found '
                     f'{sorted(data)})')


def _check_feats(parser, path: str, name: str, feats: np.ndarray,
                 labels: Optional[Sequence[str]] = None) -> np.ndarray:
    if feats.ndim != 2 or not np.issubdtype(feats.dtype, np.number):
        parser.error(f'{path}: "{name}" must be a 2-D numeric array, got '
                     f'shape {feats.shape} dtype {feats.dtype}')
    bad = np.flatnonzero(~np.isfinite(feats).all(axis=1))
    if bad.size:
        where = f' ({labels[bad[0]]!r})' if labels is not None else ''
        parser.error(f'{path}: "{name}" has NaN/inf values in {bad.size} '
                     f'row(s), first row {int(bad[0])}{where}')
    return feats


def _normalise_path(path: str) -> str:
    path = str(path).replace('\\', '/')
    while path.startswith('./'):
        path = path[2:]
    return path


def _build_dataset(parser, args):
    try:
        from vireid.datasets import (LLCMDataset, RegDBDataset,
                                     SYSUMM01Dataset)
    except ImportError as err:
        parser.error(f'cannot import the vireid data sets ({err})')
    common = dict(data_root=args.root, split='test', pipeline=[],
                  serialize_data=False)
    try:
        if args.dataset == 'sysu':
            return SYSUMM01Dataset(**common)
        if args.dataset == 'regdb':
            return RegDBDataset(trial=args.trial, **common)
        return LLCMDataset(**common)
    except (FileNotFoundError, ValueError, TypeError, KeyError) as err:
        parser.error(f'cannot read the {args.dataset} test split under '
                     f'{args.root}: {err}')


def evaluate_feature_file(parser, args) -> dict:
    """Evaluate ``--features`` on the data set's test split.

    Returns:
        dict: ``VIReIDMetric.last_results``.
    """
    import torch

    from vireid.evaluation import VIReIDMetric
    if args.dataset is None or args.root is None:
        parser.error('--features needs --dataset and --root')
    data = _load_npz(parser, args.features)
    _require(parser, args.features, data, ['paths', 'feats'])
    paths = np.asarray(data['paths']).reshape(-1)
    if paths.dtype.kind not in 'US':
        parser.error(f'{args.features}: "paths" must be a string array, got '
                     f'dtype {paths.dtype}')
    paths = [_normalise_path(p) for p in paths.astype(str)]
    feats = np.asarray(data['feats'])
    if feats.ndim != 2 or feats.shape[0] != len(paths):
        parser.error(f'{args.features}: "feats" must have one row per path: '
                     f'{len(paths)} paths but feats has shape {feats.shape}')
    feats = _check_feats(parser, args.features, 'feats', feats, paths)
    row_of = {}
    for i, p in enumerate(paths):
        if p in row_of:
            parser.error(f'{args.features}: path {p!r} appears twice (rows '
                         f'{row_of[p]} and {i})')
        row_of[p] = i

    dataset = _build_dataset(parser, args)
    items = [dataset.get_data_info(i) for i in range(len(dataset))]
    known = {it['rel_path'] for it in items}
    extra = [p for p in paths if p not in known]
    if extra:  # e.g. features of the whole data set (train + test)
        print(f'{args.features}: ignoring {len(extra)} of {len(paths)} '
              f'feature rows whose images are not in the {args.dataset} test '
              f'split (e.g. {extra[0]!r})')
    missing = [it['rel_path'] for it in items if it['rel_path'] not in row_of]
    if missing:
        parser.error(f'{args.features}: {len(missing)} image(s) of the '
                     f'{args.dataset} test split have no feature, e.g. '
                     f'{missing[0]!r}; the gallery draws need every test '
                     f'image')

    try:
        metric = VIReIDMetric(
            protocol=args.dataset,
            mode=args.mode,
            direction=args.direction,
            gallery_draw=args.gallery_draw,
            num_trials=args.trials,
            shots=args.shots,
            feature='feats',
            distance=args.distance,
            rerank=args.rerank,
            max_rank=args.max_rank,
            data_root=args.root)
    except (ValueError, TypeError) as err:
        parser.error(str(err))
    metric.dataset_meta = dataset.metainfo
    metric.log_table = False  # this tool prints the table itself
    metric.on_degenerate = 'error'  # tied rankings: refuse, do not report
    feats_t = torch.from_numpy(np.ascontiguousarray(feats, dtype=np.float32))
    results = [
        dict(feature=feats_t[row_of[it['rel_path']]], pid=int(it['pid']),
             camid=int(it['camid']), modality=int(it['modality']),
             is_query=bool(it['is_query']), rel_path=it['rel_path'])
        for it in items
    ]
    try:
        metric.compute_metrics(results)
    except (ValueError, FileNotFoundError, KeyError) as err:
        parser.error(str(err))
    return metric.last_results


def evaluate_set_file(parser, args) -> dict:
    """Evaluate one ready query/gallery set (``--npz``).

    Returns:
        dict: Results in the layout of ``VIReIDMetric.last_results``.
    """
    from vireid.evaluation.functional import (compute_distance,
                                              evaluate_ranking)
    if args.protocol is None:
        parser.error('--npz needs --protocol sysu|regdb|llcm')
    path = args.npz
    data = _load_npz(parser, path)
    _require(parser, path, data, ['q_pids', 'g_pids', 'q_camids', 'g_camids'])
    has_dist = 'distmat' in data
    has_feats = 'qf' in data or 'gf' in data
    if has_dist and has_feats:
        parser.error(f'{path}: give either "distmat" or "qf" and "gf", not '
                     f'both')
    if not has_dist:
        _require(parser, path, data, ['qf', 'gf'])
    vec = {}
    for key in ('q_pids', 'g_pids', 'q_camids', 'g_camids'):
        arr = np.asarray(data[key])
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            parser.error(f'{path}: "{key}" must be a 1-D integer array, got '
                         f'shape {arr.shape} dtype {arr.dtype}')
        vec[key] = arr
    for side, keys in (('query', ('q_pids', 'q_camids')),
                       ('gallery', ('g_pids', 'g_camids'))):
        a, b = keys
        if len(vec[a]) != len(vec[b]):
            parser.error(f'{path}: {side} arrays differ in length: "{a}" has '
                         f'{len(vec[a])}, "{b}" has {len(vec[b])}')
    from vireid.evaluation.protocols import check_camera_ids
    try:
        check_camera_ids(args.protocol, vec['q_camids'], vec['g_camids'])
    except ValueError as err:
        parser.error(f'{path}: {err}')
    num_q, num_g = len(vec['q_pids']), len(vec['g_pids'])
    if num_g == 0:
        parser.error(f'{path}: the gallery is empty ("g_pids" has no entry)')
    if num_q == 0:
        parser.error(f'{path}: there is no query ("q_pids" has no entry)')
    if has_dist:
        if args.rerank:
            parser.error('--rerank needs features ("qf" and "gf"), not a '
                         'distance matrix')
        distmat = np.asarray(data['distmat'])
        if distmat.shape != (num_q, num_g):
            parser.error(f'{path}: "distmat" has shape {distmat.shape}, '
                         f'expected ({num_q}, {num_g}) from "q_pids" and '
                         f'"g_pids"')
        _check_feats(parser, path, 'distmat', distmat)
    else:
        qf, gf = np.asarray(data['qf']), np.asarray(data['gf'])
        _check_feats(parser, path, 'qf', qf)
        _check_feats(parser, path, 'gf', gf)
        for name, arr, n in (('qf', qf, num_q), ('gf', gf, num_g)):
            if arr.shape[0] != n:
                parser.error(f'{path}: "{name}" has {arr.shape[0]} rows, '
                             f'expected {n} (one per entry of the pid '
                             f'array)')
        if qf.shape[1] != gf.shape[1]:
            parser.error(f'{path}: "qf" and "gf" differ in dimension: '
                         f'{qf.shape[1]} vs {gf.shape[1]}')
        if args.rerank:
            from vireid.evaluation.functional import k_reciprocal_rerank
            distmat = k_reciprocal_rerank(qf, gf, args.distance)
        else:
            distmat = compute_distance(qf, gf, args.distance)
    from vireid.evaluation.metrics.vireid_metric import degenerate_distances
    problem = degenerate_distances(distmat)
    if problem is not None:
        parser.error(f'{path}: {problem}')
    try:
        res = evaluate_ranking(distmat, vec['q_pids'], vec['g_pids'],
                               vec['q_camids'], vec['g_camids'],
                               protocol=args.protocol,
                               max_rank=args.max_rank)
    except ValueError as err:
        parser.error(f'{path}: {err}')
    row = {f'rank{k}': float(res['cmc'][k - 1])
           for k in (1, 5, 10, 20) if k <= args.max_rank}
    row.update(mAP=res['mAP'], mINP=res['mINP'], trial=None,
               num_query=num_q, num_gallery=num_g,
               num_valid_queries=res['num_valid_queries'])
    keys = [k for k in RESULT_KEYS if k in row]
    return dict(
        prefix=f'{args.protocol}-npz',
        protocol=args.protocol,
        mode=None,
        direction=None,
        gallery_draw='given',
        shots=None,
        num_trials=1,
        feature='distmat' if has_dist else 'qf/gf',
        distance='given' if has_dist else args.distance,
        rerank=bool(args.rerank),
        trials=[row],
        mean={k: row[k] for k in keys},
        std={k: 0.0 for k in keys})


def to_json(results: dict) -> dict:
    """The ``--out`` layout (fractions).

    Args:
        results (dict): ``VIReIDMetric.last_results``-like results.

    Returns:
        dict: Mean keys, ``trials``, ``std`` and ``protocol``.
    """
    from vireid.evaluation import describe_protocol
    out = dict(results['mean'])
    out['trials'] = results['trials']
    out['std'] = results['std']
    out['protocol'] = describe_protocol(results)
    return out


def main(argv: Optional[List[str]] = None) -> dict:
    """Run the tool.

    Args:
        argv (list[str], optional): Arguments (default: ``sys.argv[1:]``).

    Returns:
        dict: The JSON-able results (also written with ``--out``).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.max_rank < 1:
        parser.error('--max-rank must be >= 1')
    if args.trials < 1:
        parser.error('--trials must be >= 1')
    if args.out:
        from vireid.utils.errors import VIReIDUserError
        from vireid.utils.tool_checks import check_output_file
        try:
            check_output_file(args.out, '--out')
        except VIReIDUserError as err:
            parser.error(str(err))
    if args.features:
        results = evaluate_feature_file(parser, args)
    else:
        results = evaluate_set_file(parser, args)

    from vireid.evaluation import format_results_table
    print(format_results_table(results))
    out = to_json(results)
    if args.out:
        import os
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(out, f, indent=2)
    return out


if __name__ == '__main__':
    from vireid.utils.cli import run_cli
    run_cli(main)
