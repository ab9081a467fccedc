# Copyright (c) vireid contributors. All rights reserved.
"""An epoch-based training loop that resumes in the middle of an epoch."""
from mmengine.runner import EpochBasedTrainLoop

from vireid.registry import LOOPS


@LOOPS.register_module()
class ResumableEpochBasedTrainLoop(EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` that continues a half-finished epoch.

    mmengine's loop restarts the current epoch from its first batch when it
    resumes from a checkpoint saved mid-epoch (``CheckpointHook(by_epoch=
    False)``), so the resumed run trains on different batches than an
    uninterrupted one. This loop skips the batches the checkpoint already
    trained on: through the sampler's ``skip(num_samples)`` when it has one
    (:class:`~vireid.datasets.CrossModalIdentitySampler`, which loads no
    skipped image), otherwise by drawing and discarding them. Together with
    the sampler's per-draw augmentation seeds, the resumed run's losses equal
    the uninterrupted run's.

    Args: see :class:`mmengine.runner.EpochBasedTrainLoop`.
    """

    def run_epoch(self) -> None:
        """Iterate one epoch, skipping batches trained before a resume."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        done = self._iter - self._epoch * len(self.dataloader)
        start = done if 0 < done < len(self.dataloader) else 0
        sampler = getattr(self.dataloader, 'sampler', None)
        if start and hasattr(sampler, 'skip'):
            sampler.skip(start * self.dataloader.batch_size)
            batches = iter(self.dataloader)
        else:
            batches = iter(self.dataloader)
            for _ in range(start):
                next(batches)
        if start:
            self.runner.logger.info(
                f'resuming epoch {self._epoch + 1} at batch {start + 1}/'
                f'{len(self.dataloader)}')
        for idx, data_batch in enumerate(batches, start):
            self.run_iter(idx, data_batch)

        self.runner.call_hook('after_train_epoch')
        self._epoch += 1
