# Copyright (c) vireid contributors. All rights reserved.
"""Speed of vireid's ranking metrics against torchreid (compiled ``rank_cy``
and its Python fallback) and a per-query loop, at the sizes of the real test
protocols, plus the whole metric path and a large-gallery scaling run.

Cases (random features around identity centres, the protocol's own rule for
vireid; each trial a fresh gallery):

* SYSU all-search single-shot: 3,803 IR queries x 301 gallery, 10 trials;
* SYSU all-search 10-shot: 3,803 x 3,010;
* RegDB: 2,060 x 2,060 (the two directions have the same shape);
* LLCM-shaped, both directions: ~7,000 NIR queries x ~2,800 VIS gallery and
  ~8,600 VIS queries x ~2,800 NIR gallery (351 identities, 8 cameras; the
  exact LLCM counts vary by camera, these are of the same order).

Compared, where the semantics coincide (the Market-1501 rule: same pid and
camera removed, plain CMC): torchreid's compiled ``evaluate_cy`` (built from
its ``rank_cy.pyx`` in a temporary folder when Cython and a C compiler are
present: the PyPI wheel ships no compiled evaluator and no ``.pyx``, so pass
``--rank-cy-source`` with the file from torchreid's source tree), torchreid's
Python ``evaluate_rank`` and a per-query Python loop written from the
protocol text (the slow oracle of vireid's tests, standing in for the
AGW/DEEN per-query procedure). Agreement is checked on the same matrices.

``--metric-path`` times ``VIReIDMetric.compute_metrics`` on SYSU-sized
results (2048-d features) against its ranking core. ``--scaling`` runs
``evaluate_ranking`` on lazily computed distances (``DistanceRows``, 64-d) in
a fresh process per size from 3,803 x 301 up to 40,000 x 30,000 and prints
time, peak RSS and the fitted growth exponent of time in (Q x G).

Usage::

    python benchmarks/eval_speed.py [--repeats 3] [--rank-cy-source F.pyx]
        [--previous OLD_RANKING.py]
    python benchmarks/eval_speed.py --metric-path [--device cuda]
    python benchmarks/eval_speed.py --scaling
"""
import argparse
import json
import os
import os.path as osp
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path[:0] = [p for p in (osp.join(_ROOT, 'plugins'), _ROOT)
                if p not in sys.path]

from vireid.evaluation.functional import (DistanceRows,  # noqa: E402
                                          compute_distance, evaluate_ranking)


# ---------------------------------------------------------------- problems
def make_problem(num_q, q_cams, g_pairs, shots, trials, num_ids, seed=0,
                 dim=64):
    """Queries and per-trial galleries around identity centres.

    Returns:
        tuple: ``(q_pids, q_camids, trials)``; each trial is ``(distmat,
        g_pids, g_camids)``.
    """
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((num_ids, dim))
    q_pids = rng.integers(0, num_ids, num_q)
    q_camids = rng.choice(q_cams, num_q)
    qf = centres[q_pids] + 1.6 * rng.standard_normal((num_q, dim))
    g_pids = np.repeat([p for p, _ in g_pairs], shots)
    g_camids = np.repeat([c for _, c in g_pairs], shots)
    out = []
    for _ in range(trials):
        gf = centres[g_pids] + 1.6 * rng.standard_normal((len(g_pids), dim))
        out.append((compute_distance(qf, gf), g_pids, g_camids))
    return q_pids, q_camids, out


def sysu_problem(shots, trials):
    rng = np.random.default_rng(1)
    pairs = [(p, c) for p in range(96) for c in (1, 2, 4, 5)]
    keep = sorted(rng.choice(len(pairs), 301, replace=False))
    q_pids, _, probs = make_problem(3803, [3, 6], [pairs[i] for i in keep],
                                    shots, trials, 96)
    q_camids = np.r_[np.full(1883, 3), np.full(1920, 6)]
    return q_pids, q_camids, probs


