# Copyright (c) vireid contributors. All rights reserved.
"""The benchmark scripts run end to end on CPU at tiny sizes (no timing is
asserted: speed is measured by running them, not by the tests)."""
import importlib.util
import math
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _load(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(ROOT, 'benchmarks', f'{name}.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_train_speed_runs_runner_and_plain_loop():
    out = _load('train_speed').main([
        '--config', osp.join(ROOT, 'projects/agw/demo.py'), '--size', '32',
        '16', '--iters', '1', '--warmup', '0', '--workers', '0'])
    assert out['size'] == (32, 16) and out['amp'] == 'fp32'
    for key in ('runner_img_s', 'plain_img_s', 'ratio',
                'train_gflop_per_iter'):
        assert out[key] > 0 and math.isfinite(out[key]), key
    assert out['bf16_peak_fraction'] is None  # CPU: no peak fraction


def test_train_speed_refuses_amp_without_cuda():
    import torch
    if torch.cuda.is_available():
        pytest.skip('a CUDA device is present')
    with pytest.raises(SystemExit, match='--amp needs a CUDA device'):
        _load('train_speed').main([
            '--config', osp.join(ROOT, 'projects/agw/demo.py'), '--amp',
            'bf16'])


def test_pipeline_speed_times_references_and_a_config():
    rows = _load('pipeline_speed').main([
        '--num', '3', '--repeats', '1', '--src-size', '64', '32',
        '--configs', 'projects/agw/config.py'])
    names = [r[0] for r in rows]
    # two references, the config, and (sources not at 288x144) the config
    # on a pre-resized copy
    assert names[0].startswith('agw-as-run') and len(rows) == 4
    assert names[3].endswith('pre-resized copy')
    assert all(r[1] > 0 for r in rows)


def test_eval_speed_runs_one_case_without_peers():
    rows = _load('eval_speed').main([
        '--cases', 'sysu-1shot', '--trials', '1', '--repeats', '1',
        '--skip-torchreid', '--skip-loop', '--rank-cy-source',
        '/nonexistent.pyx'])
    assert rows[0]['shape'] == (3803, 301)
    assert rows[0]['vireid_protocol_s'] > 0
