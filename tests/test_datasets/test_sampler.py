# Copyright (c) vireid contributors. All rights reserved.
from collections import Counter

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from vireid.datasets import CrossModalIdentitySampler, SYSUMM01Dataset
from vireid.registry import DATA_SAMPLERS


class FakeDataset:
    """``counts[label] = (num visible, num infrared)``, items shuffled."""

    def __init__(self, counts, seed=0):
        labels, mods = [], []
        for label, (nv, ni) in enumerate(counts):
            labels += [label] * (nv + ni)
            mods += [0] * nv + [1] * ni
        order = np.random.default_rng(seed).permutation(len(labels))
        self.labels = np.asarray(labels)[order]
        self.mods = np.asarray(mods)[order]

    def __len__(self):
        return len(self.labels)

    def get_sampling_info(self):
        return dict(gt_label=self.labels.copy(), modality=self.mods.copy())


def batches_of(sampler, epoch=0):
    sampler.set_epoch(epoch)
    idx = list(sampler)
    assert len(idx) == len(sampler)
    assert len(idx) % sampler.batch_size == 0
    return np.asarray(idx).reshape(-1, sampler.batch_size)


def test_agw_layout():
    ds = FakeDataset([(5, 3)] * 10)
    P, K = 4, 3
    s = CrossModalIdentitySampler(ds, num_ids=P, num_instances=K, seed=0)
    assert s.batch_size == 2 * P * K
    for batch in batches_of(s):
        vis, ir = batch[:P * K], batch[P * K:]
        assert (ds.mods[vis] == 0).all() and (ds.mods[ir] == 1).all()
        ids_v = ds.labels[vis].reshape(P, K)
        ids_i = ds.labels[ir].reshape(P, K)
        # K images of one identity per row, rows aligned across modalities
        assert (ids_v == ids_v[:, :1]).all()
        assert (ids_v == ids_i).all()
        assert len(set(ids_v[:, 0].tolist())) == P
        # enough images: no repeat inside an identity's K
        for row in vis.reshape(P, K):
            assert len(set(row.tolist())) == K
        for row in ir.reshape(P, K):
            assert len(set(row.tolist())) == K


