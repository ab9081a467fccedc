# Copyright (c) vireid contributors. All rights reserved.
"""Weights-only loading of vireid's own checkpoints; strict loading."""
import os
import os.path as osp
import pickle
import uuid

import pytest
import torch
from mmengine.config import Config

from tools.train import build_runner

CFG = osp.join(osp.dirname(__file__), 'toy_config.py')


def _cfg(work_dir, **overrides):
    cfg = Config.fromfile(CFG)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'toy_{uuid.uuid4().hex[:8]}'
    cfg.merge_from_dict(overrides)
    return cfg


@pytest.fixture(scope='module')
def run_ckpt(tmp_path_factory):
    work = tmp_path_factory.mktemp('run')
    cfg = _cfg(work)
    cfg.train_cfg.max_epochs = 1
    build_runner(cfg).train()
    return str(work / 'epoch_1.pth')


def test_own_checkpoint_needs_only_the_allow_list(run_ckpt):
    from mmengine.logging import HistoryBuffer

    from vireid.utils.compat import safe_globals
    unsafe = set(torch.serialization.get_unsafe_globals_in_checkpoint(
        run_ckpt))
    # exactly what mmengine writes: HistoryBuffer, numpy values, and the
    # getattr(HistoryBuffer, 'mean') references of its statistics methods
    assert 'mmengine.logging.history_buffer.HistoryBuffer' in unsafe
    assert unsafe <= {
        'mmengine.logging.history_buffer.HistoryBuffer', 'builtins.getattr',
        'numpy.dtype', 'numpy.ndarray', 'numpy._core.multiarray.scalar',
        'numpy._core.multiarray._reconstruct'
    } | {u for u in unsafe if u.startswith('numpy.dtypes.')}
    with pytest.raises(pickle.UnpicklingError):
        torch.load(run_ckpt, weights_only=True)
    with safe_globals():
        ck = torch.load(run_ckpt, weights_only=True)
    hb = ck['message_hub']['log_scalars']['train/loss']
    assert isinstance(hb, HistoryBuffer) and hb.mean() > 0
    assert hb._statistics_methods['mean'] is HistoryBuffer.mean


def test_restricted_getattr_refuses_anything_else(tmp_path):
    from vireid.utils.compat import UntrustedCheckpointError, safe_torch_load

    from mmengine.logging import HistoryBuffer

    class Sneaky:

        def __reduce__(self):  # getattr beyond the statistics methods
            return (getattr, (HistoryBuffer, '__init__'))

    path = tmp_path / 'sneaky.pth'
    torch.save({'x': Sneaky()}, path)
    with pytest.raises(UntrustedCheckpointError, match='sneaky.pth'):
        safe_torch_load(str(path))


def test_truncated_and_foreign_files(tmp_path, run_ckpt):
    from vireid.utils.compat import safe_torch_load
    from vireid.utils.errors import CheckpointError
    data = open(run_ckpt, 'rb').read()
    trunc = tmp_path / 'trunc.pth'
    trunc.write_bytes(data[:len(data) // 3])
    with pytest.raises(CheckpointError, match='truncated'):
        safe_torch_load(str(trunc))
    text = tmp_path / 'notes.pth'
    text.write_text('hello')
    with pytest.raises(CheckpointError, match='notes.pth'):
        safe_torch_load(str(text))
    with pytest.raises(CheckpointError, match='folder'):
        safe_torch_load(str(tmp_path))


def test_strict_load_names_keys_and_shapes(tmp_path, run_ckpt):
    from vireid.utils.errors import CheckpointMismatchError
    runner = build_runner(_cfg(tmp_path / 'a', load_from=run_ckpt,
                               model=dict(num_ids=7)))
    with pytest.raises(CheckpointMismatchError) as info:
        runner.test()
    msg = str(info.value)
    assert 'cls.weight: checkpoint (6, 4) vs model (7, 4)' in msg
    assert '--non-strict' in msg and 'epoch_1.pth' in msg
    # opting out loads the matching part and runs
    runner = build_runner(_cfg(tmp_path / 'b', load_from=run_ckpt,
                               model=dict(num_ids=7), load_strict=False))
    assert runner.test()['toy/n'] == 18.0


def test_missing_and_unexpected_keys(tmp_path, run_ckpt):
    from vireid.engine.checkpoint_io import check_state_dict_fits
    from vireid.utils.errors import CheckpointMismatchError
    model = torch.nn.Sequential(torch.nn.Linear(2, 2))
    ck = {'state_dict': {'0.weight': torch.zeros(2, 2),
                         'extra.bias': torch.zeros(1)}}
    with pytest.raises(CheckpointMismatchError) as info:
        check_state_dict_fits(model, ck, 'x.pth')
    msg = str(info.value)
    assert '1 key(s) missing from the checkpoint (0.bias)' in msg
    assert '1 unexpected key(s) in the checkpoint (extra.bias)' in msg
    # mmengine's `module.` prefix is stripped before comparing
    ok = {'module.0.weight': torch.zeros(2, 2), 'module.0.bias':
          torch.zeros(2)}
    check_state_dict_fits(model, ok, 'y.pth')


def test_publish_refuses_a_planted_pickle(tmp_path, run_ckpt):
    from tools.model_converters.publish_model import publish
    from vireid.utils.compat import UntrustedCheckpointError

    class Evil:

        def __reduce__(self):
            return (os.system, (f'touch {tmp_path}/PWNED', ))

    evil = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'x': Evil()}, evil)
    with pytest.raises(UntrustedCheckpointError):
        publish(str(evil), str(tmp_path / 'out.pth'))
    assert not osp.exists(tmp_path / 'PWNED')
    # the run's own checkpoint publishes without any trust
    out = publish(run_ckpt, str(tmp_path / 'rel' / 'toy.pth'))
    assert torch.load(out, weights_only=True)['meta']['epoch'] == 1
