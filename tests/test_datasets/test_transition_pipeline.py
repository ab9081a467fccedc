# Copyright (c) vireid contributors. All rights reserved.
"""MTRL's offline middle images: loading, alignment through augmentation."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from vireid.registry import MODELS, TRANSFORMS

H, W = 24, 12


def _write(path, img):
    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(path, cv2.cvtColor(img, cv2.COLOR_RGB2BGR))


@pytest.fixture
def tree(tmp_path):
    """A data root with two visible images, one infrared image and the
    translated folder (translation = 255 - visible)."""
    rng = np.random.default_rng(0)
    root = str(tmp_path / 'root')
    items = []
    for k, (rel, mod) in enumerate((('cam1/0001/0001.png', 0),
                                    ('cam2/0002/0001.png', 0),
                                    ('cam3/0001/0001.png', 1))):
        img = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
        _write(osp.join(root, rel), img)
        if mod == 0:
            _write(osp.join(root, 'translated', rel), 255 - img)
        items.append(dict(img_path=osp.join(root, rel), rel_path=rel,
                          gt_label=k % 2, pid=k, camid=1, modality=mod,
                          is_query=False))
    return root, items


PIPELINE = [
    dict(type='LoadVIReIDImage'),
    dict(type='LoadTransitionImage'),
    dict(type='ReIDResize', scale=(H, W)),
    dict(type='RandomPadCrop', pad=3),
    dict(type='RandomHFlip', prob=0.5),
    dict(type='StackedRandomErasing', prob=1.0, area=(0.1, 0.3)),
    dict(type='PackMTRLInputs'),
]


def _run(pipeline, item):
    results = dict(item)
    for t in pipeline:
        results = t(results)
    return results


def test_offline_middle_image_stays_pixel_aligned(tree):
    root, items = tree
    init_default_scope('vireid')
    pipeline = [TRANSFORMS.build(t) for t in PIPELINE]
    fill = np.rint(np.asarray(pipeline[5].fill)).astype(np.int64)
    changed = 0
    for seed in range(12):
        torch.manual_seed(seed)
        out = _run(pipeline, items[seed % 2])
        v = out['inputs'].numpy().astype(np.int64)  # 3 x H x W
        m = out['data_samples'].transition_img.numpy().astype(np.int64)
        assert v.shape == m.shape == (3, H, W)
        content = (m == 255 - v).all(axis=0)
        padding = ((v == 0) & (m == 0)).all(axis=0)
        erased = ((v == fill[:, None, None]) &
                  (m == fill[:, None, None])).all(axis=0)
        # every pixel is aligned content, shared padding or shared erasing
        assert (content | padding | erased).all()
        assert erased.sum() >= 0.05 * H * W  # the same rectangle in both
        assert content.mean() > 0.4
        orig = cv2.cvtColor(cv2.imread(items[seed % 2]['img_path']),
                            cv2.COLOR_BGR2RGB).transpose(2, 0, 1)
        changed += not np.array_equal(v, orig)
    assert changed >= 10  # the augmentation really moved the images
    # infrared items pass through as 3-channel images, no middle image
    ir = _run(pipeline, items[2])
    assert ir['inputs'].shape == (3, H, W)
    assert 'transition_img' not in ir['data_samples']


def test_offline_pipeline_feeds_the_model(tree):
    root, items = tree
    init_default_scope('vireid')
    pipeline = [TRANSFORMS.build(t) for t in PIPELINE]
    torch.manual_seed(0)
    outs = [_run(pipeline, it) for it in items]
    model = MODELS.build(dict(
        type='MTRL',
        backbone=dict(type='TwoStreamResNet', depth=18, base_width=4),
        neck=dict(type='GeMPooling'),
        head=dict(type='BNNeckHead', in_channels=32, num_classes=2),
        generator=dict(type='OfflineTransition')))
    data = model.data_preprocessor(
        dict(inputs=[o['inputs'] for o in outs],
             data_samples=[o['data_samples'] for o in outs]), True)
    images, _, groups = model.build_vmi(**data)
    pre = model.data_preprocessor
    mid = (images[groups == 2] * pre.std + pre.mean).round().long()
    for k in range(2):
        assert torch.equal(mid[k],
                           outs[k]['data_samples'].transition_img.long())
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['loss_mtc'])


def test_missing_translated_file_is_named(tree):
    root, items = tree
    os.remove(osp.join(root, 'translated', 'cam2', '0002', '0001.png'))
    t = [TRANSFORMS.build(dict(type='LoadVIReIDImage')),
         TRANSFORMS.build(dict(type='LoadTransitionImage'))]
    _run(t, items[0])
    with pytest.raises(FileNotFoundError) as err:
        _run(t, items[1])
    msg = str(err.value)
    assert osp.join(root, 'translated', 'cam2', '0002', '0001.png') in msg
    assert items[1]['img_path'] in msg and 'rel_path' in msg


def test_size_mismatch_and_absolute_folder(tree, tmp_path):
    root, items = tree
    other = str(tmp_path / 'elsewhere')
    big = np.full((2 * H, 2 * W, 3), 7, np.uint8)
    _write(osp.join(other, items[0]['rel_path']), big)
    load = TRANSFORMS.build(dict(type='LoadVIReIDImage'))
    res = _run([load, TRANSFORMS.build(dict(type='LoadTransitionImage',
                                            folder=other))], items[0])
    assert res['img'].shape == (H, W, 6) and (res['img'][..., 3:] == 7).all()
    with pytest.raises(ValueError, match='resize_to_visible'):
        _run([load, TRANSFORMS.build(dict(
            type='LoadTransitionImage', folder=other,
            resize_to_visible=False))], items[0])


def test_stacked_erasing_equals_erasing_on_three_channels():
    img = np.random.default_rng(1).integers(0, 256, (H, W, 3), np.uint8)
    a = TRANSFORMS.build(dict(type='RandomErasing', prob=1.0))
    b = TRANSFORMS.build(dict(type='StackedRandomErasing', prob=1.0))
    torch.manual_seed(5)
    ra = a(dict(img=img.copy()))['img']
    torch.manual_seed(5)
    rb = b(dict(img=img.copy()))['img']
    assert np.array_equal(ra, rb) and not np.array_equal(ra, img)
