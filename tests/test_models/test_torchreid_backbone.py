# Copyright (c) vireid contributors. All rights reserved.
import warnings

import pytest
import torch

from vireid.models import TorchreidBackbone
from vireid.models.utils import CheckpointMismatchError


def _img(n=2):
    g = torch.Generator().manual_seed(0)
    return torch.randn(n, 3, 64, 32, generator=g)


def test_osnet_stages_without_network():
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # the Cython warning is suppressed
        net = TorchreidBackbone('osnet_x0_25', out_indices=(0, 1, 2, 3, 4))
    net.eval()
    assert net.family == 'osnet'
    assert not any(k.startswith(('model.classifier', 'model.fc'))
                   for k in net.state_dict())
    x = _img()
    with torch.no_grad():
        outs = net(x, modality=torch.tensor([0, 1]))
        ref = net.model.featuremaps(x)
    assert [tuple(o.shape) for o in outs] == [(2, 16, 32, 16), (2, 64, 8, 4),
                                              (2, 96, 4, 2), (2, 128, 4, 2),
                                              (2, 128, 4, 2)]
    torch.testing.assert_close(outs[-1], ref)
    last = TorchreidBackbone('osnet_x0_25')
    assert last.out_indices == (4, )
    out = last(x)
    assert len(out) == 1 and out[0].shape == (2, 128, 4, 2)
    out[0].mean().backward()
    assert last.model.conv1.conv.weight.grad.abs().sum() > 0


def test_osnet_ain_matches_featuremaps():
    net = TorchreidBackbone('osnet_ain_x0_25', out_indices=(1, 4)).eval()
    assert net.stage_names[1] == ('maxpool', 'conv2', 'pool2')
    x = _img()
    with torch.no_grad():
        outs = net(x)
        ref = net.model.featuremaps(x)
    torch.testing.assert_close(outs[-1], ref)
    assert outs[0].shape == (2, 64, 8, 4)


def test_resnet_ibn_a_last_stride():
    net = TorchreidBackbone('resnet50_ibn_a', out_indices=(2, 3),
                            last_stride=1).eval()
    assert net.family == 'resnet'
    with torch.no_grad():
        l3, l4 = net(_img(1))
    assert l3.shape == (1, 1024, 4, 2) and l4.shape == (1, 2048, 4, 2)


def test_pretrained_local_file(tmp_path):
    src = TorchreidBackbone('osnet_x0_25')
    state = dict(src.model.state_dict())
    state['classifier.weight'] = torch.zeros(1000, 512)  # zoo head: ignored
    path = tmp_path / 'osnet_x0_25_imagenet.pth'
    torch.save(state, path)
    dst = TorchreidBackbone('osnet_x0_25', pretrained=str(path))
    assert not torch.equal(dst.model.conv1.conv.weight,
                           src.model.conv1.conv.weight)
    dst.init_weights()
    torch.testing.assert_close(dst.model.conv1.conv.weight,
                               src.model.conv1.conv.weight)
    torch.testing.assert_close(dst.model.conv5.conv.weight,
                               src.model.conv5.conv.weight)

    del state['conv3.0.conv1.conv.weight']
    torch.save(state, path)
    bad = TorchreidBackbone('osnet_x0_25', pretrained=str(path))
    with pytest.raises(CheckpointMismatchError,
                       match=r'missing keys \(1\): conv3\.0\.conv1\.conv'):
        bad.init_weights()


def test_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='osnet_missing.pth'):
        TorchreidBackbone('osnet_x0_25',
                          pretrained=str(tmp_path / 'osnet_missing.pth'))
    with pytest.raises(ValueError, match='local file'):
        TorchreidBackbone('osnet_x0_25', pretrained='https://x/y.pth')
    with pytest.raises(KeyError, match='unknown torchreid model'):
        TorchreidBackbone('osnet_x9')
    with pytest.raises(ValueError, match='out_indices'):
        TorchreidBackbone('osnet_x0_25', out_indices=(5, ))
    with pytest.raises(ValueError, match='ResNet-like'):
        TorchreidBackbone('osnet_x0_25', last_stride=1)
