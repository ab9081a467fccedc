# Copyright (c) vireid contributors. All rights reserved.
"""Toy components registered in vireid's registries for the engine tests.

They are deliberately tiny (a linear model over random vectors) so that the
tests exercise mmengine's machinery -- registry, Runner, sampler injection,
resume, checkpoints, DDP -- in a second or two.
"""
import json
import os.path as osp
import random
from typing import Iterator, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dataset import BaseDataset
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from torch.utils.data import Sampler

from vireid.registry import DATA_SAMPLERS, DATASETS, HOOKS, METRICS, MODELS


@DATASETS.register_module(force=True)
class ToyVIDataset(BaseDataset):
    """Random 8-d vectors of ``num_ids`` identities in two modalities."""

    def __init__(self, num_ids: int = 6, per_id: int = 4, seed: int = 0,
                 **kwargs) -> None:
        self.num_ids, self.per_id, self.seed = num_ids, per_id, seed
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        g = torch.Generator().manual_seed(self.seed)
        centers = torch.randn(self.num_ids, 8, generator=g)
        data = []
        for pid in range(self.num_ids):
            for k in range(self.per_id):
                x = centers[pid] + 0.5 * torch.randn(8, generator=g)
                data.append(dict(x=x, label=pid, modality=k % 2))
        return data

    def prepare_data(self, idx: int) -> dict:
        info = self.get_data_info(idx)
        return dict(inputs=info['x'].clone(),
                    data_samples=dict(label=info['label'],
                                      modality=info['modality']))


@DATA_SAMPLERS.register_module(force=True)
class ToyIdentitySampler(Sampler):
    """Rank-aware shuffled sampler drawing from ``seed + epoch`` only."""

    def __init__(self, dataset, seed: Optional[int] = None) -> None:
        self.dataset = dataset
        self.seed = sync_random_seed() if seed is None else seed
        self.rank, self.world_size = get_dist_info()
        self.epoch = 0

    def __iter__(self) -> Iterator[int]:
        order = list(range(len(self.dataset)))
        random.Random(self.seed + self.epoch).shuffle(order)
        return iter(order[self.rank::self.world_size])

    def __len__(self) -> int:
        return len(range(self.rank, len(self.dataset), self.world_size))

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch


@MODELS.register_module(force=True)
class ToyReIDModel(BaseModel):
    """A linear embedding with a classifier."""

    def __init__(self, num_ids: int = 6, **kwargs) -> None:
        super().__init__(**kwargs)
        self.embed = nn.Linear(8, 4)
        self.cls = nn.Linear(4, num_ids)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        x = torch.stack(inputs) if isinstance(inputs, list) else inputs
        feat = self.embed(x)
        if mode == 'tensor':
            return feat
        if mode == 'loss':
            labels = torch.as_tensor(data_samples['label'])
            return dict(loss=F.cross_entropy(self.cls(feat), labels))
        labels = torch.as_tensor(data_samples['label'])
        return [dict(feat=f.detach(), label=int(y))
                for f, y in zip(feat, labels)]


@METRICS.register_module(force=True)
class ToyAccuracy(BaseMetric):
    """Nearest-class-mean accuracy of the embeddings (order-sensitive sums
    are avoided so that DDP and single-process results compare exactly)."""

    default_prefix = 'toy'

    def process(self, data_batch, data_samples) -> None:
        for s in data_samples:
            self.results.append((s['feat'].double(), s['label']))

    def compute_metrics(self, results) -> dict:
        feats = torch.stack([r[0] for r in results])
        labels = torch.tensor([r[1] for r in results])
        means = torch.stack([feats[labels == c].mean(0)
                             for c in labels.unique()])
        pred = torch.cdist(feats, means).argmin(1)
        acc = (labels.unique()[pred] == labels).double().mean().item()
        return dict(acc=acc, n=float(len(results)),
                    checksum=float(feats.abs().sum()))


@HOOKS.register_module(force=True)
class ToyLossRecorder(Hook):
    """Appends every training loss to ``<work_dir>/losses.jsonl``."""

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if runner.rank != 0:
            return
        with open(osp.join(runner.work_dir, 'losses.jsonl'), 'a') as f:
            f.write(json.dumps(dict(epoch=runner.epoch, iter=runner.iter,
                                    loss=float(outputs['loss']))) + '\n')


class SimulatedKill(RuntimeError):
    """Stands for a job killed by the cluster."""


@HOOKS.register_module(force=True)
class ToyKillAfter(Hook):
    """Raises :class:`SimulatedKill` after the given epoch or iteration
    (after the checkpoint hook has saved, thanks to the lowest priority)."""

    priority = 'LOWEST'

    def __init__(self, epoch: Optional[int] = None,
                 iteration: Optional[int] = None) -> None:
        self.epoch, self.iteration = epoch, iteration

    def after_train_epoch(self, runner) -> None:
        if self.epoch is not None and runner.epoch + 1 >= self.epoch:
            raise SimulatedKill(f"killed after epoch {runner.epoch + 1}")

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if self.iteration is not None and runner.iter + 1 >= self.iteration:
            raise SimulatedKill(f'killed after iteration {runner.iter + 1}')


@MODELS.register_module(force=True)
class ToyBNReIDModel(ToyReIDModel):
    """:class:`ToyReIDModel` with a BatchNorm after the embedding, whose
    running statistics differ across DDP ranks."""

    def __init__(self, num_ids: int = 6, **kwargs) -> None:
        super().__init__(num_ids=num_ids, **kwargs)
        self.embed = nn.Sequential(nn.Linear(8, 4), nn.BatchNorm1d(4))


@HOOKS.register_module(force=True)
class ToyValRecorder(Hook):
    """Appends each validation's metrics (and, per rank, how much the
    model-state sync changed that rank) to ``<work_dir>/val_rank<r>.jsonl``."""

    priority = 'LOWEST'

    def after_val_epoch(self, runner, metrics=None) -> None:
        sync = [h for h in runner.hooks
                if type(h).__name__ == 'SyncModelStateHook']
        diff = sync[0].last_max_diff if sync else None
        with open(osp.join(runner.work_dir,
                           f'val_rank{runner.rank}.jsonl'), 'a') as f:
            f.write(json.dumps(dict(
                epoch=runner.epoch, sync_diff=diff,
                metrics={k: float(v) for k, v in (metrics or {}).items()}))
                + '\n')


@HOOKS.register_module(force=True)
class ToyKillDuringSave(Hook):
    """SIGKILLs the process half-way through writing ``filename``.

    It wraps mmengine's local file backend so that the write of a file whose
    name contains ``filename`` stops after half of its bytes, flushed to
    disk, and the process is killed right there -- a job killed by the
    cluster while it saves."""

    def __init__(self, filename: str) -> None:
        import os
        import signal

        from mmengine.fileio.backends import LocalBackend
        original = LocalBackend.put

        def put(backend, obj, filepath):
            if filename in str(filepath):
                with open(filepath, 'wb') as f:
                    f.write(obj[:len(obj) // 2])
                    f.flush()
                    os.fsync(f.fileno())
                os.kill(os.getpid(), signal.SIGKILL)
            return original(backend, obj, filepath)

        LocalBackend.put = put


@HOOKS.register_module(force=True)
class ToyPauseAt(Hook):
    """At iteration ``iteration`` writes ``<work_dir>/paused`` and sleeps, so
    that a test can SIGKILL the process in the middle of an epoch."""

    def __init__(self, iteration: int) -> None:
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        import time
        if runner.iter + 1 == self.iteration:
            open(osp.join(runner.work_dir, 'paused'), 'w').close()
            time.sleep(600)
