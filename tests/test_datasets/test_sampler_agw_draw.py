# Copyright (c) vireid contributors. All rights reserved.
"""CrossModalIdentitySampler(draw='agw'): AGW's IdentitySampler rules."""
import numpy as np
import pytest

from vireid.datasets import CrossModalIdentitySampler


class _Data:

    def __init__(self, counts):
        labels, mods = [], []
        for label, (nv, ni) in enumerate(counts):
            labels += [label] * (nv + ni)
            mods += [0] * nv + [1] * ni
        self.labels, self.mods = np.asarray(labels), np.asarray(mods)

    def __len__(self):
        return len(self.labels)

    def get_sampling_info(self):
        return dict(gt_label=self.labels, modality=self.mods)


def _batches(s, epoch=0):
    s.set_epoch(epoch)
    return np.asarray([int(i) for i in s]).reshape(-1, s.batch_size)


def test_agw_draw_layout_epoch_rule_and_replacement():
    ds = _Data([(3, 2)] * 6 + [(40, 30)] * 4)  # 178 visible, 132 infrared
    P, K = 4, 4
    s = CrossModalIdentitySampler(ds, num_ids=P, num_instances=K, seed=1,
                                  draw='agw')
    batches = _batches(s)
    assert len(batches) == 178 // (P * K) + 1  # int(N / (P*K)) + 1
    repeats = 0
    for b in batches:
        vis, ir = b[:P * K], b[P * K:]
        assert (ds.mods[vis] == 0).all() and (ds.mods[ir] == 1).all()
        ids_v = ds.labels[vis].reshape(P, K)
        assert (ids_v == ids_v[:, :1]).all()
        assert (ids_v == ds.labels[ir].reshape(P, K)).all()
        assert len(set(ids_v[:, 0].tolist())) == P  # ids w/o replacement
        repeats += sum(K - len(set(r.tolist())) for r in vis.reshape(P, K))
    # K images *with* replacement: identities with 3 visible images must
    # repeat some (the queue draw never repeats when K <= images)
    assert repeats > 0
    # batches are independent draws: an identity can appear in consecutive
    # batches (never happens with shuffled rounds before all ids are used)
    first = [set(ds.labels[b[:P * K]].tolist()) for b in batches]
    assert any(first[i] & first[i + 1] for i in range(len(first) - 1))
    # same seed and epoch -> same batches; another epoch -> others
    assert (batches == _batches(s)).all()
    assert not np.array_equal(batches, _batches(s, epoch=1))


def test_queue_draw_unchanged_and_agw_validation():
    ds = _Data([(5, 5)] * 8)
    q = CrossModalIdentitySampler(ds, num_ids=4, num_instances=4, seed=0)
    assert len(_batches(q)) == 40 // 16  # the default rule
    with pytest.raises(ValueError, match='draw'):
        CrossModalIdentitySampler(ds, num_ids=4, draw='random')
    with pytest.raises(ValueError, match='interleave'):
        CrossModalIdentitySampler(ds, num_ids=4, interleave=True, draw='agw')
