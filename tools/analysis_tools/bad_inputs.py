# Copyright (c) vireid contributors. All rights reserved.
"""Feed every tool bad input and check it fails cleanly (issue 13).

Each case runs one tool in a subprocess and must end with exit status 2
(argparse's usage errors included) and an ``error:`` line, with no Python
traceback; cases marked ``ok`` must succeed (e.g. ``--resume auto`` with
nothing to resume starts from scratch). A markdown table goes to stdout
(``--out`` writes it to a file as well)::

    python tools/analysis_tools/bad_inputs.py [--jobs 2] [-k SUBSTRING]

Fixtures (a toy run, a tiny synthetic SYSU-MM01 copy, broken files) are
made in a temporary folder first (about 30 s on 2 cores).
"""
import argparse
import concurrent.futures as futures
import os
import os.path as osp
import shutil
import subprocess
import sys
import tempfile
import time
from typing import List, NamedTuple, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY = osp.join(ROOT, 'tests', 'test_engine', 'toy_config.py')
AGW = osp.join(ROOT, 'projects', 'agw', 'demo.py')
ICRE = osp.join(ROOT, 'projects', 'icre', 'demo.py')


class Case(NamedTuple):
    name: str
    argv: List[str]
    expect: str = 'error'  # or 'ok'
    needs: Optional[str] = None  # text the error line must contain


def _write(path: str, text: str) -> str:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    return path


