# Copyright (c) vireid contributors. All rights reserved.
"""IDKL's epoch rule of the sampler and the torchvision-style erasing."""
from collections import Counter

import numpy as np
import pytest
import torch

from vireid.datasets import CrossModalIdentitySampler


class FakeDataset:
    """``counts[label] = (num visible, num infrared)``."""

    def __init__(self, counts):
        labels, mods = [], []
        for label, (nv, ni) in enumerate(counts):
            labels += [label] * (nv + ni)
            mods += [0] * nv + [1] * ni
        self.labels, self.mods = np.asarray(labels), np.asarray(mods)

    def __len__(self):
        return len(self.labels)

    def get_sampling_info(self):
        return dict(gt_label=self.labels.copy(), modality=self.mods.copy())


def make(ds, **kw):
    kw = dict(dict(num_ids=3, num_instances=4, interleave=True,
                   idkl_epoch=True, seed=0, seed_augment=False), **kw)
    return CrossModalIdentitySampler(ds, **kw)


def test_idkl_epoch_rule():
    # min(n_V, n_I) per id: 6, 4, 2, 2, 9 (3 V, 1 I -> oversampled to 2)
    counts = [(6, 8), (10, 4), (2, 2), (2, 5), (9, 12), (3, 1)]
    ds = FakeDataset(counts)
    s = make(ds)
    chunks = sum(max(min(v, i), 2) // 2 for v, i in counts)  # K/2 = 2
    assert chunks == 3 + 2 + 1 + 1 + 4 + 1
    # one simulated epoch: at most chunks / P batches
    assert 1 <= s.batches_per_rank <= chunks // 3
    for epoch in range(3):
        s.set_epoch(epoch)
        idx = np.asarray(list(s)).reshape(-1, s.batch_size)
        assert len(idx) == s.batches_per_rank
        used = Counter()
        for b in idx:
            per_id = b.reshape(3, 4)
            ids = [set(ds.labels[c].tolist()) for c in per_id]
            assert all(len(x) == 1 for x in ids)  # one id per chunk
            assert len({next(iter(x)) for x in ids}) == 3  # P distinct ids
            for c in per_id:
                assert ds.mods[c].tolist() == [1, 0, 1, 0]  # I, V, I, V
                used.update(c.tolist())
    # one pass: images are drawn without replacement where there are
    # enough; id 5 (3 V, 1 I) is oversampled to one chunk instead of none
    one_pass = np.concatenate(s._idkl_batches(np.random.default_rng(1)))
    used = Counter(one_pass.tolist())
    assert all(used[i] == 1 for i in used if ds.labels[i] in (0, 1, 4))
    ir5 = [i for i in range(len(ds)) if ds.labels[i] == 5 and ds.mods[i]]
    assert used[ir5[0]] in (0, 2)


def test_idkl_epoch_needs_interleave_and_can_be_overridden():
    ds = FakeDataset([(4, 4)] * 5)
    with pytest.raises(ValueError, match='interleave'):
        make(ds, interleave=False, num_instances=2)
    assert make(ds, num_batches=7).batches_per_rank == 7


def test_idkl_epoch_fills_up_to_the_fixed_length():
    ds = FakeDataset([(4, 4)] * 3 + [(20, 20)])
    s = make(ds, num_batches=5)  # one pass gives only 2 batches
    s.set_epoch(0)
    assert len(list(s)) == 5 * 12


def test_torchvision_random_erasing():
    from mmengine.registry import init_default_scope
    init_default_scope('vireid')
    from vireid.registry import TRANSFORMS
    torch.manual_seed(0)
    img = np.full((40, 20, 3), 200, np.uint8)
    t = TRANSFORMS.build(dict(type='TorchvisionRandomErasing', prob=1.0))
    areas = []
    for _ in range(50):
        out = t(dict(img=img.copy()))['img']
        erased = (out != 200).all(axis=2)
        assert set(np.unique(out[erased]).tolist()) <= {124, 116, 104}
        areas.append(erased.mean())
    areas = np.asarray(areas)
    assert (areas > 0).mean() > 0.8
    assert areas.max() <= 0.33 + 0.05
    t0 = TRANSFORMS.build(dict(type='TorchvisionRandomErasing', prob=0.0))
    assert (t0(dict(img=img.copy()))['img'] == img).all()
    with pytest.raises(ValueError, match='ratio'):
        TRANSFORMS.build(dict(type='TorchvisionRandomErasing',
                              ratio=(2.0, 1.0)))
