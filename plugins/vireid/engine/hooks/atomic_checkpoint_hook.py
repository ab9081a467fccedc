# Copyright (c) vireid contributors. All rights reserved.
"""``CheckpointHook`` whose keep-policy never loses the last good file."""
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from vireid.registry import HOOKS
from ..checkpoint_io import remove_stale_temps, write_text_atomic


class _DeferRemoves:
    """Proxy of a file backend that records ``remove``/``rmtree`` calls."""

    def __init__(self, backend) -> None:
        self._backend = backend
        self.removed = []

    def remove(self, path) -> None:
        self.removed.append(path)

    def rmtree(self, path) -> None:
        self.removed.append(path)

    def __getattr__(self, name):
        return getattr(self._backend, name)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` made crash-safe.

    mmengine 0.10.7 deletes the oldest kept checkpoint (``max_keep_ckpts``)
    and the previous best checkpoint *before* it writes the new one, and
    writes ``last_checkpoint`` in place; a kill during the save then leaves
    a truncated file, a ``last_checkpoint`` naming it and, with
    ``max_keep_ckpts=1``, nothing to resume from. This hook:

    - saves through the runner (``VIReIDRunner.save_checkpoint`` writes a
      temporary file, ``fsync``\\ s it and renames it atomically);
    - updates ``last_checkpoint`` atomically, after the new file is
      complete;
    - deletes old checkpoints (keep-policy, previous best) only after that;
    - removes temporary files a killed save left behind, before training.

    ``VIReIDRunner`` uses it wherever a config asks for ``CheckpointHook``.
    Args: see :class:`mmengine.hooks.CheckpointHook`.
    """

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if is_main_process() and osp.isdir(self.out_dir):
            for path in remove_stale_temps(self.out_dir):
                runner.logger.warning(
                    f'removed {path}, left by a save that did not finish')

    def _remove(self, path: str) -> None:
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):
            self.file_backend.rmtree(path)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        outdated = []
        if self.max_keep_ckpts > 0:
            if len(self.keep_ckpt_ids) > 0 and self.keep_ckpt_ids[-1] == step:
                pass
            else:
                if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                    old = self.keep_ckpt_ids.popleft()
                    outdated.append(self.file_backend.join_path(
                        self.out_dir, self.filename_tmpl.format(old)))
                self.keep_ckpt_ids.append(step)
                runner.message_hub.update_info('keep_ckpt_ids',
                                               list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        # the new file is complete: point at it, then drop the old ones
        write_text_atomic(osp.join(runner.work_dir, 'last_checkpoint'),
                          self.last_ckpt)
        for path in outdated:
            if path != self.last_ckpt:
                self._remove(path)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        backend = self.file_backend
        proxy = _DeferRemoves(backend)
        self.file_backend = proxy
        try:
            super()._save_best_checkpoint(runner, metrics)
        finally:
            self.file_backend = backend
        keep = {self.best_ckpt_path} if getattr(self, 'best_ckpt_path',
                                                None) else set()
        keep |= set(getattr(self, 'best_ckpt_path_dict', {}).values())
        if is_main_process():
            for path in proxy.removed:
                if path not in keep:
                    self._remove(path)