def make_fixtures(d: str) -> dict:
    """Create the files the cases use, under ``d``."""
    import numpy as np
    import torch
    sys.path[:0] = [ROOT, osp.join(ROOT, 'plugins')]
    from mmengine.config import Config
    from tools.train import build_runner
    fx = dict(d=d)
    # a trained toy run
    cfg = Config.fromfile(TOY)
    cfg.work_dir = osp.join(d, 'run')
    cfg.train_cfg.max_epochs = 1
    cfg.experiment_name = 'bad_inputs_fixture'
    build_runner(cfg).train()
    fx['ckpt'] = osp.join(d, 'run', 'epoch_1.pth')
    data = open(fx['ckpt'], 'rb').read()
    fx['trunc'] = osp.join(d, 'trunc.pth')
    open(fx['trunc'], 'wb').write(data[:len(data) // 2])

    class Evil:

        def __reduce__(self):
            return (os.system, (f'touch {d}/PWNED',))

    fx['evil'] = osp.join(d, 'run', 'planted.pth')
    torch.save({'state_dict': {}, 'x': Evil()}, fx['evil'])
    fx['text'] = _write(osp.join(d, 'notes.pth'), 'not a checkpoint\n')
    fx['tensor'] = osp.join(d, 'tensor.pth')
    torch.save(torch.ones(3), fx['tensor'])
    fx['file'] = _write(osp.join(d, 'afile.txt'), 'x\n')
    fx['folder'] = osp.join(d, 'afolder')
    os.makedirs(fx['folder'])
    # configs with typos
    fx['typo_cfg'] = _write(
        osp.join(d, 'typo_cfg.py'),
        f"_base_ = ['{TOY}']\ntrian_cfg = dict(max_epochs=1)\n")
    fx['syntax_cfg'] = _write(osp.join(d, 'syntax_cfg.py'),
                              'model = dict(type=\n')
    fx['type_cfg'] = _write(
        osp.join(d, 'type_cfg.py'),
        f"_base_ = ['{TOY}']\nmodel = dict(type='NoSuchModel')\n")
    fx['kwarg_cfg'] = _write(
        osp.join(d, 'kwarg_cfg.py'),
        f"_base_ = ['{TOY}']\nmodel = dict(num_idz=6)\n")
    fx['import_cfg'] = _write(
        osp.join(d, 'import_cfg.py'),
        f"_base_ = ['{TOY}']\ncustom_imports = dict(imports=['no_such_mod'],"
        f" allow_failed_imports=False)\n")
    # a tiny synthetic SYSU-MM01 and broken copies
    from vireid.datasets import make_synthetic
    make_synthetic(osp.join(d, 'syn'), layouts=('sysu', ), num_ids=8,
                   img_size=(32, 16), workers=1)
    fx['sysu'] = osp.join(d, 'syn', 'SYSU-MM01')
    fx['sysu_missing'] = osp.join(d, 'sysu_missing')
    shutil.copytree(fx['sysu'], fx['sysu_missing'])
    ids = open(osp.join(fx['sysu'], 'exp', 'train_id.txt')).read().strip()
    _write(osp.join(fx['sysu_missing'], 'exp', 'train_id.txt'),
           ids + ',0999\n')
    fx['sysu_badid'] = osp.join(d, 'sysu_badid')
    shutil.copytree(fx['sysu'], fx['sysu_badid'])
    _write(osp.join(fx['sysu_badid'], 'exp', 'train_id.txt'), ids + ',x7\n')
    # AGW demo checkpoints of other widths / methods
    from mmengine.registry import init_default_scope
    from vireid.registry import MODELS
    init_default_scope('vireid')
    for name, path, edit in (
            ('agw16', AGW, dict(backbone=dict(base_width=16),
                                head=dict(in_channels=128))),
            ('icre', ICRE, {})):
        c = Config.fromfile(path)
        c.model.head.num_classes = 6  # the tiny SYSU copy's identities
        if edit:
            c.merge_from_dict(dict(model=edit))
        model = MODELS.build(c.model)
        fx[name] = osp.join(d, f'{name}.pth')
        torch.save(dict(state_dict=model.state_dict(), meta={}), fx[name])
    # npz sets for evaluate_features
    rng = np.random.default_rng(0)
    q_pids, g_pids = np.arange(4), np.repeat(np.arange(4), 2)
    qf, gf = rng.normal(size=(4, 8)), rng.normal(size=(8, 8))
    good = dict(qf=qf, gf=gf, q_pids=q_pids, g_pids=g_pids,
                q_camids=np.full(4, 3), g_camids=np.tile([1, 2], 4))

    def npz(name, **kw):
        arrays = dict(good)
        arrays.update(kw)
        arrays = {k: v for k, v in arrays.items() if v is not None}
        path = osp.join(d, f'{name}.npz')
        np.savez(path, **arrays)
        return path

    fx['npz_ok'] = npz('ok')
    fx['npz_cam0'] = npz('cam0', q_camids=np.full(4, 2),
                         g_camids=np.tile([0, 1], 4))
    fx['npz_qvis'] = npz('qvis', q_camids=np.full(4, 1))
    fx['npz_llcm0'] = npz('llcm0', q_camids=np.full(4, 0))
    fx['npz_zero'] = npz('zero', qf=np.zeros((4, 8)), gf=np.zeros((8, 8)))
    fx['npz_const'] = npz('const', qf=None, gf=None,
                          distmat=np.ones((4, 8)))
    nan = qf.copy()
    nan[1, 2] = np.nan
    fx['npz_nan'] = npz('nan', qf=nan)
    fx['npz_shape'] = npz('shape', qf=None, gf=None,
                          distmat=np.ones((3, 8)))
    fx['npz_float'] = npz('float', q_pids=q_pids.astype(float))
    fx['npz_nopids'] = npz('nopids', q_pids=None)
    fx['npz_len'] = npz('len', q_camids=np.full(3, 3))
    fx['npz_dim'] = npz('dim', gf=rng.normal(size=(8, 5)))
    fx['npz_both'] = npz('both', distmat=np.ones((4, 8)))
    fx['npz_obj'] = osp.join(d, 'obj.npz')
    np.savez(fx['npz_obj'], paths=np.array(['a', 1], dtype=object),
             feats=np.ones((2, 4)))
    fx['npz_paths'] = osp.join(d, 'paths.npz')
    np.savez(fx['npz_paths'], paths=np.array(['cam3/9999/0001.jpg']),
             feats=np.ones((1, 4)))
    return fx


def cases(fx: dict) -> List[Case]:
    """The bad inputs."""
    d, ck = fx['d'], fx['ckpt']
    wd = osp.join(d, 'wd')
    tr, te = 'tools/train.py', 'tools/test.py'
    ev, ms = 'tools/evaluate_features.py', 'tools/make_synthetic.py'
    pub = 'tools/model_converters/publish_model.py'
    agw_data = [f'{k}.dataset.data_root={fx["sysu"]}' for k in (
        'train_dataloader', 'val_dataloader', 'test_dataloader')] + [
            f'{k}.num_workers=0' for k in ('train_dataloader',
                                           'val_dataloader',
                                           'test_dataloader')] + [
            'train_dataloader.persistent_workers=False',
            'val_dataloader.persistent_workers=False',
            'test_dataloader.persistent_workers=False']
    agw_small = agw_data + ['model.head.num_classes=6',
                            'train_dataloader.sampler.num_ids=4',
                            'train_dataloader.batch_size=32']

    def agw(*opts):
        return [tr, AGW, '--work-dir', osp.join(d, 'agw_wd'),
                '--cfg-options'] + agw_small + list(opts)

    def agwt(ckpt, *opts):
        return [te, AGW, ckpt, '--work-dir', osp.join(d, 'agw_wd'),
                '--cfg-options'] + agw_small + list(opts)

    npz = lambda key, *more: [ev, '--npz', fx[key]] + list(more)  # noqa
    return [
        # ---- train.py: files and folders
        Case('train: config file missing', [tr, 'nope.py'], needs='nope'),
        Case('train: config is a folder', [tr, fx['folder']]),
        Case('train: config has a syntax error', [tr, fx['syntax_cfg']]),
        Case('train: --work-dir is a file', [tr, TOY, '--work-dir',
                                             fx['file']], needs='file'),
        Case('train: --work-dir unwritable', [tr, TOY, '--work-dir',
                                              '/proc/vireid/wd']),
        # ---- --cfg-options
        Case('train: --cfg-options key without =', [
            tr, TOY, '--cfg-options', 'train_cfg.max_epochs'], needs='='),
        Case('train: --cfg-options =value', [tr, TOY, '--cfg-options',
                                             '=3']),
        Case('train: --cfg-options top-level typo', [
            tr, TOY, '--cfg-options', 'trian_dataloader.batch_size=8'],
             needs='did you mean'),
        Case('train: --cfg-options nested typo', [
            tr, TOY, '--cfg-options', 'train_dataloader.batch_sise=8'],
             needs='batch_size'),
        Case('train: --cfg-options path matches nothing', [
            tr, TOY, '--cfg-options', 'model.backbone.depth=18'],
             needs='model'),
        Case('train: --cfg-options index into a non-list', [
            tr, TOY, '--cfg-options', 'train_cfg.max_epochs.x=1']),
        Case('train: unknown top-level key in the config file',
             [tr, fx['typo_cfg'], '--work-dir', wd], needs='trian_cfg'),
        Case('train: unknown model type', [tr, fx['type_cfg'],
                                           '--work-dir', wd]),
        Case('train: unknown model argument', [tr, fx['kwarg_cfg'],
                                               '--work-dir', wd]),
        Case('train: custom_imports of a missing module',
             [tr, fx['import_cfg'], '--work-dir', wd]),
        # ---- data loader values
        Case('train: batch_size=0', [tr, TOY, '--work-dir', wd,
                                     '--cfg-options',
                                     'train_dataloader.batch_size=0']),
        Case('train: num_workers=-1', [tr, TOY, '--work-dir', wd,
                                       '--cfg-options',
                                       'train_dataloader.num_workers=-1']),
        Case('train: persistent_workers with num_workers=0', [
            tr, TOY, '--work-dir', wd, '--cfg-options',
            'train_dataloader.persistent_workers=True'],
             needs='persistent_workers'),
        Case('train: --amp on CPU', [tr, TOY, '--work-dir', wd, '--amp'],
             needs='GPU'),
        # ---- resume / load_from
        Case('train: --resume with nothing to resume',
             [tr, TOY, '--work-dir', osp.join(d, 'empty_wd'), '--resume'],
             needs='nothing to resume'),
        Case('train: --resume auto with nothing to resume (fresh start)',
             [tr, TOY, '--work-dir', osp.join(d, 'auto_wd'), '--resume',
              'auto', '--cfg-options', 'train_cfg.max_epochs=1'],
             expect='ok'),
        Case('train: --resume missing file', [tr, TOY, '--work-dir', wd,
                                              '--resume', 'nope.pth']),
        Case('train: --resume truncated file', [tr, TOY, '--work-dir', wd,
                                                '--resume', fx['trunc']],
             needs='truncated'),
        Case('train: load_from missing', [tr, TOY, '--work-dir', wd,
                                          '--cfg-options',
                                          'load_from=nope.pth']),
        Case('train: load_from a pickle planted in the work dir', [
            tr, TOY, '--work-dir', osp.join(d, 'run'), '--cfg-options',
            f'load_from={fx["evil"]}', 'train_cfg.max_epochs=2'],
             needs='refused'),
        Case('train: load_from another model (num_ids 7 vs 6)', [
            tr, TOY, '--work-dir', wd, '--cfg-options', f'load_from={ck}',
            'model.num_ids=7'], needs='does not fit'),
        Case('train: --launcher pytorch without torchrun', [
            tr, TOY, '--work-dir', wd, '--launcher', 'pytorch']),
        # ---- AGW demo on a tiny SYSU-MM01 copy
        Case('train: batch size not P x 2K', agw(
            'train_dataloader.batch_size=30'), needs='P x 2K'),
        Case('train: head num_classes larger than the data set',
             agw('model.head.num_classes=7'), needs='num_classes'),
        Case('train: head num_classes smaller than the data set',
             agw('model.head.num_classes=5'), needs='num_classes'),
        Case('train: test protocol regdb on SYSU data',
             agw('test_evaluator.protocol=regdb'), needs='protocol'),
        Case('train: val protocol llcm on SYSU data',
             agw('val_evaluator.protocol=llcm'), needs='protocol'),
        Case('train: data_root missing', agw(
            'train_dataloader.dataset.data_root=/nonexistent/SYSU')),
        Case('train: id in train_id.txt without a folder', agw(
            f'train_dataloader.dataset.data_root={fx["sysu_missing"]}'),
             needs='0999'),
        Case('train: malformed id in train_id.txt', agw(
            f'train_dataloader.dataset.data_root={fx["sysu_badid"]}'),
             needs='x7'),
        Case('train: sampler num_ids larger than the identities', agw(
            'train_dataloader.sampler.num_ids=32',
            'train_dataloader.batch_size=256')),
        # ---- test.py
        Case('test: checkpoint missing', [te, TOY, 'nope.pth'],
             needs='nope.pth'),
        Case('test: checkpoint is a folder', [te, TOY, fx['folder']]),
        Case('test: checkpoint truncated', [te, TOY, fx['trunc'],
                                            '--work-dir', wd],
             needs='truncated'),
        Case('test: checkpoint is a text file', [te, TOY, fx['text'],
                                                 '--work-dir', wd]),
        Case('test: checkpoint is a bare tensor', [te, TOY, fx['tensor'],
                                                   '--work-dir', wd]),
        Case('test: pickle planted in the work dir', [
            te, TOY, fx['evil'], '--work-dir', osp.join(d, 'run')],
             needs='refused'),
        Case('test: checkpoint of another model (num_ids 7 vs 6)', [
            te, TOY, ck, '--work-dir', wd, '--cfg-options',
            'model.num_ids=7'], needs='does not fit'),
        Case('test: AGW checkpoint of another width', agwt(fx['agw16']),
             needs='shape mismatch'),
        Case('test: ICRE checkpoint in the AGW config', agwt(fx['icre']),
             needs='does not fit'),
        Case('test: --out is a folder', [te, TOY, ck, '--out',
                                         fx['folder']]),
        Case('test: --out unwritable', [te, TOY, ck, '--out',
                                        '/proc/vireid/m.json']),
        Case('test: --show-dir is a file', [te, TOY, ck, '--show-dir',
                                            fx['file']]),
        Case('test: --cfg-options typo', [te, TOY, ck, '--cfg-options',
                                          'test_dataloder.batch_size=2'],
             needs='did you mean'),
        Case('test: missing checkpoint argument', [te, TOY]),
        # ---- evaluate_features.py
        Case('eval: --npz missing', [ev, '--npz', 'nope.npz', '--protocol',
                                     'sysu']),
        Case('eval: --npz is a text file', [ev, '--npz', fx['text'],
                                            '--protocol', 'sysu']),
        Case('eval: --npz without --protocol', npz('npz_ok')),
        Case('eval: 0-based SYSU camera ids', npz('npz_cam0', '--protocol',
                                                  'sysu'), needs='0-based'),
        Case('eval: SYSU visible queries', npz('npz_qvis', '--protocol',
                                               'sysu'), needs='infrared'),
        Case('eval: 0-based LLCM camera ids', npz('npz_llcm0', '--protocol',
                                                  'llcm'), needs='1..9'),
        Case('eval: all-zero features', npz('npz_zero', '--protocol',
                                            'regdb'), needs='tie'),
        Case('eval: constant distance matrix', npz(
            'npz_const', '--protocol', 'regdb'), needs='equal'),
        Case('eval: NaN feature', npz('npz_nan', '--protocol', 'regdb'),
             needs='NaN'),
        Case('eval: distmat of the wrong shape', npz(
            'npz_shape', '--protocol', 'regdb')),
        Case('eval: float pids', npz('npz_float', '--protocol', 'regdb')),
        Case('eval: missing q_pids', npz('npz_nopids', '--protocol',
                                         'regdb')),
        Case('eval: query arrays of different lengths', npz(
            'npz_len', '--protocol', 'sysu')),
        Case('eval: qf and gf of different dimensions', npz(
            'npz_dim', '--protocol', 'regdb')),
        Case('eval: both distmat and features', npz('npz_both',
                                                    '--protocol', 'regdb')),
        Case('eval: --rerank with a distance matrix', npz(
            'npz_const', '--protocol', 'regdb', '--rerank')),
        Case('eval: --max-rank 0', npz('npz_ok', '--protocol', 'regdb',
                                       '--max-rank', '0')),
        Case('eval: --trials 0', npz('npz_ok', '--protocol', 'regdb',
                                     '--trials', '0')),
        Case('eval: --out is a folder', npz('npz_ok', '--protocol', 'regdb',
                                            '--out', fx['folder'])),
        Case('eval: --out unwritable', npz('npz_ok', '--protocol', 'regdb',
                                           '--out', '/proc/vireid/r.json')),
        Case('eval: --features without --root', [
            ev, '--features', fx['npz_paths'], '--dataset', 'sysu']),
        Case('eval: --features object array', [
            ev, '--features', fx['npz_obj'], '--dataset', 'sysu', '--root',
            fx['sysu']], needs='pickle'),
        Case('eval: --features path not in the split', [
            ev, '--features', fx['npz_paths'], '--dataset', 'sysu',
            '--root', fx['sysu']], needs='not in'),
        Case('eval: --features with a missing root', [
            ev, '--features', fx['npz_paths'], '--dataset', 'sysu',
            '--root', '/nonexistent']),
        Case('eval: a good set (control)', npz('npz_ok', '--protocol',
                                               'regdb'), expect='ok'),
        # ---- make_synthetic.py
        Case('synth: --num-ids -5', [ms, '--out', osp.join(d, 's'),
                                     '--num-ids', '-5'], needs='num-ids'),
        Case('synth: --num-ids 7 (odd, RegDB)', [ms, '--out',
                                                 osp.join(d, 's'),
                                                 '--num-ids', '7']),
        Case('synth: --noise nan', [ms, '--out', osp.join(d, 's'),
                                    '--noise', 'nan']),
        Case('synth: --noise -1', [ms, '--out', osp.join(d, 's'), '--noise',
                                   '-1']),
        Case('synth: --workers 0', [ms, '--out', osp.join(d, 's'),
                                    '--workers', '0']),
        Case('synth: --height 4', [ms, '--out', osp.join(d, 's'),
                                   '--height', '4']),
        Case('synth: --num-colors 99', [ms, '--out', osp.join(d, 's'),
                                        '--num-colors', '99']),
        Case('synth: --out is a file', [ms, '--out', fx['file']]),
        Case('synth: --out unwritable', [ms, '--out', '/proc/vireid/s',
                                         '--layout', 'sysu']),
        Case('synth: --out holds a data set already (no --overwrite)',
             [ms, '--out', osp.join(d, 'syn'), '--layout', 'sysu']),
        # ---- other tools
        Case('ranks: checkpoint missing', [
            'tools/visualize_ranks.py', TOY, 'nope.pth', '--out-dir',
            osp.join(d, 'r')]),
        Case('ranks: config missing', [
            'tools/visualize_ranks.py', 'nope.py', ck, '--out-dir',
            osp.join(d, 'r')]),
        Case('demo: config missing', ['tools/demo.py', '--config',
                                      'nope.py', '--work-dir',
                                      osp.join(d, 'demo')]),
        Case('demo: --cfg-options without =', [
            'tools/demo.py', '--work-dir', osp.join(d, 'demo'),
            '--data-root', osp.join(d, 'syn'), '--cfg-options', 'foo']),
        Case('publish: input missing', [pub, 'nope.pth',
                                        osp.join(d, 'p.pth')]),
        Case('publish: planted pickle', [pub, fx['evil'],
                                         osp.join(d, 'p.pth')],
             needs='refused'),
        Case('publish: truncated input', [pub, fx['trunc'],
                                          osp.join(d, 'p.pth')]),
        Case('publish: text input', [pub, fx['text'], osp.join(d, 'p.pth')]),
        Case('publish: bare tensor input', [pub, fx['tensor'],
                                            osp.join(d, 'p.pth')]),
        Case('publish: output is a folder', [pub, ck, fx['folder']]),
        Case('publish: a run checkpoint, weights-only (control)',
             [pub, ck, osp.join(d, 'pub', 'toy.pth')], expect='ok'),
    ]


def run_case(case: Case, timeout: float = 600) -> dict:
    env = dict(os.environ, PYTHONPATH=f'{ROOT}:{ROOT}/plugins',
               CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1')
    env.pop('VIREID_DEBUG', None)
    t0 = time.time()
    p = subprocess.run([sys.executable] + case.argv, cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=timeout)
    err_lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    last = err_lines[-1] if err_lines else ''
    tb = 'Traceback (most recent call last)' in p.stderr + p.stdout
    if case.expect == 'ok':
        good = p.returncode == 0 and not tb
    else:
        good = (p.returncode == 2 and not tb and 'error:' in last
                and (case.needs is None or case.needs in last))
    return dict(name=case.name, rc=p.returncode, traceback=tb, line=last,
                good=good, seconds=round(time.time() - t0, 1),
                stderr=p.stderr[-2000:])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--jobs', type=int, default=2)
    parser.add_argument('-k', default=None,
                        help='only cases whose name contains one of these '
                        '(comma-separated)')
    parser.add_argument('--out', default=None, help='write the table here')
    parser.add_argument('--keep', action='store_true',
                        help='keep the fixture folder')
    args = parser.parse_args(argv)
    d = tempfile.mkdtemp(prefix='vireid_bad_inputs_')
    try:
        fx = make_fixtures(d)
        keys = args.k.split(',') if args.k else None
        todo = [c for c in cases(fx)
                if keys is None or any(k in c.name for k in keys)]
        progress = (open(args.out + '.progress', 'w')
                    if args.out else None)

        def run_and_log(case):
            r = run_case(case)
            if progress is not None:
                progress.write(f"{'ok ' if r['good'] else 'BAD'} rc={r['rc']} "
                               f"{r['seconds']}s {r['name']}: {r['line']}\n")
                progress.flush()
            return r

        with futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            results = list(pool.map(run_and_log, todo))
        pwned = osp.exists(osp.join(d, 'PWNED'))
    finally:
        if not args.keep:
            shutil.rmtree(d, ignore_errors=True)
    lines = ['| # | bad input | exit | message (last stderr line) | ok |',
             '|---|---|---|---|---|']
    for i, r in enumerate(results, 1):
        msg = r['line'].replace('|', '\\|').replace(d, '$TMP')
        if len(msg) > 300:
            msg = msg[:300] + ' ...'
        lines.append(f"| {i} | {r['name']} | {r['rc']} | {msg} | "
                     f"{'yes' if r['good'] else '**NO**'} |")
    bad = [r for r in results if not r['good']]
    lines.append('')
    lines.append(f'{len(results) - len(bad)}/{len(results)} cases as '
                 f'expected; tracebacks: '
                 f'{sum(r["traceback"] for r in results)}; planted pickle '
                 f'executed: {pwned}')
    table = '\n'.join(lines)
    print(table)
    for r in bad:
        print(f'\n--- {r["name"]} (rc {r["rc"]})\n{r["stderr"]}',
              file=sys.stderr)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(table + '\n')
    return 1 if bad or pwned else 0


if __name__ == '__main__':
    sys.exit(main())
