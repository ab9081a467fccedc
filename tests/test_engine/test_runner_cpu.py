# Copyright (c) vireid contributors. All rights reserved.
"""Runner-level tests of the foundation: build, train, resume, load, trust."""
import argparse
import json
import os
import os.path as osp
import pickle
import shutil
import uuid

import pytest
import torch
from mmengine.config import Config

from tools.train import build_runner

CFG = osp.join(osp.dirname(__file__), 'toy_config.py')


def _cfg(work_dir, **overrides):
    cfg = Config.fromfile(CFG)
    cfg.work_dir = str(work_dir)
    # unique instance names: mmengine keys its loggers by experiment name
    cfg.experiment_name = f'toy_{uuid.uuid4().hex[:8]}'
    cfg.merge_from_dict(overrides)
    return cfg


def _losses(work_dir):
    with open(osp.join(work_dir, 'losses.jsonl')) as f:
        return [json.loads(line) for line in f]


def test_toy_components_build_through_runner(tmp_path):
    runner = build_runner(_cfg(tmp_path))
    from vireid.engine import VIReIDRunner
    assert isinstance(runner, VIReIDRunner)
    assert type(runner.model).__name__ == 'ToyReIDModel'
    loader = runner.train_loop.dataloader
    assert type(loader.sampler).__name__ == 'ToyIdentitySampler'
    assert loader.sampler.seed == 0  # injected from randomness.seed
    assert type(loader.dataset).__name__ == 'ToyVIDataset'


def test_resume_matches_uninterrupted(tmp_path):
    full, part = tmp_path / 'full', tmp_path / 'part'
    build_runner(_cfg(full)).train()
    # interrupted run: the same 3-epoch config killed after 2 epochs, then
    # resumed to 3
    from tests.test_engine.toy_components import SimulatedKill
    killed = _cfg(part)
    killed.custom_hooks = killed.custom_hooks + [
        dict(type='ToyKillAfter', epoch=2)]
    with pytest.raises(SimulatedKill):
        build_runner(killed).train()
    assert osp.isfile(part / 'epoch_2.pth')
    assert not osp.isfile(part / 'epoch_3.pth')
    build_runner(_cfg(part, resume=True)).train()
    a, b = _losses(full), _losses(part)
    assert len(a) == len(b) == 3 * 6
    assert [x['iter'] for x in a] == [x['iter'] for x in b]
    for x, y in zip(a, b):
        assert x['loss'] == pytest.approx(y['loss'], abs=1e-7), (x, y)
    # the losses really change across iterations (the check is not vacuous)
    assert len({round(x['loss'], 6) for x in a}) > 10


class _Evil:

    def __reduce__(self):
        return (os.system, ('echo pwned > /dev/null',))


def test_load_from_then_test(tmp_path):
    runner = build_runner(_cfg(tmp_path / 'train'))
    runner.train()
    trained = runner.test()
    ckpt = tmp_path / 'train' / 'epoch_3.pth'
    # a test-only run from the run's own checkpoint
    tester = build_runner(_cfg(tmp_path / 'train', load_from=str(ckpt)))
    metrics = tester.test()
    assert metrics['toy/checksum'] == pytest.approx(trained['toy/checksum'])
    assert metrics['toy/acc'] == trained['toy/acc']
    # vireid's own checkpoints load weights-only anywhere (no full unpickling)
    other = tmp_path / 'elsewhere'
    other.mkdir()
    shutil.copy(ckpt, other / 'copy.pth')
    runner = build_runner(_cfg(tmp_path / 'x',
                               load_from=str(other / 'copy.pth')))
    assert runner.test()['toy/acc'] == trained['toy/acc']
    # a pickle planted in the run's own work_dir is refused (no dir trust)
    evil = tmp_path / 'train' / 'planted.pth'
    torch.save({'state_dict': {}, 'x': _Evil()}, evil)
    from vireid.utils.compat import UntrustedCheckpointError
    with pytest.raises(UntrustedCheckpointError, match='planted.pth'):
        build_runner(_cfg(tmp_path / 'train', load_from=str(evil),
                          load_strict=False)).test()
    # ... and only unpickled when the user explicitly trusts a foreign file
    legacy = other / 'legacy.pth'
    torch.save(dict(torch.load(ckpt, weights_only=False),
                    args=argparse.Namespace(lr=0.1)), legacy)
    with pytest.raises(UntrustedCheckpointError, match='legacy.pth'):
        build_runner(_cfg(tmp_path / 'y', load_from=str(legacy))).test()
    cfg = _cfg(tmp_path / 'y', load_from=str(legacy),
               trusted_checkpoints=[str(legacy)])
    assert build_runner(cfg).test()['toy/acc'] == trained['toy/acc']


def test_untrusted_pickle_refused(tmp_path):
    from vireid.utils.compat import (UntrustedCheckpointError,
                                     safe_torch_load, trusted_checkpoint_dirs)
    path = tmp_path / 'evil.pth'
    with open(path, 'wb') as f:
        pickle.dump({'state_dict': {}, 'x': _Evil()}, f)
    torch.save({'state_dict': {}, 'x': _Evil()}, path)
    with pytest.raises(UntrustedCheckpointError, match='evil.pth'):
        safe_torch_load(str(path))
    # through mmengine's own loader (init_cfg Pretrained / load_checkpoint)
    from mmengine.runner.checkpoint import CheckpointLoader
    import vireid.utils.compat  # noqa: F401
    with pytest.raises(UntrustedCheckpointError):
        CheckpointLoader.load_checkpoint(str(path))
    # plain tensors load fine untrusted
    ok = tmp_path / 'weights.pth'
    torch.save({'w': torch.ones(2)}, ok)
    assert torch.equal(safe_torch_load(str(ok))['w'], torch.ones(2))
    # the trusted path does unpickle (and would run the reducer)
    with trusted_checkpoint_dirs(str(tmp_path)):
        assert safe_torch_load(str(ok))['w'].sum() == 2


def test_missing_checkpoint_message(tmp_path):
    from vireid.utils.compat import safe_torch_load
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        safe_torch_load(str(tmp_path / 'nope.pth'))


def test_publish_model_is_weights_only(tmp_path):
    from tools.model_converters.publish_model import publish
    build_runner(_cfg(tmp_path / 'run')).train()
    out = publish(str(tmp_path / 'run' / 'epoch_3.pth'),
                  str(tmp_path / 'rel' / 'toy.pth'))
    assert osp.basename(out).startswith('toy-') and out.endswith('.pth')
    ck = torch.load(out, weights_only=True)
    assert set(ck) == {'state_dict', 'meta'} and ck['meta']['epoch'] == 3
    # the published file loads untrusted through mmengine (init_cfg path)
    from mmengine.runner.checkpoint import CheckpointLoader
    assert 'embed.weight' in CheckpointLoader.load_checkpoint(out)[
        'state_dict']
