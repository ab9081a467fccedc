# Copyright (c) vireid contributors. All rights reserved.
"""Normalised-space augmentation, CAJ's two visible views, the collate."""
import numpy as np
import pytest
import torch
from PIL import Image

from vireid.datasets import (ChannelAdapGray, ChannelExchange,
                             ChannelRandomErasing, ModalityViews,
                             NormalizeImage, PackVIReIDInputs, RandomErasing,
                             ReIDResize, multiview_collate)
from vireid.models import VIReIDDataPreprocessor

MEAN = np.array([123.675, 116.28, 103.53], np.float32)
STD = np.array([58.395, 57.12, 57.375], np.float32)


def _img(h=24, w=12, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), np.uint8)


def _item(modality=0, label=3, img=None):
    return dict(img=_img() if img is None else img, modality=modality,
                gt_label=label, img_path=f'{modality}.jpg', rel_path='x',
                pid=label, camid=1 + 2 * modality, is_query=False)


def test_resize_pillow_is_pil_antialias_and_differs_from_cv2():
    img = _img(96, 48)
    out = ReIDResize((24, 12), interpolation='lanczos',
                     backend='pillow')(dict(img=img.copy()))['img']
    ref = np.asarray(Image.fromarray(img).resize((12, 24), Image.LANCZOS))
    assert np.array_equal(out, ref)
    cv = ReIDResize((24, 12), interpolation='lanczos')(dict(img=img))['img']
    assert np.abs(out.astype(int) - cv.astype(int)).mean() > 1.0
    with pytest.raises(ValueError, match='backend'):
        ReIDResize((24, 12), backend='skimage')


def test_normalize_and_erasing_in_normalised_space():
    img = _img()
    r = NormalizeImage()(dict(img=img.copy()))
    np.testing.assert_allclose(r['img'], (img - MEAN) / STD, rtol=1e-6)
    assert r['img'].dtype == np.float32 and 'img_norm_cfg' in r
    torch.manual_seed(0)
    er = ChannelRandomErasing(prob=1.0, space='normalized')(dict(r))['img']
    changed = (er != r['img']).any(axis=2)
    assert changed.any()
    # CAJ's fill is written as it is into the normalised image
    np.testing.assert_allclose(er[changed], np.broadcast_to(
        [0.4914, 0.4822, 0.4465], er[changed].shape), rtol=1e-6)
    torch.manual_seed(0)
    de = RandomErasing(prob=1.0, space='normalized')(dict(r))['img']
    np.testing.assert_allclose(de[(de != r['img']).any(axis=2)][0],
                               [0.485, 0.456, 0.406], rtol=1e-6)
    # the wrong kind of image for the space is an error, not a wrong fill
    with pytest.raises(TypeError, match='space'):
        ChannelRandomErasing(prob=1.0)(dict(r))
    with pytest.raises(TypeError, match='space'):
        RandomErasing(prob=1.0, space='normalized')(dict(img=img))


def test_channel_ops_copy_normalised_channels():
    r = NormalizeImage()(dict(img=_img()))
    x = r['img'].copy()
    seen = set()
    for seed in range(30):
        torch.manual_seed(seed)
        out = ChannelExchange(gray=2)(dict(img=x.copy()))['img']
        assert out.dtype == np.float32
        idx = [c for c in range(3) if np.array_equal(out[..., 0], x[..., c])]
        assert idx and all(np.array_equal(out[..., k], x[..., idx[0]])
                           for k in range(3))
        seen.add(idx[0])
        torch.manual_seed(seed)
        g = ChannelAdapGray(prob=1.0)(dict(img=x.copy()))['img']
        gray = x @ np.array([0.2989, 0.587, 0.114], np.float32)
        same_channel = any(np.array_equal(g[..., 0], x[..., c])
                           for c in range(3))
        assert same_channel or np.allclose(g[..., 0], gray, atol=1e-5)
    assert seen == {0, 1, 2}


