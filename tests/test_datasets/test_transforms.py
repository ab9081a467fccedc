# Copyright (c) vireid contributors. All rights reserved.
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from vireid.datasets import (ChannelAdapGray, ChannelExchange,
                             ChannelRandomErasing, LoadVIReIDImage,
                             PackVIReIDInputs, RandomErasing, RandomGrayscale,
                             RandomHFlip, RandomPadCrop, ReIDResize,
                             SYSUMM01Dataset)
from vireid.registry import TRANSFORMS
from vireid.structures import VIReIDDataSample


@pytest.fixture
def rgb():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (20, 12, 3), dtype=np.uint8)


def res(img, modality=0):
    return dict(img=img.copy(), modality=modality)


# ------------------------------------------------------------------ loading
def test_load_rgb_order_and_channels(tmp_path):
    path = str(tmp_path / 'a.jpg')
    bgr = np.zeros((16, 8, 3), np.uint8)
    bgr[..., 0] = 250  # blue in OpenCV's BGR order
    cv2.imwrite(path, bgr)
    out = LoadVIReIDImage()(dict(img_path=path))
    assert out['img'].dtype == np.uint8 and out['img'].shape == (16, 8, 3)
    assert out['img'][..., 2].min() > 240 and out['img'][..., 0].max() < 10
    assert out['img_shape'] == (16, 8) == out['ori_shape']
    gray = str(tmp_path / 'g.png')
    cv2.imwrite(gray, np.full((10, 6), 77, np.uint8))
    img = LoadVIReIDImage()(dict(img_path=gray))['img']
    assert img.shape == (10, 6, 3) and (img == 77).all()


def test_load_missing_file(tmp_path):
    path = str(tmp_path / 'none.jpg')
    with pytest.raises(FileNotFoundError, match=f'image file not found: '
                       f'{path}'):
        LoadVIReIDImage()(dict(img_path=path))


def test_load_corrupt_and_truncated(tmp_path):
    bad = tmp_path / 'bad.jpg'
    bad.write_bytes(b'this is not a jpeg at all' * 10)
    with pytest.raises(ValueError, match=r'cannot decode image file .*bad\.'
                       r'jpg: corrupt'):
        LoadVIReIDImage()(dict(img_path=str(bad)))
    good = str(tmp_path / 'good.jpg')
    cv2.imwrite(good, np.random.default_rng(0).integers(
        0, 256, (64, 32, 3), dtype=np.uint8))
    data = open(good, 'rb').read()
    cut = tmp_path / 'cut.jpg'
    cut.write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match=r'cut\.jpg: truncated JPEG'):
        LoadVIReIDImage()(dict(img_path=str(cut)))
    empty = tmp_path / 'empty.jpg'
    empty.write_bytes(b'')
    with pytest.raises(ValueError, match=r'empty\.jpg: the file is empty'):
        LoadVIReIDImage()(dict(img_path=str(empty)))


def test_corrupt_image_through_dataset(sysu_root):
    rel = 'cam1/0001/0001.jpg'
    with open(osp.join(sysu_root, rel), 'wb') as f:
        f.write(b'\xff\xd8garbage')
    ds = SYSUMM01Dataset(
        sysu_root, pipeline=[dict(type='LoadVIReIDImage')], split='train')
    idx = [ds.get_data_info(i)['rel_path'] for i in range(len(ds))].index(rel)
    with pytest.raises(ValueError, match=r'cam1/0001/0001\.jpg'):
        ds[idx]


# ------------------------------------------------------------------ geometry
def test_resize(rgb):
    out = ReIDResize(scale=(24, 10))(res(rgb))
    assert out['img'].shape == (24, 10, 3) and out['img_shape'] == (24, 10)
    assert out['img'].dtype == np.uint8
    with pytest.raises(ValueError, match='scale must be'):
        ReIDResize(scale=(24, ))
    with pytest.raises(ValueError, match='interpolation must be one of'):
        ReIDResize(scale=(24, 10), interpolation='cubic-ish')


