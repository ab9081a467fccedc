# Copyright (c) vireid contributors. All rights reserved.
"""Shared fixtures of the model tests: tiny batches of VI-ReID samples."""
from typing import List, Sequence

import pytest
import torch


@pytest.fixture
def make_samples():
    """Factory: ``make_samples(labels, modalities) -> list of samples``."""
    from vireid.structures import VIReIDDataSample

    def _make(labels: Sequence[int],
              modalities: Sequence[int]) -> List['VIReIDDataSample']:
        samples = []
        for i, (label, mod) in enumerate(zip(labels, modalities)):
            ds = VIReIDDataSample(
                metainfo=dict(
                    img_path=f'/tmp/img_{i}.jpg',
                    rel_path=f'img_{i}.jpg',
                    pid=int(label) + 100,
                    camid=1 if mod == 0 else 3,
                    modality=int(mod),
                    is_query=False))
            ds.set_gt_label(int(label))
            samples.append(ds)
        return samples

    return _make


@pytest.fixture
def tiny_batch(make_samples):
    """2 identities x (2 visible + 2 infrared), uint8 64x32 images, mixed
    order."""
    g = torch.Generator().manual_seed(0)
    labels = [0, 1, 0, 1, 0, 1, 0, 1]
    modalities = [0, 1, 1, 0, 1, 0, 0, 1]
    imgs = [
        torch.randint(0, 256, (3, 64, 32), generator=g, dtype=torch.uint8)
        for _ in labels
    ]
    return dict(inputs=imgs, data_samples=make_samples(labels, modalities))
