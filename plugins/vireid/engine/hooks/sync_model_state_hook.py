# Copyright (c) vireid contributors. All rights reserved.
"""Evaluate every DDP rank with the model state that is saved."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from vireid.registry import HOOKS


@HOOKS.register_module()
class SyncModelStateHook(Hook):
    """Broadcast rank 0's parameters and buffers before val and test.

    Under DDP the gradients are averaged, but BatchNorm running statistics
    (buffers) are updated by each rank from its own half of the batch, so at
    the end of an epoch every rank holds different statistics. mmengine
    saves rank 0's model, while validation runs each rank on its share of
    the data with its *own* statistics: the validation metrics then belong
    to no model that exists on disk (issue 13: R1 25.64 during training vs
    25.51 testing ``epoch_N.pth``). This hook copies rank 0's state to all
    ranks before each validation and test, so the metrics are those of the
    saved checkpoint. The next training epoch continues from that same
    state, exactly like a run resumed from the checkpoint.

    ``VIReIDRunner`` registers it by default (``sync_model_state=False`` in
    the config turns it off). The alternative is synchronised statistics
    during training, ``sync_bn='torch'`` (mmengine's SyncBatchNorm
    conversion), which changes the training itself.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        #: Largest change the last sync made to this rank's tensors.
        self.last_max_diff = 0.0

    def sync(self, runner) -> int:
        """Broadcast rank 0's tensors; returns how many were sent."""
        import torch
        import torch.distributed as dist
        if not (dist.is_available() and dist.is_initialized()) or \
                dist.get_world_size() < 2 or \
                not getattr(runner, '_sync_model_state', True):
            return 0
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        count, diff = 0, 0.0
        for tensor in list(model.parameters()) + list(model.buffers()):
            before = tensor.data.clone()
            dist.broadcast(tensor.data, src=0)
            if before.is_floating_point() and before.numel():
                diff = max(diff, float(torch.max(torch.abs(
                    before - tensor.data))))
            elif not torch.equal(before, tensor.data):
                diff = max(diff, 1.0)
            count += 1
        self.last_max_diff = diff
        if diff > 0:
            runner.logger.info(f'synced the model state from rank 0 before '
                               f'evaluating (max change on rank '
                               f'{runner.rank}: {diff:.3g})')
        return count

    def before_val(self, runner) -> None:
        self.sync(runner)

    def before_test(self, runner) -> None:
        self.sync(runner)
