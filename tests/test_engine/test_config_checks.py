# Copyright (c) vireid contributors. All rights reserved.
"""Build-time checks of configs and command lines, and one-line errors."""
import os.path as osp
import subprocess
import sys
import types

import pytest
from mmengine.config import Config

from vireid.utils.config_check import (check_cfg_options, check_cli_args,
                                       check_config, check_work_dir)
from vireid.utils.errors import ConfigError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY = osp.join(ROOT, 'tests', 'test_engine', 'toy_config.py')
AGW = osp.join(ROOT, 'projects', 'agw', 'demo.py')


@pytest.fixture(scope='module')
def toy():
    return Config.fromfile(TOY)


@pytest.fixture(scope='module')
def agw():
    return Config.fromfile(AGW)


def _merged(cfg, **options):
    cfg = cfg.copy()
    cfg.merge_from_dict(options)
    return cfg


def test_shipped_configs_pass(toy, agw, tmp_path):
    check_config(_merged(toy, work_dir=str(tmp_path)))
    check_config(_merged(agw, work_dir=str(tmp_path)))


def test_top_level_typos(toy):
    cfg = _merged(toy)
    cfg.trian_dataloader = dict(batch_size=8)
    cfg.optim_warpper = dict()
    with pytest.raises(ConfigError) as info:
        check_config(cfg)
    msg = str(info.value)
    assert "'trian_dataloader' (did you mean 'train_dataloader'?)" in msg
    assert "did you mean 'optim_wrapper'" in msg
    # helper variables of configs are not flagged
    cfg = _merged(toy)
    cfg.train_pipeline, cfg.data_root, cfg.img_scale = [], 'x', (1, 2)
    check_config(cfg)


def test_cfg_options_keys(toy, agw):
    check_cfg_options(toy, {'train_dataloader.batch_size': 8,
                            'train_cfg.val_begin': 2,  # a new argument
                            'model.init_cfg': None})
    check_cfg_options(agw, {'train_dataloader.dataset.pipeline.1.scale':
                            (64, 32)})
    cases = {
        'trian_dataloader.batch_size': "did you mean 'train_dataloader'",
        'train_dataloader.batch_sise': "did you mean 'batch_size'",
        'model.backbone.depth': "model has no key 'backbone'",
        'train_cfg.max_epochs.x': 'is a int',
        'nonsense_key': "no key 'nonsense_key'",
    }
    for key, needle in cases.items():
        with pytest.raises(ConfigError, match=needle.replace('(', r'\(')):
            check_cfg_options(toy, {key: 1})
    with pytest.raises(ConfigError, match='is not an index'):
        check_cfg_options(agw, {'train_dataloader.dataset.pipeline.x': 1})


def test_cli_args():
    check_cli_args(['cfg.py', '--cfg-options', 'a=1', 'b.c=2', '--amp'])
    with pytest.raises(ConfigError, match="'a' is not key=value"):
        check_cli_args(['cfg.py', '--cfg-options', 'a'])
    with pytest.raises(ConfigError, match='no key'):
        check_cli_args(['--cfg-options', '=3'])


def test_batch_size_vs_sampler(agw):
    bs = agw.train_dataloader.batch_size
    sampler = agw.train_dataloader.sampler
    assert bs == sampler.num_ids * 2 * sampler.num_instances
    with pytest.raises(ConfigError, match=r'P x 2K = .* = %d' % bs):
        check_config(_merged(agw, **{'train_dataloader.batch_size': bs - 2}))
    interleaved = _merged(agw, **{
        'train_dataloader.sampler.interleave': True,
        'train_dataloader.batch_size': bs})
    with pytest.raises(ConfigError, match='P x K'):
        check_config(interleaved)


def test_loader_values(toy):
    for opts, needle in (
        ({'train_dataloader.persistent_workers': True}, 'persistent_workers'),
        ({'train_dataloader.num_workers': -1}, 'num_workers'),
        ({'test_dataloader.batch_size': 0}, 'batch_size'),
    ):
        with pytest.raises(ConfigError, match=needle):
            check_config(_merged(toy, **opts))


def test_protocol_vs_dataset(agw):
    with pytest.raises(ConfigError, match=r"test_evaluator.protocol='regdb'"
                       r".*SYSUMM01Dataset.*'sysu'"):
        check_config(_merged(agw, **{'test_evaluator.protocol': 'regdb'}))
    with pytest.raises(ConfigError, match='val_evaluator'):
        check_config(_merged(agw, **{'val_evaluator.protocol': 'llcm'}))


