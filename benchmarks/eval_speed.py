# Copyright (c) vireid contributors. All rights reserved.
"""Speed of vireid's vectorised ranking metrics vs torchreid's
``evaluate_rank`` (python path), on SYSU-MM01-sized problems.

* all-search single-shot: 3803 queries x 301 gallery images, 10 trials;
* all-search multi-shot: 3803 x 3010, fewer trials by default.

Each trial gets a freshly drawn gallery (random features around identity
centres, cosine distance); only the ranking evaluation is timed. vireid runs
the full SYSU protocol (cam3->cam2 rule, id-de-duplicated CMC, mAP, mINP),
torchreid its Market-1501 rule (it has no SYSU rule); the numbers are then
checked where the semantics are the same: vireid with the ``'pid_cam'`` rule
and plain CMC equals torchreid on the same matrices, and vireid's RegDB
protocol equals torchreid with query camids 1 / gallery camids 2.

Usage::

    python benchmarks/eval_speed.py [--trials 10] [--ms-trials 2]
"""
import argparse
import os.path as osp
import statistics
import sys
import time
import warnings

import numpy as np

_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if osp.join(_ROOT, 'plugins') not in sys.path:
    sys.path.insert(0, osp.join(_ROOT, 'plugins'))

from vireid.evaluation.functional import (compute_distance,  # noqa: E402
                                          evaluate_ranking)

NUM_IDS = 96
NUM_CAM3, NUM_CAM6 = 1883, 1920


def make_problem(shots: int, trials: int, seed: int = 0, dim: int = 64):
    """SYSU-shaped queries and per-trial galleries.

    Returns:
        tuple: ``(q_pids, q_camids, trials)`` where each trial is
        ``(distmat, g_pids, g_camids)``.
    """
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((NUM_IDS, dim))
    q_pids = rng.integers(0, NUM_IDS, NUM_CAM3 + NUM_CAM6)
    q_camids = np.r_[np.full(NUM_CAM3, 3), np.full(NUM_CAM6, 6)]
    qf = centres[q_pids] + 1.6 * rng.standard_normal((len(q_pids), dim))
    # 301 (id, cam) pairs as in the real test set: 96 ids x 4 cams minus 83
    pairs = [(p, c) for p in range(NUM_IDS) for c in (1, 2, 4, 5)]
    keep = rng.choice(len(pairs), 301, replace=False)
    pairs = [pairs[i] for i in sorted(keep)]
    g_pids = np.repeat([p for p, _ in pairs], shots)
    g_camids = np.repeat([c for _, c in pairs], shots)
    out = []
    for _ in range(trials):
        gf = centres[g_pids] + 1.6 * rng.standard_normal((len(g_pids), dim))
        out.append((compute_distance(qf, gf), g_pids, g_camids))
    return q_pids, q_camids, out


def time_vireid(q_pids, q_camids, trials, repeats=3, **kwargs):
    """Median wall time of evaluating all trials, and the last results."""
    times, results = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        results = [evaluate_ranking(d, q_pids, g, q_camids, c, **kwargs)
                   for d, g, c in trials]
        times.append(time.perf_counter() - t0)
    return statistics.median(times), results


def time_torchreid(evaluate_rank, q_pids, q_camids, trials):
    t0 = time.perf_counter()
    results = [evaluate_rank(d, q_pids, g, q_camids, c, max_rank=20,
                             use_cython=False) for d, g, c in trials]
    return time.perf_counter() - t0, results


def check_agreement(evaluate_rank, q_pids, q_camids, trials):
    """Max |difference| of CMC and mAP where the semantics are equal."""
    worst_cmc = worst_map = 0.0
    for d, g, c in trials:
        # Market rule (same pid AND camera removed), plain CMC
        cmc, mAP = evaluate_rank(d, q_pids, g, q_camids, c, max_rank=20,
                                 use_cython=False)
        res = evaluate_ranking(d, q_pids, g, q_camids, c,
                               exclusion='pid_cam', dedup_cmc=False)
        worst_cmc = max(worst_cmc, float(np.abs(res['cmc'] - cmc).max()))
        worst_map = max(worst_map, abs(res['mAP'] - mAP))
        # RegDB rule: query camids 1, gallery camids 2 -> nothing removed
        ones, twos = np.ones_like(q_camids), np.full_like(c, 2)
        cmc, mAP = evaluate_rank(d, q_pids, g, ones, twos, max_rank=20,
                                 use_cython=False)
        res = evaluate_ranking(d, q_pids, g, protocol='regdb')
        worst_cmc = max(worst_cmc, float(np.abs(res['cmc'] - cmc).max()))
        worst_map = max(worst_map, abs(res['mAP'] - mAP))
    return worst_cmc, worst_map