def _caj_views():
    visible0 = [dict(type='RandomPadCrop', pad=4),
                dict(type='RandomHFlip', prob=0.5),
                dict(type='NormalizeImage'),
                dict(type='ChannelRandomErasing', prob=0.5,
                     space='normalized'),
                dict(type='PackVIReIDInputs')]
    visible1 = visible0[:-1] + [dict(type='ChannelExchange', gray=2),
                                dict(type='PackVIReIDInputs')]
    infrared = visible0[:-1] + [dict(type='ChannelAdapGray', prob=0.5),
                                dict(type='PackVIReIDInputs')]
    return ModalityViews(visible=[visible0, visible1], infrared=[infrared])


def test_modality_views_and_collate_make_caj_batch():
    _caj_batch(check=True)


def _caj_batch(check=False):
    views = _caj_views()
    assert views.num_views == {0: 2, 1: 1}
    items = []
    torch.manual_seed(0)
    for label in (0, 1):
        items.append(views(_item(0, label, _img(seed=label))))
    for label in (0, 1):
        items.append(views(_item(1, label, _img(seed=10 + label))))
    batch = multiview_collate(items)
    if not check:
        return batch
    v = items[0]
    assert len(v['inputs']) == 2
    assert [d.metainfo['view'] for d in v['data_samples']] == [0, 1]
    assert all(d.gt_label.item() == 0 and d.metainfo['modality'] == 0
               for d in v['data_samples'])
    a, b = v['inputs']
    assert a.dtype == torch.float32 and not torch.equal(a, b)
    assert torch.equal(b[0], b[1]) and torch.equal(b[1], b[2])  # exchanged
    batch = multiview_collate(items)
    keys = [(d.metainfo['modality'], d.metainfo['view'], d.gt_label.item())
            for d in batch['data_samples']]
    assert keys == [(0, 0, 0), (0, 0, 1), (0, 1, 0), (0, 1, 1), (1, 0, 0),
                    (1, 0, 1)]  # [V; V_ce; I], labels [y; y; y_I]
    out = VIReIDDataPreprocessor()(batch)
    assert out['inputs'].shape == (6, 3, 24, 12)
    assert torch.equal(out['inputs'][0], batch['inputs'][0])  # not twice


def test_caj_batch_picture(tmp_path):
    from tools.analysis_tools.caj_batch_vis import draw, to_pixels
    batch = _caj_batch()
    png = draw(batch, str(tmp_path / 'b.png'))
    assert (tmp_path / 'b.png').stat().st_size > 1000 and png
    px = to_pixels(batch['inputs'][0], batch['data_samples'][0])
    assert px.dtype == np.uint8 and px.shape == (24, 12, 3)


def test_modality_views_validation():
    with pytest.raises(ValueError, match='PackVIReIDInputs'):
        ModalityViews(visible=[[dict(type='RandomHFlip')]],
                      infrared=[[dict(type='PackVIReIDInputs')]])
    with pytest.raises(ValueError, match='infrared'):
        ModalityViews(visible=[[dict(type='PackVIReIDInputs')]], infrared=[])


def test_preprocessor_checks_pre_normalised_inputs():
    pack = PackVIReIDInputs()
    norm = pack(NormalizeImage()(_item()))
    raw = pack(_item())
    pre = VIReIDDataPreprocessor()
    with pytest.raises(ValueError, match='mixes'):
        pre(dict(inputs=[norm['inputs'], raw['inputs']],
                 data_samples=[norm['data_samples'], raw['data_samples']]))
    with pytest.raises(ValueError, match='img_norm_cfg'):
        pre(dict(inputs=[norm['inputs']],
                 data_samples=[raw['data_samples']]))
    other = VIReIDDataPreprocessor(mean=(0, 0, 0), std=(1, 1, 1))
    with pytest.raises(ValueError, match='normalised with'):
        other(dict(inputs=[norm['inputs']],
                   data_samples=[norm['data_samples']]))
    with pytest.raises(TypeError, match='float32'):
        pack(dict(_item(), img_norm_cfg=dict(mean=(0, ) * 3,
                                             std=(1, ) * 3)))
