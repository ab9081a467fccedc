# Copyright (c) vireid contributors. All rights reserved.
"""A Runner that applies vireid's checkpoint trust rule and CPU-DDP fix."""
from typing import Dict, Optional, Union

import torch
import torch.nn as nn
from mmengine.runner import Runner

from vireid.registry import RUNNERS
from vireid.utils.compat import (init_cpu_distributed,
                                 register_checkpoint_loader,
                                 trusted_checkpoint_dirs)


@RUNNERS.register_module()
class VIReIDRunner(Runner):
    """mmengine's :class:`~mmengine.runner.Runner` with two fixes.

    - **Checkpoint trust.** While it trains, validates or tests, the runner
      trusts checkpoint files inside its own ``work_dir`` (its resume files,
      and the files ``CheckpointHook`` re-reads to publish), plus the paths
      listed in ``trusted_checkpoints``. Every other file, pretrained weights
      from ``init_cfg`` included, is loaded weights-only (see
      :mod:`vireid.utils.compat`).
    - **DDP without CUDA.** Under a launcher on a CPU-only host it starts a
      gloo process group itself and wraps the model with
      ``device_ids=None``, where mmengine 0.10.7 would call CUDA.

    Args:
        *args: Passed to :class:`~mmengine.runner.Runner`.
        trusted_checkpoints (list[str], optional): Extra files or folders
            whose checkpoints may be unpickled in full (e.g. the file a user
            passed to ``tools/test.py --trust-checkpoint``).
        **kwargs: Passed to :class:`~mmengine.runner.Runner`.
    """

    def __init__(self, *args, trusted_checkpoints: Optional[list] = None,
                 **kwargs) -> None:
        register_checkpoint_loader()
        self._trusted_checkpoints = list(trusted_checkpoints or [])
        super().__init__(*args, **kwargs)

    @classmethod
    def from_cfg(cls, cfg) -> 'VIReIDRunner':
        """Build the runner from a config (see ``Runner.from_cfg``).

        Args:
            cfg (Config | dict): The full config; ``trusted_checkpoints`` is
                read in addition to the keys mmengine reads.

        Returns:
            VIReIDRunner: The runner.
        """
        trusted = cfg.get('trusted_checkpoints', None)
        runner_cfg = cfg.copy() if hasattr(cfg, 'copy') else dict(cfg)
        runner_cfg.pop('trusted_checkpoints', None)
        runner = super().from_cfg(runner_cfg)
        runner._trusted_checkpoints = list(trusted or [])
        return runner

    def _trust(self):
        return trusted_checkpoint_dirs(self.work_dir,
                                       *self._trusted_checkpoints)

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

    def train(self) -> nn.Module:
        """Train, trusting checkpoints of this run's ``work_dir``."""
        with self._trust():
            return super().train()

    def val(self) -> dict:
        """Validate, trusting checkpoints of this run's ``work_dir``."""
        with self._trust():
            return super().val()

    def test(self) -> dict:
        """Test, trusting checkpoints of this run's ``work_dir``."""
        with self._trust():
            return super().test()