def run_case(name, shots, trials, tr_trials, evaluate_rank, repeats):
    q_pids, q_camids, problem = make_problem(shots, trials)
    shape = problem[0][0].shape
    print(f'\n== {name}: {shape[0]} queries x {shape[1]} gallery, '
          f'{trials} trials (torchreid: {tr_trials}) ==')
    t_v, res = time_vireid(q_pids, q_camids, problem, repeats,
                           protocol='sysu')
    t_a, _ = time_vireid(q_pids, q_camids, problem, 1, protocol='sysu',
                         method='argsort')
    t_m, _ = time_vireid(q_pids, q_camids, problem, repeats,
                         exclusion='pid_cam', dedup_cmc=False)
    r1 = np.mean([r['cmc'][0] for r in res])
    mAP = np.mean([r['mAP'] for r in res])
    mINP = np.mean([r['mINP'] for r in res])
    print(f'vireid SYSU protocol        : {t_v:8.3f} s  '
          f'({1000 * t_v / trials:.1f} ms/trial)  R1 {100 * r1:.2f}  '
          f'mAP {100 * mAP:.2f}  mINP {100 * mINP:.2f}')
    print(f'vireid SYSU, method=argsort : {t_a:8.3f} s  '
          f'({1000 * t_a / trials:.1f} ms/trial)')
    print(f'vireid Market rule          : {t_m:8.3f} s  '
          f'({1000 * t_m / trials:.1f} ms/trial)')
    if evaluate_rank is None:
        return
    t_t, _ = time_torchreid(evaluate_rank, q_pids, q_camids,
                            problem[:tr_trials])
    per_t = t_t / tr_trials
    print(f'torchreid evaluate_rank     : {t_t:8.3f} s  '
          f'({1000 * per_t:.1f} ms/trial)')
    print(f'speed-up vs torchreid (per trial): SYSU protocol '
          f'{per_t / (t_v / trials):.1f}x, Market rule '
          f'{per_t / (t_m / trials):.1f}x, argsort path '
          f'{per_t / (t_a / trials):.1f}x')
    if tr_trials == trials:
        print(f'{trials}-trial totals: torchreid {t_t:.2f} s vs vireid '
              f'{t_v:.3f} s -> {t_t / t_v:.1f}x')
    d_cmc, d_map = check_agreement(evaluate_rank, q_pids, q_camids,
                                   problem[:min(2, tr_trials)])
    status = 'OK' if d_cmc < 1e-6 and d_map < 1e-9 else 'MISMATCH'
    print(f'agreement with torchreid (Market rule and RegDB rule): '
          f'max |dCMC| {d_cmc:.2e}, max |dmAP| {d_map:.2e}  [{status}]')
    if status != 'OK':
        raise SystemExit('vireid and torchreid disagree')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--trials', type=int, default=10,
                        help='single-shot trials (default 10)')
    parser.add_argument('--ms-trials', type=int, default=3,
                        help='multi-shot trials for vireid (default 3)')
    parser.add_argument('--ms-torchreid-trials', type=int, default=1,
                        help='multi-shot trials for torchreid (default 1)')
    parser.add_argument('--repeats', type=int, default=3,
                        help='vireid timing: median of this many runs')
    parser.add_argument('--skip-torchreid', action='store_true')
    parser.add_argument('--skip-multishot', action='store_true')
    args = parser.parse_args(argv)
    evaluate_rank = None
    if not args.skip_torchreid:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # "Cython evaluation unavailable"
            from torchreid.reid.metrics.rank import evaluate_rank
    print(f'numpy {np.__version__}')
    run_case('SYSU all-search single-shot', 1, args.trials, args.trials,
             evaluate_rank, args.repeats)
    if not args.skip_multishot:
        run_case('SYSU all-search multi-shot (10-shot)', 10, args.ms_trials,
                 min(args.ms_torchreid_trials, args.ms_trials), evaluate_rank,
                 args.repeats)


if __name__ == '__main__':
    main()