def regdb_problem(trials):
    pairs = [(p, 2) for p in range(206)]
    q_pids, q_camids, probs = make_problem(2060, [1], pairs, 10, trials, 206)
    return q_pids, q_camids, probs


def llcm_problem(num_q, trials):
    pairs = [(p, c) for p in range(351) for c in range(1, 9)]
    return make_problem(num_q, list(range(1, 10)), pairs, 1, trials, 351)


CASES = {
    'sysu-1shot': (lambda t: sysu_problem(1, t), 'sysu'),
    'sysu-10shot': (lambda t: sysu_problem(10, t), 'sysu'),
    'regdb': (regdb_problem, 'regdb'),
    'llcm-t2v': (lambda t: llcm_problem(7000, t), 'llcm'),
    'llcm-v2t': (lambda t: llcm_problem(8600, t), 'llcm'),
}


# ---------------------------------------------------------------- peers
def build_rank_cy(source):
    """Compile torchreid's ``rank_cy.pyx`` in a temp folder; its
    ``evaluate_cy`` or (None, why)."""
    if source is None:
        try:
            import torchreid
            cand = osp.join(osp.dirname(torchreid.__file__), 'reid',
                            'metrics', 'rank_cylib', 'rank_cy.pyx')
        except ImportError:
            cand = None
        if not cand or not osp.isfile(cand):
            return None, ('torchreid as installed ships no rank_cy.pyx '
                          '(pass --rank-cy-source)')
        source = cand
    if not osp.isfile(source):
        return None, f'{source} does not exist'
    try:
        import Cython  # noqa: F401
    except ImportError:
        return None, 'Cython is not installed (pip install Cython)'
    if shutil.which(os.environ.get('CC', 'cc')) is None:
        return None, 'no C compiler'
    tmp = tempfile.mkdtemp(prefix='vireid_rank_cy_')
    shutil.copy(source, osp.join(tmp, 'rank_cy.pyx'))
    with open(osp.join(tmp, 'setup.py'), 'w') as f:
        f.write('import numpy\nfrom setuptools import setup, Extension\n'
                'from Cython.Build import cythonize\n'
                "setup(ext_modules=cythonize([Extension('rank_cy', "
                "['rank_cy.pyx'], include_dirs=[numpy.get_include()], "
                "extra_compile_args=['-O3'])], quiet=True))\n")
    proc = subprocess.run([sys.executable, 'setup.py', 'build_ext',
                           '--inplace'], cwd=tmp, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        return None, 'build failed: ' + proc.stderr.strip()[-300:]
    sys.path.insert(0, tmp)
    import rank_cy
    return rank_cy.evaluate_cy, f'built from {source}'


def loop_oracle():
    sys.path.insert(0, osp.join(_ROOT, 'tests', 'test_evaluation'))
    from oracle import oracle_evaluate
    return oracle_evaluate


def _median_time(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), out


# ---------------------------------------------------------------- cases
def run_case(name, trials, repeats, rank_cy, evaluate_rank, oracle,
             peer_trials, previous=None):
    make, protocol = CASES[name]
    q_pids, q_camids, probs = make(trials)
    shape = probs[0][0].shape
    print(f'\n== {name}: {shape[0]} x {shape[1]}, {trials} trials ==')
    row = dict(case=name, shape=shape, trials=trials)

    def vireid(**kw):
        return [evaluate_ranking(d, q_pids, g, q_camids, c, **kw)
                for d, g, c in probs]

    t, tmin, res = _median_time(lambda: vireid(protocol=protocol), repeats)
    row['vireid_protocol_s'] = t
    print(f'vireid {protocol} protocol    : {1e3 * t / trials:8.1f} ms/trial'
          f' (min {1e3 * tmin / trials:.1f})  R1 '
          f'{100 * np.mean([r["cmc"][0] for r in res]):.2f}')
    t_m, tmin_m, res_m = _median_time(
        lambda: vireid(exclusion='pid_cam', dedup_cmc=False), repeats)
    row['vireid_market_s'] = t_m
    print(f'vireid Market rule          : {1e3 * t_m / trials:8.1f} ms/trial'
          f' (min {1e3 * tmin_m / trials:.1f})')
    if previous is not None:
        # an earlier implementation (a module with evaluate_ranking), same
        # matrices, timed alternately with the current one (the machine's
        # load drifts)
        for label, kw in ((f'{protocol} protocol', dict(protocol=protocol)),
                          ('Market rule', dict(exclusion='pid_cam',
                                               dedup_cmc=False))):
            times = dict(now=[], previous=[])
            outs = {}
            for r in range(max(repeats, 3)):
                order = (('now', evaluate_ranking),
                         ('previous', previous.evaluate_ranking))
                for key, fn in (order if r % 2 == 0 else order[::-1]):
                    t0 = time.perf_counter()
                    outs[key] = [fn(d, q_pids, g, q_camids, c, **kw)
                                 for d, g, c in probs]
                    times[key].append(time.perf_counter() - t0)
            same = all(np.array_equal(a['cmc'], b['cmc'])
                       and a['mAP'] == b['mAP'] and a['mINP'] == b['mINP']
                       for a, b in zip(outs['now'], outs['previous']))
            med = {k: statistics.median(v) for k, v in times.items()}
            low = {k: min(v) for k, v in times.items()}
            print(f'{label:20s} alternating: now '
                  f'{1e3 * med["now"] / trials:.1f}, previous '
                  f'{1e3 * med["previous"] / trials:.1f} ms/trial -> '
                  f'{med["previous"] / med["now"]:.2f}x (min/min '
                  f'{low["previous"] / low["now"]:.2f}x); identical '
                  f'results: {same}')
            row[f'previous_{kw.get("protocol", "market")}_s'] = \
                med['previous']
    sub = probs[:peer_trials]
    if rank_cy is not None:
        f32 = [(d.astype(np.float32), g, c) for d, g, c in sub]
        t_c, tmin_c, res_c = _median_time(lambda: [
            rank_cy(d, q_pids, g, q_camids, c, 20) for d, g, c in f32],
            repeats)
        per_c, per_c_min = t_c / len(sub), tmin_c / len(sub)
        row['rank_cy_s_per_trial'] = per_c
        worst = max(float(np.abs(np.asarray(cmc) - r['cmc']).max())
                    for (cmc, _), r in zip(res_c, res_m))
        print(f'torchreid rank_cy (compiled): {1e3 * per_c:8.1f} ms/trial'
              f' (min {1e3 * per_c_min:.1f})  (max |dCMC| {worst:.1e}, '
              f'float32 input)\n'
              f'  rank_cy / vireid, median (min/min): Market rule '
              f'{per_c / (t_m / trials):.1f}x '
              f'({per_c_min / (tmin_m / trials):.1f}x)'
              f', {protocol} protocol rule {per_c / (t / trials):.1f}x '
              f'({per_c_min / (tmin / trials):.1f}x)')
    if evaluate_rank is not None:
        one = sub[:1]
        t_p, _, res_p = _median_time(lambda: [
            evaluate_rank(d, q_pids, g, q_camids, c, max_rank=20,
                          use_cython=False) for d, g, c in one], 1)
        row['torchreid_python_s_per_trial'] = t_p
        d_map = abs(res_p[0][1] - res_m[0]['mAP'])
        print(f'torchreid python            : {1e3 * t_p:8.1f} ms/trial'
              f'  -> {t_p / (t_m / trials):.0f}x  (|dmAP| {d_map:.1e})')
    if oracle is not None:
        d, g, c = probs[0]
        n = min(300, shape[0])  # the loop is slow: time 300 queries
        t_o, _, _ = _median_time(lambda: oracle(
            d[:n], q_pids[:n], g, q_camids[:n], c, protocol), 1)
        per_o = t_o * shape[0] / n
        row['loop_s_per_trial'] = per_o
        print(f'per-query loop (oracle)     : {1e3 * per_o:8.1f} ms/trial'
              f' (extrapolated from {n} queries) -> '
              f'{per_o / (t / trials):.0f}x')
    return row


def metric_path(repeats, device=None):
    """compute_metrics vs its ranking core on SYSU-sized 2048-d results
    (``device``: ``VIReIDMetric(distance_device=...)``, where the float32
    products are computed)."""
    import torch

    from vireid.evaluation.metrics import VIReIDMetric
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((96, 2048)).astype(np.float32)
    results = []
    for i in range(3803 + 6775):
        q = i < 3803
        pid = int(rng.integers(96))
        cam = (3 if i < 1883 else 6) if q else int(rng.choice([1, 2, 4, 5]))
        results.append(dict(
            feature=torch.from_numpy(centres[pid] + rng.standard_normal(
                2048).astype(np.float32)), pid=pid, camid=cam,
            modality=int(q), is_query=q,
            rel_path=f'cam{cam}/{pid:04d}/{i:05d}.jpg'))
    import vireid.evaluation.metrics.vireid_metric as vm
    orig, orig_product = vm.evaluate_ranking, vm.float32_product
    print(f'\n== metric path: SYSU all-search, 10 trials, 2048-d; float32 '
          f'products on {device or "the CPU (numpy)"} ==')
    out = {}
    for exact in (False, True):
        metric = VIReIDMetric(exact_distances=exact, distance_device=device)
        metric.log_table = False
        core, product = [], []

        def timer(fn, into):
            def timed(*a, **k):
                t0 = time.perf_counter()
                res = fn(*a, **k)
                into.append(time.perf_counter() - t0)
                return res
            return timed

        vm.evaluate_ranking = timer(orig, core)
        vm.float32_product = timer(orig_product, product)
        try:
            t, tmin, res = _median_time(
                lambda: metric.compute_metrics(results), repeats)
        finally:
            vm.evaluate_ranking, vm.float32_product = orig, orig_product
        # ten trials (ten ranking calls) per run
        per_run = [sum(core[r * 10:(r + 1) * 10]) for r in range(repeats)]
        core_med, core_min = statistics.median(per_run), min(per_run)
        # (the certified path: one product against the union per run)
        prod_med = statistics.median(product) if product else 0.0
        name = 'float64 products' if exact else 'certified float32'
        recomputed = sum(t_.get('num_float64_rows', 0)
                         for t_ in metric.last_results['trials'])
        print(f'compute_metrics, {name:17s}: {t:.3f} s (min {tmin:.3f}); '
              f'ranking core {core_med:.3f} s (min {core_min:.3f}); '
              f'path / core = {t / core_med:.1f} (min/min '
              f'{tmin / core_min:.1f})' +
              ('' if exact else f'; {recomputed} query rows recomputed in '
               f'float64 over the trials'))
        if product:
            rest = t - prod_med - core_med
            print(f'  of which the float32 product {prod_med:.3f} s, the '
                  f'ranking core {core_med:.3f} s, the rest {rest:.3f} s; '
                  f'(path - product) / core = '
                  f'{(t - prod_med) / core_med:.1f}')
        out['exact' if exact else 'certified'] = dict(
            metric_path_s=t, metric_path_min_s=tmin, ranking_core_s=core_med,
            product_s=prod_med, metrics=res)
    same = out['exact']['metrics'] == out['certified']['metrics']
    ratio = out['certified']['metric_path_s'] / out['exact']['metric_path_s']
    print(f'certified / float64 path time: {ratio:.2f}; metrics identical: '
          f'{same}')
    return dict(metric_path_s=out['certified']['metric_path_s'],
                ranking_core_s=out['certified']['ranking_core_s'],
                product_s=out['certified']['product_s'],
                exact_metric_path_s=out['exact']['metric_path_s'],
                identical=same)


SCALING = [(3803, 301), (3803, 3010), (10000, 10000), (20000, 15000),
           (40000, 30000)]


def scaling_one(num_q, num_g):
    rng = np.random.default_rng(0)
    ids = max(num_g // 10, 2)
    centres = rng.standard_normal((ids, 64))
    q_pids = rng.integers(0, ids, num_q)
    g_pids = np.arange(num_g) % ids
    qf = centres[q_pids] + 1.6 * rng.standard_normal((num_q, 64))
    gf = centres[g_pids] + 1.6 * rng.standard_normal((num_g, 64))
    q_cams = rng.choice([3, 6], num_q)
    g_cams = rng.choice([1, 2, 4, 5], num_g)
    t0 = time.perf_counter()
    res = evaluate_ranking(DistanceRows(qf, gf), q_pids, g_pids, q_cams,
                           g_cams, protocol='sysu')
    secs = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps(dict(q=num_q, g=num_g, secs=secs, peak_rss_gib=rss,
                          mAP=res['mAP'])))


def scaling():
    print('\n== scaling: evaluate_ranking(DistanceRows), SYSU rule, 64-d, '
          'one process per size ==')
    rows = []
    for num_q, num_g in SCALING:
        out = subprocess.run(
            [sys.executable, __file__, '--scaling-one', str(num_q),
             str(num_g)], capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f'{num_q:6d} x {num_g:6d}: {row["secs"]:8.2f} s, peak RSS '
              f'{row["peak_rss_gib"]:.2f} GiB, '
              f'{1e9 * row["secs"] / (num_q * num_g):.1f} ns/entry')
    x = np.log([r['q'] * r['g'] for r in rows])
    y = np.log([r['secs'] for r in rows])
    slope = np.polyfit(x, y, 1)[0]
    print(f'fitted growth: time ~ (Q x G)^{slope:.2f}')
    return rows, slope


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cases', nargs='+', default=list(CASES),
                        choices=list(CASES))
    parser.add_argument('--trials', type=int, default=10)
    parser.add_argument('--peer-trials', type=int, default=3,
                        help='trials timed for rank_cy')
    parser.add_argument('--repeats', type=int, default=3,
                        help='median of this many runs')
    parser.add_argument('--rank-cy-source', default=None)
    parser.add_argument('--skip-torchreid', action='store_true')
    parser.add_argument('--skip-loop', action='store_true')
    parser.add_argument(
        '--previous', default=None, metavar='FILE.py',
        help='also time the evaluate_ranking of this file (e.g. an older '
        'plugins/vireid/evaluation/functional/ranking.py taken with '
        '`git show REV:PATH > old.py`) on the same matrices in the same '
        'run, and check that the results are identical')
    parser.add_argument('--metric-path', action='store_true')
    parser.add_argument(
        '--device', default=None,
        help="with --metric-path: VIReIDMetric's distance_device, where the "
        "certified float32 products run (e.g. 'cuda'); default numpy on "
        'the CPU')
    parser.add_argument('--scaling', action='store_true')
    parser.add_argument('--scaling-one', type=int, nargs=2,
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scaling_one:
        return scaling_one(*args.scaling_one)
    if args.scaling:
        return scaling()
    if args.metric_path:
        return metric_path(args.repeats, args.device)
    print(f'numpy {np.__version__}')
    rank_cy, why = build_rank_cy(args.rank_cy_source)
    print(f'torchreid rank_cy: {"available, " if rank_cy else "NOT timed: "}'
          f'{why}')
    evaluate_rank = None
    if not args.skip_torchreid:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            from torchreid.reid.metrics.rank import evaluate_rank
    oracle = None if args.skip_loop else loop_oracle()
    previous = None
    if args.previous:
        import importlib.util
        spec = importlib.util.spec_from_file_location('previous_ranking',
                                                      args.previous)
        previous = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(previous)
    return [run_case(name, args.trials if name == 'sysu-1shot' else
                     min(args.trials, 3), args.repeats, rank_cy,
                     evaluate_rank, oracle, args.peer_trials, previous)
            for name in args.cases]


if __name__ == '__main__':
    main()