def test_pad_crop_is_a_shift(rgb):
    torch.manual_seed(0)
    h, w = rgb.shape[:2]
    shifts = set()
    for _ in range(30):
        out = RandomPadCrop(pad=3)(res(rgb))['img']
        assert out.shape == rgb.shape
        padded = np.zeros((h + 6, w + 6, 3), np.uint8)
        padded[3:3 + h, 3:3 + w] = rgb
        found = [(t, l) for t in range(7) for l in range(7)
                 if np.array_equal(padded[t:t + h, l:l + w], out)]
        assert found
        shifts.add(found[0])
    assert len(shifts) > 5


def test_hflip(rgb):
    out = RandomHFlip(prob=1.0)(res(rgb))
    assert np.array_equal(out['img'], rgb[:, ::-1]) and out['flip'] is True
    out = RandomHFlip(prob=0.0)(res(rgb))
    assert np.array_equal(out['img'], rgb) and out['flip'] is False


def _erased_box(before, after):
    diff = np.any(before != after, axis=2)
    ys, xs = np.nonzero(diff)
    return ys.min(), ys.max() + 1, xs.min(), xs.max() + 1


def test_random_erasing(rgb):
    torch.manual_seed(1)
    img = np.full((40, 20, 3), 3, np.uint8)
    for _ in range(20):
        out = RandomErasing(prob=1.0, area=(0.1, 0.3))(res(img))['img']
        y0, y1, x0, x1 = _erased_box(img, out)
        region = out[y0:y1, x0:x1]
        assert (region == np.array([124, 116, 104], np.uint8)).all()
        assert 0.1 * 800 * 0.6 <= (y1 - y0) * (x1 - x0) <= 0.3 * 800 * 1.4
    assert np.array_equal(RandomErasing(prob=0.0)(res(rgb))['img'], rgb)
    out = RandomErasing(prob=1.0, fill='random')(res(img))['img']
    assert len(np.unique(out)) > 10
    with pytest.raises(ValueError, match='area must be'):
        RandomErasing(area=(0.5, 0.1))


def test_channel_random_erasing_uses_cifar_mean():
    torch.manual_seed(2)
    img = np.zeros((40, 20, 3), np.uint8)
    out = ChannelRandomErasing(prob=1.0)(res(img))['img']
    y0, y1, x0, x1 = _erased_box(img, out)
    assert (out[y0:y1, x0:x1] == np.array([125, 123, 114], np.uint8)).all()


# ------------------------------------------------------------------ channels
def _gray(img):
    g = img.astype(np.float32) @ np.array([0.2989, 0.587, 0.114], np.float32)
    return np.clip(np.rint(g), 0, 255).astype(np.uint8)


def test_channel_exchange(rgb):
    torch.manual_seed(0)
    picked = set()
    for _ in range(40):
        out = ChannelExchange()(res(rgb))['img']
        assert out.shape == rgb.shape and out.dtype == np.uint8
        assert (out[..., 0] == out[..., 1]).all()
        assert (out[..., 1] == out[..., 2]).all()
        idx = [c for c in range(3) if np.array_equal(out[..., 0],
                                                     rgb[..., c])]
        assert len(idx) == 1
        picked.add(idx[0])
    assert picked == {0, 1, 2}
    torch.manual_seed(0)
    outs = [ChannelExchange(gray=3)(res(rgb))['img'][..., 0]
            for _ in range(40)]
    assert any(np.array_equal(o, _gray(rgb)) for o in outs)


def test_channel_adap_gray(rgb):
    torch.manual_seed(0)
    kinds = []
    for _ in range(80):
        out = ChannelAdapGray(prob=0.5)(res(rgb))['img']
        if np.array_equal(out, rgb):
            kinds.append('same')
            continue
        assert (out[..., 0] == out[..., 1]).all()
        assert (out[..., 0] == out[..., 2]).all()
        if np.array_equal(out[..., 0], _gray(rgb)):
            kinds.append('gray')
        else:
            kinds.append([c for c in range(3)
                          if np.array_equal(out[..., 0], rgb[..., c])][0])
    assert set(kinds) == {0, 1, 2, 'gray', 'same'}
    torch.manual_seed(0)
    always = [ChannelAdapGray(prob=1.0)(res(rgb))['img'] for _ in range(40)]
    assert not any(np.array_equal(o, rgb) for o in always)


