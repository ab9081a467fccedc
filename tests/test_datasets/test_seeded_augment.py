# Copyright (c) vireid contributors. All rights reserved.
"""Augmentation seeded per draw: independent of workers and resumable."""
import pickle

import torch
from torch.utils.data import DataLoader

from vireid.datasets import (CrossModalIdentitySampler, SYSUMM01Dataset,
                             make_synthetic_sysu)
from vireid.datasets.samplers import SeededIndex

PIPELINE = [
    dict(type='LoadVIReIDImage'),
    dict(type='RandomPadCrop', pad=4),
    dict(type='RandomHFlip', prob=0.5),
    dict(type='RandomErasing', prob=0.5),
    dict(type='PackVIReIDInputs'),
]


def _collate(batch):
    return torch.stack([b['inputs'] for b in batch])


def test_seeded_index_pickles():
    idx = SeededIndex(7, 123)
    back = pickle.loads(pickle.dumps(idx))
    assert back == 7 and back.aug_seed == 123 and isinstance(back, int)


def test_same_images_for_any_worker_count_and_after_skip(tmp_path):
    root = str(tmp_path / 'SYSU-MM01')
    make_synthetic_sysu(root, num_train_ids=4, num_test_ids=2,
                        img_size=(32, 16), images_per_cam=(2, 3), seed=1)
    ds = SYSUMM01Dataset(root, split='train', pipeline=PIPELINE)

    def run(workers, skip=0):
        sampler = CrossModalIdentitySampler(ds, num_ids=2, num_instances=2,
                                            seed=5, rank=0, world_size=1)
        sampler.set_epoch(3)
        if skip:
            sampler.skip(skip)
        loader = DataLoader(ds, batch_size=sampler.batch_size,
                            sampler=sampler, num_workers=workers,
                            collate_fn=_collate)
        torch.manual_seed(workers)  # the global RNG must not matter
        return torch.cat(list(loader))

    a, b = run(0), run(2)
    assert torch.equal(a, b)
    # resuming after 8 samples yields exactly the rest of the epoch
    assert torch.equal(run(0, skip=8), a[8:])
    # and the augmentation is really random (not a no-op pipeline)
    sampler = CrossModalIdentitySampler(ds, num_ids=2, num_instances=2,
                                        seed=5, rank=0, world_size=1)
    idx = next(iter(sampler))
    x1 = ds[SeededIndex(int(idx), 1)]['inputs']
    x2 = ds[SeededIndex(int(idx), 2)]['inputs']
    x1b = ds[SeededIndex(int(idx), 1)]['inputs']
    assert torch.equal(x1, x1b) and not torch.equal(x1, x2)


def test_visible_only_sampling(tmp_path):
    root = str(tmp_path / 'SYSU-MM01')
    make_synthetic_sysu(root, num_train_ids=4, num_test_ids=2,
                        img_size=(32, 16), images_per_cam=(2, 3), seed=1)
    ds = SYSUMM01Dataset(root, split='train', pipeline=[])
    info = ds.get_sampling_info()
    s = CrossModalIdentitySampler(ds, num_ids=2, num_instances=2, seed=0,
                                  rank=0, world_size=1, modalities=(0, ))
    assert s.batch_size == 8
    idx = [int(i) for i in s]
    assert len(idx) == len(s) and len(idx) % 8 == 0
    assert (info['modality'][idx] == 0).all()
    for b in range(0, len(idx), 8):
        labels = info['gt_label'][idx[b:b + 8]]
        assert len(set(labels.tolist())) == 2  # P ids x 2K images each
        assert sorted(labels.tolist()).count(labels[0]) == 4
    import pytest
    with pytest.raises(ValueError, match='modalities'):
        CrossModalIdentitySampler(ds, modalities=(0, 2), rank=0,
                                  world_size=1)


def test_seeded_draw_equals_manual_seed_and_leaves_global_rng(tmp_path):
    """The per-draw seeding gives exactly the images of
    ``torch.manual_seed(aug_seed)`` and leaves the global RNG where it was."""
    root = str(tmp_path / 'SYSU-MM01')
    make_synthetic_sysu(root, num_train_ids=2, num_test_ids=2,
                        img_size=(32, 16), images_per_cam=(2, 2), seed=3)
    ds = SYSUMM01Dataset(root, split='train', pipeline=PIPELINE)
    for seed in (0, 11, 2**40 + 7):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            want = ds.prepare_data(1)['inputs']
        torch.manual_seed(99)
        before = torch.rand(4)
        torch.manual_seed(99)
        got = ds[SeededIndex(1, seed)]['inputs']
        assert torch.equal(torch.rand(4), before)
        assert torch.equal(got, want)


def test_hflip_same_bytes_any_channel_count():
    import numpy as np

    from vireid.datasets.transforms import RandomHFlip
    flip = RandomHFlip(prob=1.0)
    rng = np.random.default_rng(0)
    for shape in [(8, 5, 3), (8, 5, 1), (8, 5), (8, 5, 6)]:
        img = rng.integers(0, 256, shape, dtype=np.uint8)
        out = flip.transform(dict(img=img.copy()))['img']
        assert out.shape == img.shape and out.flags.c_contiguous
        assert np.array_equal(out, img[:, ::-1])
