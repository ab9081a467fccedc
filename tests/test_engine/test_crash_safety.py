# Copyright (c) vireid contributors. All rights reserved.
"""Nothing lost: a real SIGKILL while saving or mid-epoch, then exact resume.

The killed runs are ``tools/train.py`` subprocesses; the uninterrupted
reference and the resumes run in-process (through ``tools.train.main``).
"""
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time
import uuid

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY = osp.join(ROOT, 'tests', 'test_engine', 'toy_config.py')


def _config(tmp_path, name: str, hooks: str = '') -> str:
    """A toy config keeping one checkpoint (the demo configs' policy)."""
    path = tmp_path / f'{name}.py'
    path.write_text(
        f"_base_ = ['{TOY}']\n"
        f"experiment_name = 'crash_{name}_{uuid.uuid4().hex[:6]}'\n"
        "default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=1))\n"
        f"custom_hooks = [dict(type='ToyLossRecorder'){hooks}]\n")
    return str(path)


def _spawn(cfg: str, work_dir: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=f'{ROOT}:{ROOT}/plugins',
               CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1')
    return subprocess.Popen(
        [sys.executable, 'tools/train.py', cfg, '--work-dir', work_dir],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)


def _losses(work_dir) -> dict:
    """The last recorded loss of every iteration (a resumed run re-does the
    interrupted epoch's iterations; the later record wins)."""
    out = {}
    with open(osp.join(work_dir, 'losses.jsonl')) as f:
        for line in f:
            rec = json.loads(line)
            out[rec['iter']] = rec['loss']
    return out


def _train(cfg: str, work_dir: str, *extra: str):
    from tools.train import main
    return main([cfg, '--work-dir', work_dir, *extra])


def _assert_same_losses(ref: dict, got: dict) -> None:
    assert sorted(ref) == sorted(got) == list(range(18))
    for it in ref:
        assert got[it] == pytest.approx(ref[it], abs=1e-7), it
    assert len({round(v, 6) for v in ref.values()}) > 10  # not vacuous


@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('ref')
    work = str(tmp / 'run')
    _train(_config(tmp, 'ref'), work)
    return _losses(work)


@pytest.mark.slow
def test_sigkill_while_saving_keeps_the_previous_checkpoint(
        tmp_path, reference):
    work = str(tmp_path / 'run')
    killer = (", dict(type='ToyKillDuringSave', filename='epoch_2.pth')")
    proc = _spawn(_config(tmp_path, 'kill_save', killer), work)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL, err[-2000:]
    names = sorted(os.listdir(work))
    # the half-written file never got its real name; epoch 1 survived
    # although max_keep_ckpts=1, and last_checkpoint still names it
    assert 'epoch_2.pth' not in names
    assert any(n.startswith('.epoch_2.pth.tmp-') for n in names), names
    assert 'epoch_1.pth' in names
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert f.read().strip() == osp.join(work, 'epoch_1.pth')
    # `--resume` (latest) continues from epoch 1 and ends like the
    # uninterrupted run; the stale temporary file is cleaned up
    _train(_config(tmp_path, 'resume'), work, '--resume')
    _assert_same_losses(reference, _losses(work))
    names = sorted(os.listdir(work))
    assert not [n for n in names if '.tmp-' in n], names
    assert [n for n in names if n.endswith('.pth')] == ['epoch_3.pth']


@pytest.mark.slow
def test_sigkill_mid_epoch_resumes_exactly(tmp_path, reference):
    work = str(tmp_path / 'run')
    # 6 iterations per epoch: pause (and get killed) at iteration 9 of 18
    proc = _spawn(_config(tmp_path, 'kill_mid',
                          ", dict(type='ToyPauseAt', iteration=9)"), work)
    deadline = time.time() + 300
    while not osp.exists(osp.join(work, 'paused')):
        assert proc.poll() is None, proc.stderr.read()[-2000:]
        assert time.time() < deadline
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert not osp.exists(osp.join(work, 'epoch_2.pth'))
    _train(_config(tmp_path, 'resume'), work, '--resume', 'auto')
    _assert_same_losses(reference, _losses(work))


def test_resume_auto_skips_a_truncated_last_checkpoint(tmp_path):
    from vireid.engine.checkpoint_io import find_resumable_checkpoint
    work = tmp_path / 'run'
    work.mkdir()
    import torch
    torch.save({'state_dict': {}}, work / 'epoch_1.pth')
    torch.save({'state_dict': {}}, work / 'epoch_2.pth')
    data = (work / 'epoch_2.pth').read_bytes()
    (work / 'epoch_2.pth').write_bytes(data[:len(data) // 2])  # legacy kill
    (work / 'last_checkpoint').write_text(str(work / 'epoch_2.pth'))
    with pytest.warns(UserWarning, match='truncated'):
        assert find_resumable_checkpoint(str(work)) == str(
            work / 'epoch_1.pth')
    (work / 'last_checkpoint').write_text('')  # killed while writing it
    assert find_resumable_checkpoint(str(work)) == str(work / 'epoch_1.pth')
    os.remove(work / 'epoch_1.pth')
    with pytest.warns(UserWarning, match='no other complete'):
        (work / 'last_checkpoint').write_text(str(work / 'epoch_2.pth'))
        assert find_resumable_checkpoint(str(work)) is None


def test_resume_without_anything_to_resume(tmp_path):
    from vireid.utils.errors import CheckpointError
    with pytest.raises(CheckpointError, match='nothing to resume'):
        _train(TOY, str(tmp_path / 'empty'), '--resume')
    with pytest.raises(CheckpointError, match='no such checkpoint'):
        _train(TOY, str(tmp_path / 'empty'), '--resume', 'nope.pth')


def test_keep_policy_deletes_only_after_a_complete_save(tmp_path):
    """A save that dies (here: raises) must leave the previous checkpoint,
    the previous best checkpoint and ``last_checkpoint`` untouched."""
    from mmengine.config import Config

    from tools.train import build_runner
    cfg = Config.fromfile(TOY)
    cfg.work_dir = str(tmp_path)
    cfg.experiment_name = f'keep_{uuid.uuid4().hex[:6]}'
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
    cfg.val_dataloader, cfg.val_evaluator = (cfg.test_dataloader,
                                             cfg.test_evaluator)
    cfg.val_cfg = dict(type='ValLoop')
    cfg.default_hooks.checkpoint.update(max_keep_ckpts=1,
                                        save_best='toy/checksum')
    runner = build_runner(cfg)
    runner.train()
    hook = [h for h in runner.hooks
            if type(h).__name__ == 'AtomicCheckpointHook'][0]
    best = osp.join(str(tmp_path), 'best_toy_checksum_epoch_1.pth')
    assert osp.isfile(best) and osp.isfile(tmp_path / 'epoch_1.pth')

    def dies(*args, **kwargs):
        raise OSError('disk full')

    runner.save_checkpoint = dies
    with pytest.raises(OSError):
        hook._save_checkpoint_with_step(runner, 2, dict(epoch=2))
    runner.train_loop._epoch = 1  # the best file is named by epoch
    with pytest.raises(OSError):
        hook._save_best_checkpoint(runner, {'toy/checksum': 1e9})
    assert osp.isfile(tmp_path / 'epoch_1.pth') and osp.isfile(best)
    assert (tmp_path / 'last_checkpoint').read_text() == str(
        tmp_path / 'epoch_1.pth')
