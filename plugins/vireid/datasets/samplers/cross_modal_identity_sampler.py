# Copyright (c) vireid contributors. All rights reserved.
"""Rank-aware P x K cross-modal identity sampler."""
import logging
import math
from typing import Dict, Iterator, List, Optional, Sequence, Sized, Tuple

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.logging import print_log
from torch.utils.data import Sampler

from vireid.registry import DATA_SAMPLERS
from .seeded_index import SeededIndex

VISIBLE = 0
INFRARED = 1


@DATA_SAMPLERS.register_module()
class CrossModalIdentitySampler(Sampler):
    """Batches of P identities with K visible and K infrared images each.

    Two batch layouts:

    - ``interleave=False`` (AGW / CAJ / DEEN style): each identity gets
      ``num_instances`` (K) visible **and** K infrared images; batch size
      ``2 * P * K``. The batch is ordered ``[V(id_1) x K, ..., V(id_P) x K,
      I(id_1) x K, ..., I(id_P) x K]``, like AGW's ``cat([visible,
      thermal])``.
    - ``interleave=True`` (IDKL style): K counts both modalities, K/2
      visible + K/2 infrared per identity; batch size ``P * K``. Each
      identity's chunk alternates ``I, V, I, V, ...``.

    In both layouts, taking the visible rows and the infrared rows of a
    batch in order gives two lists in which row ``j`` of each shares an
    identity.

    **Which images.** Each (identity, modality) keeps a shuffled queue of
    its images; K are taken without replacement and the queue is refilled
    with a new permutation when fewer than K remain. An identity with fewer
    than K images in a modality repeats them (concatenated permutations,
    i.e. balanced sampling with replacement), so it never breaks the
    sampler. Identities are visited in shuffled rounds, P distinct ones per
    batch. Identities without images of both modalities are skipped with a
    warning.

    **AGW-exact draw** (``draw='agw'``, selected by the AGW / CAJ configs):
    what AGW's ``IdentitySampler`` does instead of the queues above. Each
    batch is drawn independently: P identities without replacement from all
    identities, then K visible and K infrared images of each *with*
    replacement (an image can appear twice in a batch, and nothing balances
    images over the epoch). The epoch has ``int(max(#visible, #infrared) /
    (P * K)) + 1`` batches, AGW's rule (unless ``num_batches`` is given).
    Needs ``interleave=False`` and both modalities. The draws still come
    from ``np.random.default_rng([seed, epoch])``.

    **Epoch length.** ``B = max(1, max(#visible, #infrared) // (P * k))``
    batches over all ranks, where ``k`` is the number of images per
    identity and modality in a batch (K, or K/2 when interleaved): one
    epoch shows about as many images of each modality as the larger
    modality has (AGW's rule), unless ``num_batches`` is given. ``B`` is
    rounded up to a multiple of the world size.

    **Distributed.** One global sequence of batches is built from
    ``np.random.default_rng([seed, epoch])`` (never the global RNG); rank
    ``r`` takes batches ``r, r + W, r + 2W, ...``, so every rank gets whole
    P x K batches and the same number of them. The same ``seed`` and
    ``epoch`` give the same batches, which makes resuming exact.

    **Data loader.** The sampler yields flattened batches of indices: the
    data loader's ``batch_size`` must equal :attr:`batch_size` (the
    per-rank batch) and ``shuffle`` must be off; the sampler's length is a
    multiple of it, so ``drop_last`` does not matter.

    Args:
        dataset (Sized): The training set (injected by mmengine). It must
            provide ``get_sampling_info()`` (see
            :class:`~vireid.datasets.BaseVIReIDDataset`) or
            ``get_data_info(i)`` with ``gt_label`` and ``modality``.
        num_ids (int): P, identities per batch. Defaults to 8.
        num_instances (int): K, see the layouts above. Defaults to 4.
        interleave (bool): IDKL layout. Defaults to False.
        seed (int, optional): Shared random seed (injected by mmengine);
            ``None`` uses :func:`mmengine.dist.sync_random_seed`.
        num_batches (int, optional): Batches per epoch over all ranks,
            replacing the rule above.
        rank (int, optional): This process's rank (for tests); defaults to
            :func:`mmengine.dist.get_dist_info`.
        world_size (int, optional): Number of ranks (for tests).
        seed_augment (bool): Yield :class:`SeededIndex` items so that each
            draw's augmentation is seeded from (seed, epoch, rank, position)
            -- reproducible across worker counts and mid-epoch resumes.
            Defaults to True.
        modalities (Sequence[int]): ``(0, 1)`` (default) for cross-modal
            batches; ``(0,)`` or ``(1,)`` samples one modality only
            (P identities x 2K images of it, the same batch size), e.g. to
            train a visible-only baseline.
        draw (str): ``'queue'`` (default, the balanced queues above) or
            ``'agw'`` (AGW-exact draw and epoch rule, see above).
        idkl_epoch (bool): IDKL's epoch rule (its ``RandomIdentitySampler``,
            needs ``interleave=True``): every epoch, each identity's larger
            modality is subsampled without replacement to the size of the
            smaller one (an identity with fewer than K/2 images in a
            modality is oversampled to K/2 instead of breaking), the pairs
            are cut into chunks of K (``I, V, I, V, ...``), and batches of
            P randomly chosen identities with chunks left take one chunk
            each until fewer than P identities have chunks, i.e. about
            ``2 * sum_id min(n_V, n_I) / K`` chunks. mmengine needs a fixed
            epoch length, so the number of batches is that of one
            simulated epoch (drawn once from ``seed``); an epoch whose draw
            ends earlier continues with a fresh round of chunks, one that
            runs longer is cut. ``num_batches`` still overrides the
            length. Defaults to False.
    """

    #: Values of ``draw``.
    DRAWS = ('queue', 'agw')

    def __init__(self,
                 dataset: Sized,
                 num_ids: int = 8,
                 num_instances: int = 4,
                 interleave: bool = False,
                 seed: Optional[int] = None,
                 num_batches: Optional[int] = None,
                 rank: Optional[int] = None,
                 world_size: Optional[int] = None,
                 seed_augment: bool = True,
                 modalities: Sequence[int] = (VISIBLE, INFRARED),
                 draw: str = 'queue',
                 idkl_epoch: bool = False) -> None:
        if draw not in self.DRAWS:
            raise ValueError(f'CrossModalIdentitySampler: draw must be one '
                             f'of {self.DRAWS}, got {draw!r}')
        if draw == 'agw' and (interleave or tuple(modalities) !=
                              (VISIBLE, INFRARED)):
            raise ValueError("CrossModalIdentitySampler: draw='agw' needs "
                             'interleave=False and modalities=(0, 1)')
        if draw == 'agw' and idkl_epoch:
            raise ValueError("CrossModalIdentitySampler: draw='agw' and "
                             'idkl_epoch=True are two different epoch rules; '
                             'choose one')
        self.draw = draw
        self.seed_augment = bool(seed_augment)
        self.idkl_epoch = bool(idkl_epoch)
        if self.idkl_epoch and not interleave:
            raise ValueError('CrossModalIdentitySampler: idkl_epoch=True is '
                             "IDKL's rule for its interleaved layout; set "
                             'interleave=True')
        self._skip = 0
        self.modalities = tuple(int(m) for m in modalities)
        if self.modalities not in ((VISIBLE, INFRARED), (VISIBLE, ),
                                   (INFRARED, )):
            raise ValueError(
                f'CrossModalIdentitySampler: modalities must be (0, 1), (0,) '
                f'or (1,), got {tuple(modalities)!r}')
        if len(self.modalities) == 1 and interleave:
            raise ValueError('CrossModalIdentitySampler: interleave needs '
                             'both modalities')
        if int(num_ids) != num_ids or num_ids < 1:
            raise ValueError(f'CrossModalIdentitySampler: num_ids must be a '
                             f'positive integer, got {num_ids!r}')
        if int(num_instances) != num_instances or num_instances < 1:
            raise ValueError(f'CrossModalIdentitySampler: num_instances must '
                             f'be a positive integer, got {num_instances!r}')
        if interleave and num_instances % 2:
            raise ValueError(
                f'CrossModalIdentitySampler: with interleave=True '
                f'num_instances counts both modalities and must be even, got '
                f'{num_instances}')
        if num_batches is not None and (int(num_batches) != num_batches
                                        or num_batches < 1):
            raise ValueError(f'CrossModalIdentitySampler: num_batches must be '
                             f'a positive integer, got {num_batches!r}')
        dist_rank, dist_world = get_dist_info()
        self.rank = dist_rank if rank is None else int(rank)
        self.world_size = dist_world if world_size is None else int(
            world_size)
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f'CrossModalIdentitySampler: rank {self.rank} '
                             f'not in [0, {self.world_size})')
        self.dataset = dataset
        self.num_ids = int(num_ids)
        self.num_instances = int(num_instances)
        self.interleave = bool(interleave)
        self.per_modality = (self.num_instances // 2
                             if self.interleave else self.num_instances)
        self.seed = (sync_random_seed() if seed is None else int(seed)) \
            % (2**32)
        self.epoch = 0

        self._index: Dict[Tuple[int, int], np.ndarray] = {}
        self.identities = self._build_index(dataset)
        if len(self.identities) < self.num_ids:
            raise ValueError(
                f'CrossModalIdentitySampler: num_ids={self.num_ids} '
                f'identities per batch, but only {len(self.identities)} '
                f'identities have images of both modalities')
        if num_batches is None and self.idkl_epoch:
            num_batches = max(
                1, len(self._idkl_batches(
                    np.random.default_rng([self.seed, 0x1D41]))))
        if num_batches is None:
            largest = max(self._num_images[m] for m in self.modalities)
            if self.draw == 'agw':  # AGW: int(N / (P * K)) + 1
                num_batches = largest // (self.num_ids *
                                          self.per_modality) + 1
            else:
                num_batches = max(1, largest //
                                  (self.num_ids * self.per_modality))
        self.batches_per_rank = math.ceil(num_batches / self.world_size)

    def _build_index(self, dataset: Sized) -> List[int]:
        if hasattr(dataset, 'get_sampling_info'):
            info = dataset.get_sampling_info()
            labels = np.asarray(info['gt_label'], dtype=np.int64)
            modality = np.asarray(info['modality'], dtype=np.int64)
        elif hasattr(dataset, 'get_data_info'):
            infos = [dataset.get_data_info(i) for i in range(len(dataset))]
            labels = np.asarray([d['gt_label'] for d in infos], np.int64)
            modality = np.asarray([d['modality'] for d in infos], np.int64)
        else:
            raise TypeError(
                f'CrossModalIdentitySampler needs a dataset with '
                f'get_sampling_info() or get_data_info(i), got '
                f'{type(dataset).__name__}')
        if len(labels) == 0:
            raise ValueError('CrossModalIdentitySampler: the dataset is empty')
        if (labels < 0).any():
            raise ValueError(
                f'CrossModalIdentitySampler: {int((labels < 0).sum())} items '
                f'have gt_label < 0; the sampler needs a training split')
        bad = ~np.isin(modality, (VISIBLE, INFRARED))
        if bad.any():
            raise ValueError(
                f'CrossModalIdentitySampler: modality must be 0 or 1, item '
                f'{int(np.flatnonzero(bad)[0])} has '
                f'{int(modality[bad][0])}')
        self._num_images = {
            VISIBLE: int((modality == VISIBLE).sum()),
            INFRARED: int((modality == INFRARED).sum())
        }
        order = np.argsort(labels, kind='stable')
        uniq, starts = np.unique(labels[order], return_index=True)
        groups = np.split(order, starts[1:])
        identities, skipped = [], []
        for label, members in zip(uniq.tolist(), groups):
            parts = {m: members[modality[members] == m]
                     for m in self.modalities}
            if any(len(p) == 0 for p in parts.values()):
                skipped.append(label)
                continue
            for m, p in parts.items():
                self._index[(label, m)] = p
            identities.append(label)
        if skipped:
            more = ' ...' if len(skipped) > 10 else ''
            print_log(
                f'CrossModalIdentitySampler: {len(skipped)} labels have '
                f'images of one modality only and are never sampled '
                f'(labels {skipped[:10]}{more})',
                logger='current',
                level=logging.WARNING)
        return identities

    @property
    def batch_size(self) -> int:
        """Images per batch on one rank (the data loader's batch size)."""
        return self.num_ids * self.per_modality * 2

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch, which seeds the next iteration's batches.

        Args:
            epoch (int): The epoch number.
        """
        self.epoch = int(epoch)

    def global_batches(self, epoch: Optional[int] = None) -> np.ndarray:
        """All ranks' batches of an epoch.

        Args:
            epoch (int, optional): Defaults to the current epoch.

        Returns:
            np.ndarray: ``(batches_per_rank * world_size, batch_size)``
            dataset indices; rank ``r`` uses rows ``r::world_size``.
        """
        epoch = self.epoch if epoch is None else int(epoch)
        rng = np.random.default_rng([self.seed, epoch])
        total = self.batches_per_rank * self.world_size
        if self.idkl_epoch:
            batches: List[np.ndarray] = []
            while len(batches) < total:
                batches += self._idkl_batches(rng)
            return np.stack(batches[:total]).astype(np.int64)
        k = self.per_modality
        queues: Dict[Tuple[int, int], np.ndarray] = {}
        id_queue: List[int] = []
        ids = np.asarray(self.identities)
        out = np.empty((total, self.batch_size), dtype=np.int64)
        if self.draw == 'agw':
            for b in range(total):
                chosen = rng.choice(ids, self.num_ids, replace=False)
                vis = [rng.choice(self._index[(int(i), VISIBLE)], k)
                       for i in chosen]
                ir = [rng.choice(self._index[(int(i), INFRARED)], k)
                      for i in chosen]
                out[b] = np.concatenate(vis + ir)
            return out
        for b in range(total):
            if len(id_queue) < self.num_ids:
                rest = set(id_queue)
                perm = rng.permutation(ids).tolist()
                # ids still queued go last so that a batch never repeats one
                id_queue += [i for i in perm if i not in rest]
                id_queue += [i for i in perm if i in rest]
            chosen = id_queue[:self.num_ids]
            id_queue = id_queue[self.num_ids:]
            if len(self.modalities) == 1:
                only = self.modalities[0]
                out[b] = np.concatenate([
                    self._draw(rng, queues, i, only, 2 * k) for i in chosen
                ])
                continue
            vis = np.stack([self._draw(rng, queues, i, VISIBLE, k)
                            for i in chosen])
            ir = np.stack([self._draw(rng, queues, i, INFRARED, k)
                           for i in chosen])
            if self.interleave:
                # per identity: I, V, I, V, ...
                out[b] = np.stack([ir, vis], axis=2).reshape(-1)
            else:
                out[b] = np.concatenate([vis.reshape(-1), ir.reshape(-1)])
        return out

    def _idkl_batches(self, rng: np.random.Generator) -> List[np.ndarray]:
        """One pass of IDKL's epoch rule (see ``idkl_epoch``)."""
        k = self.per_modality
        chunks: Dict[int, List[np.ndarray]] = {}
        for label in self.identities:
            vis = self._index[(label, VISIBLE)]
            ir = self._index[(label, INFRARED)]
            n = max(min(len(vis), len(ir)), k)

            def take(pool: np.ndarray) -> np.ndarray:
                reps = math.ceil(n / len(pool))
                return np.concatenate(
                    [rng.permutation(pool) for _ in range(reps)])[:n]

            v, i = take(vis), take(ir)
            pairs = np.stack([i, v], axis=1).reshape(-1)  # I, V, I, V, ...
            chunks[label] = [pairs[c * 2 * k:(c + 1) * 2 * k]
                             for c in range(n // k)]
        avail = [label for label in self.identities if chunks[label]]
        out = []
        while len(avail) >= self.num_ids:
            chosen = rng.choice(len(avail), self.num_ids, replace=False)
            labels = [avail[c] for c in chosen]
            out.append(np.concatenate([chunks[y].pop(0) for y in labels]))
            avail = [y for y in avail if chunks[y]]
        return out

    def _draw(self, rng: np.random.Generator, queues: dict, label: int,
              modality: int, k: int) -> np.ndarray:
        pool = self._index[(label, modality)]
        if len(pool) < k:
            reps = math.ceil(k / len(pool))
            return np.concatenate([rng.permutation(pool)
                                   for _ in range(reps)])[:k]
        queue = queues.get((label, modality))
        if queue is None or len(queue) < k:
            queue = rng.permutation(pool)
        queues[(label, modality)] = queue[k:]
        return queue[:k]

    def __iter__(self) -> Iterator[int]:
        batches = self.global_batches()[self.rank::self.world_size]
        indices = batches.reshape(-1).tolist()
        start, self._skip = self._skip, 0
        if not self.seed_augment:
            return iter(indices[start:])
        # one augmentation seed per (seed, epoch, rank, position)
        seeds = np.random.default_rng(
            [self.seed, self.epoch, self.rank, 0x5EED]).integers(
                0, 2**31 - 1, size=len(indices))
        return (SeededIndex(i, s)
                for i, s in zip(indices[start:], seeds[start:].tolist()))

    def skip(self, num_samples: int) -> None:
        """Start the next iteration ``num_samples`` indices later.

        Used by :class:`~vireid.engine.ResumableEpochBasedTrainLoop` to resume
        in the middle of an epoch without loading the skipped images.

        Args:
            num_samples (int): Indices of this rank to leave out, once.
        """
        if not 0 <= num_samples <= len(self):
            raise ValueError(f'CrossModalIdentitySampler.skip: num_samples '
                             f'must be in [0, {len(self)}], got {num_samples}')
        self._skip = int(num_samples)

    def __len__(self) -> int:
        return self.batches_per_rank * self.batch_size

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_ids={self.num_ids}, '
                f'num_instances={self.num_instances}, '
                f'interleave={self.interleave}, '
                f'idkl_epoch={self.idkl_epoch}, batch_size={self.batch_size}, '
                f'batches_per_rank={self.batches_per_rank}, '
                f'world_size={self.world_size})')
