# Copyright (c) vireid contributors. All rights reserved.
"""An ``int`` dataset index that carries the seed of its augmentation."""


class SeededIndex(int):
    """A dataset index with ``aug_seed``, the seed of this draw's augmentation.

    Samplers yield these instead of plain ints; the data loader hands them
    to ``dataset[idx]`` unchanged (also through worker processes, since they
    pickle), and :class:`~vireid.datasets.BaseVIReIDDataset` runs the
    pipeline with torch's CPU generator seeded from ``aug_seed`` (its state
    restored afterwards). Random augmentation then depends only on
    (sampler seed, epoch, position), not on worker count or on how far the
    process-wide RNG has advanced, so a run resumed in the middle of an
    epoch sees the same augmented images as an uninterrupted one.
    """

    aug_seed: int

    def __new__(cls, index: int, aug_seed: int) -> 'SeededIndex':
        obj = super().__new__(cls, index)
        obj.aug_seed = int(aug_seed)
        return obj

    def __reduce__(self):
        return (SeededIndex, (int(self), self.aug_seed))

    def __repr__(self) -> str:
        return f'SeededIndex({int(self)}, aug_seed={self.aug_seed})'
