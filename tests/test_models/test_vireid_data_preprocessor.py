# Copyright (c) vireid contributors. All rights reserved.
import pytest
import torch

from vireid.models import VIReIDDataPreprocessor

MEAN = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1)


def test_stacks_and_normalises(tiny_batch):
    pre = VIReIDDataPreprocessor()
    out = pre(tiny_batch, training=True)
    x = out['inputs']
    assert x.shape == (8, 3, 64, 32) and x.dtype == torch.float32
    expected = (tiny_batch['inputs'][3].float() - MEAN) / STD
    torch.testing.assert_close(x[3], expected)
    assert out['data_samples'] is not None
    assert len(out['data_samples']) == 8
    assert out['data_samples'][2].metainfo['modality'] == 1


def test_accepts_stacked_tensor_and_no_samples():
    pre = VIReIDDataPreprocessor(mean=(0, 0, 0), std=(255, 255, 255))
    batch = torch.full((2, 3, 4, 2), 255, dtype=torch.uint8)
    out = pre(dict(inputs=batch))
    assert out['data_samples'] is None
    torch.testing.assert_close(out['inputs'], torch.ones(2, 3, 4, 2))


def test_channels_last():
    pre = VIReIDDataPreprocessor(channels_last=True)
    imgs = [torch.zeros(3, 8, 4, dtype=torch.uint8) for _ in range(2)]
    x = pre(dict(inputs=imgs))['inputs']
    assert x.is_contiguous(memory_format=torch.channels_last)


def test_rejects_mixed_sizes_and_bad_channels():
    pre = VIReIDDataPreprocessor()
    imgs = [
        torch.zeros(3, 8, 4, dtype=torch.uint8),
        torch.zeros(3, 8, 6, dtype=torch.uint8)
    ]
    with pytest.raises(ValueError, match=r'inputs\[1\] has shape'):
        pre(dict(inputs=imgs))
    with pytest.raises(ValueError, match='1 channels'):
        pre(dict(inputs=[torch.zeros(1, 8, 4, dtype=torch.uint8)]))
    with pytest.raises(KeyError, match='inputs'):
        pre(dict(data_samples=[]))


def test_mean_std_not_in_state_dict():
    assert VIReIDDataPreprocessor().state_dict() == {}
