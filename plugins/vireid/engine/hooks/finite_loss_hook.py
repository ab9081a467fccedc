# Copyright (c) vireid contributors. All rights reserved.
"""Stop training as soon as the loss stops being a number."""
import math
import os.path as osp
from typing import Optional

from mmengine.hooks import Hook

from vireid.registry import HOOKS
from vireid.utils.errors import TrainingDivergedError


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raise :class:`~vireid.utils.errors.TrainingDivergedError` when the
    total training loss is NaN or infinite.

    mmengine keeps stepping on a NaN loss, so a diverged run would otherwise
    train on for hours and end in NaN features. The check reads the loss
    every ``interval`` iterations (one host-device sync each time) and names
    the epoch, the iteration, the loss terms and the last checkpoint.
    ``VIReIDRunner`` registers it (``check_finite_loss``: the interval, 0 to
    turn it off).

    Args:
        interval (int): Check every this many iterations. Defaults to 10.
    """

    priority = 'HIGH'

    def __init__(self, interval: int = 10) -> None:
        if int(interval) != interval or interval < 0:
            raise ValueError(f'FiniteLossHook: interval must be an integer '
                             f'>= 0, got {interval!r}')
        self.interval = int(interval)

    def after_train_iter(self, runner, batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        interval = getattr(runner, '_finite_loss_interval', self.interval)
        if not interval or not outputs or 'loss' not in outputs:
            return
        if (runner.iter + 1) % interval:
            return
        loss = float(outputs['loss'])
        if math.isfinite(loss):
            return
        terms = ', '.join(
            f'{k}={float(v):.4g}' for k, v in outputs.items()
            if 'loss' in k and k != 'loss')
        last = None
        marker = osp.join(str(getattr(runner, 'work_dir', '')),
                          'last_checkpoint')
        if osp.isfile(marker):
            with open(marker) as f:
                last = f.read().strip() or None
        raise TrainingDivergedError(
            f'the training loss is {loss} at epoch {runner.epoch + 1}, '
            f'iteration {runner.iter + 1} ({terms}); the run diverged: lower '
            f'the learning rate or check the data'
            + (f'; the last checkpoint is {last}' if last else ''))