def test_interleaved_layout():
    ds = FakeDataset([(6, 6)] * 8)
    P, K = 3, 4
    s = CrossModalIdentitySampler(
        ds, num_ids=P, num_instances=K, interleave=True, seed=1)
    assert s.batch_size == P * K
    for batch in batches_of(s):
        chunks = batch.reshape(P, K)
        assert len({int(ds.labels[c[0]]) for c in chunks}) == P
        for chunk in chunks:
            assert (ds.labels[chunk] == ds.labels[chunk[0]]).all()
            assert ds.mods[chunk].tolist() == [1, 0] * (K // 2)


def test_epoch_covers_every_image_once():
    ds = FakeDataset([(8, 8)] * 8)
    s = CrossModalIdentitySampler(ds, num_ids=4, num_instances=4, seed=3)
    # max(#V, #I) // (P * K) = 64 // 16 = 4 batches of 32
    assert len(s) == 4 * 32
    counts = Counter(batches_of(s).reshape(-1).tolist())
    assert sorted(counts) == list(range(len(ds)))
    assert set(counts.values()) == {1}


def test_few_images_are_oversampled():
    # identity 0 has a single infrared image, identity 1 two visible ones
    ds = FakeDataset([(6, 1), (2, 6), (6, 6), (6, 6)])
    P, K = 4, 4
    s = CrossModalIdentitySampler(ds, num_ids=P, num_instances=K, seed=0)
    ir0 = int(np.flatnonzero((ds.labels == 0) & (ds.mods == 1))[0])
    vis1 = set(np.flatnonzero((ds.labels == 1) & (ds.mods == 0)).tolist())
    for batch in batches_of(s):
        ir = batch[P * K:].reshape(P, K)
        vis = batch[:P * K].reshape(P, K)
        row0 = [r for r in ir if ds.labels[r[0]] == 0][0]
        assert row0.tolist() == [ir0] * K
        row1 = [r for r in vis if ds.labels[r[0]] == 1][0]
        assert set(row1.tolist()) == vis1
        assert Counter(row1.tolist()).most_common()[0][1] == 2


def test_ranks_are_disjoint_and_equal():
    ds = FakeDataset([(7, 5)] * 12)
    kw = dict(num_ids=4, num_instances=2, seed=11)
    single = CrossModalIdentitySampler(ds, rank=0, world_size=1, **kw)
    r0 = CrossModalIdentitySampler(ds, rank=0, world_size=2, **kw)
    r1 = CrossModalIdentitySampler(ds, rank=1, world_size=2, **kw)
    b0, b1 = batches_of(r0, 2), batches_of(r1, 2)
    assert len(r0) == len(r1) and b0.shape == b1.shape
    glob = r0.global_batches(2)
    assert (glob[0::2] == b0).all() and (glob[1::2] == b1).all()
    assert not {tuple(b) for b in b0} & {tuple(b) for b in b1}
    # the global sequence does not depend on the world size
    n = min(len(glob), len(single.global_batches(2)))
    assert (single.global_batches(2)[:n] == glob[:n]).all()
    # 7 * 12 // 8 = 10 batches -> 5 per rank
    assert r0.batches_per_rank == 5 and single.batches_per_rank == 10
    # odd number of batches: rounded up so both ranks get the same count
    odd = FakeDataset([(9, 5)] * 12)  # 108 // 8 = 13 batches
    a = CrossModalIdentitySampler(odd, rank=0, world_size=2, **kw)
    b = CrossModalIdentitySampler(odd, rank=1, world_size=2, **kw)
    assert len(a) == len(b) == 7 * 16


def test_resume_and_epochs():
    ds = FakeDataset([(5, 5)] * 10)
    a = CrossModalIdentitySampler(ds, num_ids=4, num_instances=2, seed=5)
    e0, e1 = batches_of(a, 0), batches_of(a, 1)
    assert not np.array_equal(e0, e1)
    # a "resumed" sampler (new object, same seed) replays epoch 1 exactly
    b = CrossModalIdentitySampler(ds, num_ids=4, num_instances=2, seed=5)
    assert np.array_equal(batches_of(b, 1), e1)
    assert np.array_equal(batches_of(b, 0), e0)
    c = CrossModalIdentitySampler(ds, num_ids=4, num_instances=2, seed=6)
    assert not np.array_equal(batches_of(c, 0), e0)


def test_global_rng_untouched():
    import random
    ds = FakeDataset([(5, 5)] * 10)
    s = CrossModalIdentitySampler(ds, num_ids=4, num_instances=2, seed=5)
    np.random.seed(0)
    random.seed(0)
    before = (np.random.random(), random.random())
    np.random.seed(0)
    random.seed(0)
    list(s)
    assert (np.random.random(), random.random()) == before


def test_num_batches_and_seed_none():
    ds = FakeDataset([(5, 5)] * 10)
    s = CrossModalIdentitySampler(
        ds, num_ids=2, num_instances=2, num_batches=7, seed=None)
    assert isinstance(s.seed, int) and len(s) == 7 * 8


def test_one_modality_labels_are_skipped(mm_log):
    ds = FakeDataset([(5, 5), (4, 0), (5, 5)])
    s = CrossModalIdentitySampler(ds, num_ids=2, num_instances=2, seed=0)
    assert s.identities == [0, 2]
    assert 1 not in ds.labels[list(s)].tolist()
    assert any('1 labels have images of one modality' in r.getMessage()
               for r in mm_log)


def test_errors():
    ds = FakeDataset([(5, 5)] * 3)
    with pytest.raises(ValueError, match=r'num_ids=4 identities per batch, '
                       r'but only 3'):
        CrossModalIdentitySampler(ds, num_ids=4, num_instances=2, seed=0)
    with pytest.raises(ValueError, match=r'must be even'):
        CrossModalIdentitySampler(
            ds, num_ids=2, num_instances=3, interleave=True, seed=0)
    test_like = FakeDataset([(5, 5)] * 3)
    test_like.labels[:] = -1
    with pytest.raises(ValueError, match=r'needs a training split'):
        CrossModalIdentitySampler(test_like, num_ids=2, seed=0)
    with pytest.raises(ValueError, match=r'rank 2 not in \[0, 2\)'):
        CrossModalIdentitySampler(ds, num_ids=2, rank=2, world_size=2, seed=0)


def test_registry_with_real_dataset(synthetic_roots):
    init_default_scope('vireid')
    ds = SYSUMM01Dataset(synthetic_roots['sysu'], split='train')
    s = DATA_SAMPLERS.build(
        dict(type='CrossModalIdentitySampler', num_ids=3, num_instances=2),
        default_args=dict(dataset=ds, seed=0))
    info = ds.get_sampling_info()
    for batch in batches_of(s, 4):
        assert (info['modality'][batch[:6]] == 0).all()
        assert (info['modality'][batch[6:]] == 1).all()
        assert (info['gt_label'][batch[:6]] == info['gt_label'][batch[6:]]
                ).all()