def test_amp_without_gpu(toy, monkeypatch):
    import torch
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cfg = _merged(toy, **{'optim_wrapper.type': 'AmpOptimWrapper'})
    with pytest.raises(ConfigError, match='needs a GPU'):
        check_config(cfg)


def test_work_dir_and_load_from(toy, tmp_path):
    afile = tmp_path / 'f.txt'
    afile.write_text('x')
    with pytest.raises(ConfigError, match='is a file'):
        check_work_dir(str(afile))
    with pytest.raises(ConfigError, match='is a file'):
        check_work_dir(str(afile / 'sub'))
    with pytest.raises(ConfigError, match='load_from nope.pth does not'):
        check_config(_merged(toy, load_from='nope.pth'))


def test_num_classes_vs_training_set():
    import torch.nn as nn

    from vireid.engine.hooks import ConsistencyCheckHook
    head = nn.Linear(2, 2)
    head.num_classes = 7
    model = nn.Sequential()
    model.add_module('head', head)
    dataset = types.SimpleNamespace(metainfo=dict(num_classes=6,
                                                  data_root='d'))
    runner = types.SimpleNamespace(
        model=model,
        train_dataloader=types.SimpleNamespace(dataset=dataset))
    with pytest.raises(ConfigError, match=r'model.head.num_classes=7.* has '
                       r'6 identities'):
        ConsistencyCheckHook().before_train(runner)
    head.num_classes = 6
    ConsistencyCheckHook().before_train(runner)


def test_run_cli_one_line(capsys):
    from vireid.utils.cli import run_cli

    def bad(argv):
        raise ConfigError('the message\nsecond line')

    with pytest.raises(SystemExit) as info:
        run_cli(bad, [])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err == 'error: the message second line\n'

    def bug(argv):
        return {}['missing']

    with pytest.raises(SystemExit):
        run_cli(bug, [])
    assert 'KeyError' in capsys.readouterr().err  # not vireid's: type shown
    with pytest.raises(KeyError):
        run_cli(bug, ['--debug'])  # --debug: the real exception


def test_tools_exit_2_without_traceback(tmp_path):
    """A real process per tool would be slow; one process runs several
    tools' ``__main__`` (``runpy``) and reports status and stderr."""
    afile = tmp_path / 'f.txt'
    afile.write_text('x')
    script = f'''
import contextlib, io, json, runpy, sys
cases = [
    ['tools/train.py', 'nope.py'],
    ['tools/train.py', {TOY!r}, '--work-dir', {str(afile)!r}],
    ['tools/train.py', {TOY!r}, '--cfg-options', 'trian_cfg.x=1'],
    ['tools/test.py', {TOY!r}, 'nope.pth'],
    ['tools/evaluate_features.py', '--npz', 'nope.npz', '--protocol', 'sysu'],
    ['tools/make_synthetic.py', '--out', {str(tmp_path)!r}, '--num-ids', '-5'],
    ['tools/visualize_ranks.py', 'nope.py', 'x.pth', '--out-dir', 'x'],
    ['tools/demo.py', '--config', 'nope.py', '--work-dir', {str(tmp_path)!r}],
    ['tools/model_converters/publish_model.py', 'nope.pth', 'o.pth'],
]
out = []
for argv in cases:
    err = io.StringIO()
    sys.argv = argv
    with contextlib.redirect_stderr(err):
        try:
            runpy.run_path(argv[0], run_name='__main__')
            code = 0
        except SystemExit as e:
            code = e.code
    out.append([argv[0], code, err.getvalue()])
print(json.dumps(out))
'''
    env = dict(PYTHONPATH=f'{ROOT}:{ROOT}/plugins', PATH='/usr/bin:/bin')
    p = subprocess.run([sys.executable, '-c', script], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    import json
    results = json.loads(p.stdout.strip().splitlines()[-1])
    assert len(results) == 9
    for tool, code, err in results:
        assert code == 2, (tool, code, err)
        assert 'Traceback' not in err, (tool, err)
        assert err.strip().splitlines()[-1].startswith(
            ('error:', tool.split('/')[-1] + ': error:')), (tool, err)
    # and a real process: exit status 2, one line, no traceback
    p = subprocess.run([sys.executable, 'tools/train.py', 'nope.py'],
                       cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 2
    assert p.stderr == 'error: config file nope.py not found\n'
