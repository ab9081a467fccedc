# Copyright (c) vireid contributors. All rights reserved.
"""A NaN/inf training loss stops the run with one clear error."""
from types import SimpleNamespace

import pytest
import torch

from vireid.engine.hooks import FiniteLossHook
from vireid.utils.errors import TrainingDivergedError


def _runner(tmp_path, it, interval=None, last=None):
    runner = SimpleNamespace(iter=it, epoch=2, work_dir=str(tmp_path))
    if interval is not None:
        runner._finite_loss_interval = interval
    if last:
        (tmp_path / 'last_checkpoint').write_text(last)
    return runner


def test_nan_loss_raises_naming_iteration_terms_and_checkpoint(tmp_path):
    hook = FiniteLossHook(interval=5)
    outs = dict(loss=torch.tensor(float('nan')),
                loss_id=torch.tensor(float('nan')),
                loss_triplet=torch.tensor(0.3), acc=torch.tensor(0.5))
    with pytest.raises(TrainingDivergedError) as err:
        hook.after_train_iter(_runner(tmp_path, 9, last='/w/epoch_2.pth'),
                              0, outputs=outs)
    msg = str(err.value)
    assert 'nan at epoch 3, iteration 10' in msg
    assert 'loss_id=nan' in msg and 'loss_triplet=0.3' in msg
    assert 'acc' not in msg and '/w/epoch_2.pth' in msg


def test_checked_every_interval_and_off_with_zero(tmp_path):
    hook = FiniteLossHook(interval=5)
    inf = dict(loss=torch.tensor(float('inf')))
    hook.after_train_iter(_runner(tmp_path, 3), 0, outputs=inf)  # not due
    with pytest.raises(TrainingDivergedError, match='inf'):
        hook.after_train_iter(_runner(tmp_path, 4), 0, outputs=inf)
    # the runner's setting wins; 0 turns the check off
    hook.after_train_iter(_runner(tmp_path, 4, interval=0), 0, outputs=inf)
    fine = dict(loss=torch.tensor(1.5))
    hook.after_train_iter(_runner(tmp_path, 4), 0, outputs=fine)
    with pytest.raises(ValueError, match='interval'):
        FiniteLossHook(interval=-1)


def test_diverging_toy_run_stops_with_the_error(tmp_path):
    from tests.test_engine.test_runner_cpu import _cfg
    from tools.train import build_runner
    cfg = _cfg(tmp_path, check_finite_loss=1)
    cfg.optim_wrapper.optimizer.lr = 1e36  # diverges at once
    runner = build_runner(cfg)
    assert runner._finite_loss_interval == 1
    assert any(isinstance(h, FiniteLossHook) for h in runner.hooks)
    with pytest.raises(TrainingDivergedError, match='training loss is'):
        runner.train()
