# Copyright (c) vireid contributors. All rights reserved.
"""A Runner that checks its config, saves crash-safely and loads safely."""
import os.path as osp
from typing import Dict, Optional, Union

import torch
import torch.nn as nn
from mmengine.dist import is_main_process
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model)

from vireid.registry import RUNNERS
from vireid.utils.compat import (init_cpu_distributed,
                                 register_checkpoint_loader,
                                 trusted_checkpoint_dirs)
from vireid.utils.config_check import check_config
from .checkpoint_io import (check_state_dict_fits, commit_file,
                            find_resumable_checkpoint, temp_name)
from .hooks import (AtomicCheckpointHook, ConsistencyCheckHook,
                    FiniteLossHook, SyncModelStateHook)

#: Config keys read by VIReIDRunner itself (not passed to mmengine).
_OWN_KEYS = ('trusted_checkpoints', 'load_strict', 'sync_model_state',
             'check_finite_loss')


def _accelerator_available() -> bool:
    """Whether PyTorch has an accelerator to pin memory for."""
    acc = getattr(torch, 'accelerator', None)
    if acc is not None and hasattr(acc, 'is_available'):
        return bool(acc.is_available())
    return torch.cuda.is_available()


@RUNNERS.register_module()
class VIReIDRunner(Runner):
    """mmengine's :class:`~mmengine.runner.Runner`, made safe to use.

    - **Config checks first.** :meth:`from_cfg` runs
      :func:`vireid.utils.config_check.check_config` before building
      anything; :class:`~vireid.engine.hooks.ConsistencyCheckHook` checks
      ``num_classes`` against the training set before the first iteration.
    - **Crash-safe checkpoints.** Files are written to a temporary name,
      ``fsync``\\ ed and renamed atomically; a config's ``CheckpointHook``
      becomes :class:`~vireid.engine.hooks.AtomicCheckpointHook`, which
      deletes old checkpoints only after the new one is complete.
      ``resume=True`` without a file (``--resume auto``) takes the newest
      *complete* checkpoint, skipping a truncated one with a warning.
    - **Safe, strict loading.** Every file is loaded weights-only with an
      allow-list of the types mmengine writes (see
      :mod:`vireid.utils.compat`); ``trusted_checkpoints`` lists foreign
      legacy files that may be unpickled in full. ``load_from`` and resumed
      files must fit the model exactly (``load_strict=False`` loads the
      matching part and logs the rest).
    - **DDP.** Under a launcher on a CPU-only host it starts a gloo process
      group itself and wraps the model with ``device_ids=None``; before
      each validation and test, rank 0's parameters and buffers are
      broadcast (:class:`~vireid.engine.hooks.SyncModelStateHook`,
      ``sync_model_state=False`` to turn off), so the metrics are those of
      the saved checkpoint.

    Args:
        *args: Passed to :class:`~mmengine.runner.Runner`.
        trusted_checkpoints (list[str], optional): Files or folders whose
            checkpoints may be unpickled in full (``--trust-checkpoint``).
        load_strict (bool): Refuse checkpoints that do not fit the model.
            Defaults to True.
        sync_model_state (bool): Broadcast rank 0's model state before
            val/test under DDP. Defaults to True.
        check_finite_loss (int): Stop with an error when the training loss
            is NaN/inf, checked every this many iterations
            (:class:`~vireid.engine.hooks.FiniteLossHook`); 0 turns it off.
            Defaults to 10.
        **kwargs: Passed to :class:`~mmengine.runner.Runner`.
    """

    def __init__(self, *args, trusted_checkpoints: Optional[list] = None,
                 load_strict: bool = True, sync_model_state: bool = True,
                 check_finite_loss: int = 10, **kwargs) -> None:
        register_checkpoint_loader()
        self._trusted_checkpoints = list(trusted_checkpoints or [])
        self._load_strict = bool(load_strict)
        self._sync_model_state = bool(sync_model_state)
        self._finite_loss_interval = int(check_finite_loss)
        super().__init__(*args, **kwargs)
        self.register_hook(ConsistencyCheckHook())
        self.register_hook(SyncModelStateHook())
        self.register_hook(FiniteLossHook())

    @classmethod
    def from_cfg(cls, cfg) -> 'VIReIDRunner':
        """Check the config, then build the runner (``Runner.from_cfg``).

        Args:
            cfg (Config | dict): The full config; ``trusted_checkpoints``,
                ``load_strict`` and ``sync_model_state`` are read in addition
                to the keys mmengine reads.

        Returns:
            VIReIDRunner: The runner.
        """
        check_config(cfg)
        own = {k: cfg.get(k, None) for k in _OWN_KEYS}
        runner_cfg = cfg.copy() if hasattr(cfg, 'copy') else dict(cfg)
        for k in _OWN_KEYS:
            runner_cfg.pop(k, None)
        runner = super().from_cfg(runner_cfg)
        runner._trusted_checkpoints = list(own['trusted_checkpoints'] or [])
        if own['load_strict'] is not None:
            runner._load_strict = bool(own['load_strict'])
        if own['sync_model_state'] is not None:
            runner._sync_model_state = bool(own['sync_model_state'])
        if own['check_finite_loss'] is not None:
            runner._finite_loss_interval = int(own['check_finite_loss'])
        return runner

    def _trust(self):
        return trusted_checkpoint_dirs(*self._trusted_checkpoints)

    # ------------------------------------------------------------------ hooks
    def register_hook(self, hook, priority=None) -> None:
        """Register a hook; ``CheckpointHook`` configs become atomic."""
        if isinstance(hook, dict) and hook.get('type') in (
                'CheckpointHook', 'mmengine.CheckpointHook'):
            hook = dict(hook, type=AtomicCheckpointHook)
        super().register_hook(hook, priority)

    # ------------------------------------------------------------ environment
    def setup_env(self, env_cfg: Dict) -> None:
        """Start a gloo group on CPU-only hosts, then set up as usual."""
        if self.distributed and not torch.cuda.is_available():
            backend = env_cfg.get('dist_cfg', {}).get('backend', 'gloo')
            if backend == 'nccl':
                backend = 'gloo'
            init_cpu_distributed(backend)
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg: Optional[Dict],
                   model: nn.Module) -> Union[nn.Module, nn.Module]:
        """Wrap for DDP; CPU modules get ``device_ids=None``."""
        if (self.distributed and not torch.cuda.is_available()
                and model_wrapper_cfg is None):
            model_wrapper_cfg = dict(
                type='MMDistributedDataParallel',
                device_ids=None,
                broadcast_buffers=False,
                find_unused_parameters=self.cfg.get('find_unused_parameters',
                                                    False))
        return super().wrap_model(model_wrapper_cfg, model)

    @staticmethod
    def build_dataloader(dataloader, seed: Optional[int] = None,
                         diff_rank_seed: bool = False):
        """Build a data loader; ``pin_memory`` only where it can pin.

        The shipped configs ask for ``pin_memory=True`` (asynchronous
        host-to-device copies of the batches). Without an accelerator
        PyTorch cannot pin and warns about it on every loader, so the flag
        is dropped there (a no-op either way).

        Args: see :meth:`mmengine.runner.Runner.build_dataloader`.

        Returns:
            DataLoader: The loader.
        """
        if (isinstance(dataloader, dict) and dataloader.get('pin_memory')
                and not _accelerator_available()):
            dataloader = dataloader.copy()
            dataloader['pin_memory'] = False
        return Runner.build_dataloader(dataloader, seed=seed,
                                       diff_rank_seed=diff_rank_seed)

    # ------------------------------------------------------------ checkpoints
    def save_checkpoint(self, out_dir: str, filename: str, *args,
                        **kwargs) -> None:
        """Save like mmengine, but atomically (temp file, fsync, rename)."""
        if not is_main_process():
            return
        if '://' in str(out_dir):  # remote backends: mmengine's own path
            return super().save_checkpoint(out_dir, filename, *args,
                                           **kwargs)
        tmp = temp_name(filename)
        super().save_checkpoint(out_dir, tmp, *args, **kwargs)
        commit_file(osp.join(out_dir, tmp), osp.join(out_dir, filename))

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Dict] = 'cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]):
        """Load a checkpoint; strict unless ``load_strict=False``.

        Args: see :meth:`mmengine.runner.Runner.load_checkpoint`; ``strict``
        is forced on while ``load_strict`` is true.

        Raises:
            CheckpointMismatchError: Naming the missing/unexpected keys and
                shape mismatches of a checkpoint that does not fit.
        """
        strict = strict or self._load_strict
        checkpoint = _load_checkpoint(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(
            self.model) else self.model
        if strict:
            check_state_dict_fits(model, checkpoint, filename, revise_keys)
        checkpoint = _load_checkpoint_to_model(
            model, checkpoint, strict, revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def load_or_resume(self) -> None:
        """Load or resume; ``resume`` without a file takes the newest
        complete checkpoint of ``work_dir`` (or starts fresh, warning)."""
        if self._has_loaded:
            return None
        if self._resume and self._load_from is None:
            found = find_resumable_checkpoint(self.work_dir, self.logger)
            if found is None:
                self.logger.warning(
                    f'resume (auto): no checkpoint in {self.work_dir}; '
                    f'training from scratch')
                return None
            self.logger.info(f'Auto resumed from {found}.')
            self.resume(found)
            self._has_loaded = True
            return None
        return super().load_or_resume()

    # ---------------------------------------------------------------- running
    def train(self) -> nn.Module:
        """Train (checkpoints of ``trusted_checkpoints`` may unpickle)."""
        with self._trust():
            return super().train()

    def val(self) -> dict:
        """Validate (checkpoints of ``trusted_checkpoints`` may unpickle)."""
        with self._trust():
            return super().val()

    def test(self) -> dict:
        """Test (checkpoints of ``trusted_checkpoints`` may unpickle)."""
        with self._trust():
            return super().test()