def test_random_grayscale(rgb):
    out = RandomGrayscale(prob=1.0)(res(rgb))['img']
    assert np.array_equal(out, np.repeat(_gray(rgb)[..., None], 3, axis=2))
    assert np.array_equal(RandomGrayscale(prob=0.0)(res(rgb))['img'], rgb)


def test_modality_restriction(rgb):
    t = RandomGrayscale(prob=1.0, modality=1)
    vis = t(res(rgb, modality=0))['img']
    assert np.array_equal(vis, rgb)
    ir = t(res(rgb, modality=1))['img']
    assert (ir[..., 0] == ir[..., 1]).all()
    ce = ChannelExchange(modality=0)
    assert np.array_equal(ce(res(rgb, modality=1))['img'], rgb)
    assert not np.array_equal(ce(res(rgb, modality=0))['img'], rgb)
    flip = RandomHFlip(prob=1.0, modality=0)
    assert np.array_equal(flip(res(rgb, modality=1))['img'], rgb)
    with pytest.raises(KeyError, match=r'needs results\["modality"\]'):
        t(dict(img=rgb))
    with pytest.raises(ValueError, match='modality must be None, 0'):
        RandomGrayscale(modality=2)
    assert repr(t) == 'RandomGrayscale(prob=1.0, modality=1)'


# ------------------------------------------------------------------ packing
def _item(img):
    return dict(img=img, img_path='/x/cam3/0001/0001.jpg',
                rel_path='cam3/0001/0001.jpg', gt_label=4, pid=1, camid=3,
                modality=1, is_query=True, sample_idx=9)


def test_pack(rgb):
    out = PackVIReIDInputs()(_item(rgb))
    inputs, sample = out['inputs'], out['data_samples']
    assert isinstance(inputs, torch.Tensor) and inputs.dtype == torch.uint8
    assert inputs.shape == (3, 20, 12) and inputs.is_contiguous()
    assert np.array_equal(inputs.permute(1, 2, 0).numpy(), rgb)
    assert isinstance(sample, VIReIDDataSample)
    assert sample.gt_label.tolist() == [4]
    assert (sample.pid, sample.camid, sample.modality) == (1, 3, 1)
    assert sample.is_query is True
    assert sample.rel_path == 'cam3/0001/0001.jpg'
    assert sample.img_path == '/x/cam3/0001/0001.jpg'


def test_pack_rejects_bad_input(rgb):
    with pytest.raises(TypeError, match='HWC uint8 RGB'):
        PackVIReIDInputs()(_item(rgb.astype(np.float32)))
    item = _item(rgb)
    del item['camid']
    with pytest.raises(KeyError, match=r"lack \['camid'\]"):
        PackVIReIDInputs()(item)


def test_full_pipeline_from_registry(synthetic_roots):
    init_default_scope('vireid')
    pipeline = [
        dict(type='LoadVIReIDImage'),
        dict(type='ReIDResize', scale=(48, 24)),
        dict(type='RandomPadCrop', pad=4),
        dict(type='RandomHFlip'),
        dict(type='ChannelExchange', modality=0),
        dict(type='ChannelAdapGray', modality=1),
        dict(type='ChannelRandomErasing'),
        dict(type='RandomErasing'),
        dict(type='RandomGrayscale', prob=0.2),
        dict(type='PackVIReIDInputs'),
    ]
    assert all(TRANSFORMS.get(p['type']) is not None for p in pipeline)
    ds = SYSUMM01Dataset(synthetic_roots['sysu'], pipeline=pipeline)
    for i in (0, len(ds) - 1):
        out = ds[i]
        info = ds.get_data_info(i)
        assert out['inputs'].shape == (3, 48, 24)
        assert out['data_samples'].gt_label.item() == info['gt_label']
        assert out['data_samples'].modality == info['modality']
