# Copyright (c) vireid contributors. All rights reserved.
"""Readable ranked lists, through VIReIDVisualizer to TensorBoard."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest

from vireid.visualization import draw_ranked_list
from vireid.visualization.ranked_list import BLUE, GREEN, RED


def _has(img, color):
    return bool((np.abs(img.astype(int) - color).sum(-1) < 30).any())


def test_draw_labels_legend_and_frames(tmp_path):
    paths = []
    for i in range(4):
        paths.append(str(tmp_path / f'{i}.png'))
        cv2.imwrite(paths[-1], np.full((40, 20, 3), 128, np.uint8))
    plain = draw_ranked_list(paths[0], paths[1:], [True, False, False],
                             size=(32, 16), legend=False)
    full = draw_ranked_list(
        paths[0], paths[1:], [True, False, False], size=(32, 16),
        query_label=['pid 6 c3'],
        gallery_labels=[['pid 6 c1', 'd -0.91'], ['pid 2 c4', 'd -0.5'],
                        ['pid 9 c2', 'd -0.1']],
        title='query 0: pid 6, cam 3 (infrared) | sysu all t2v, trial 0')
    assert full.dtype == np.uint8 and full.shape[2] == 3
    # title, legend and two label lines make it taller; text is dark ink
    assert full.shape[0] >= plain.shape[0] + 3 * 12
    assert _has(full, BLUE) and _has(full, GREEN) and _has(full, RED)
    top = full[:30]  # the title and the legend swatches
    assert (top.sum(-1) < 200).any() and _has(top, GREEN)
    with pytest.raises(ValueError, match='2 gallery labels for 3'):
        draw_ranked_list(paths[0], paths[1:], [True, False, False],
                         gallery_labels=[['a'], ['b']])


def test_tensorboard_has_scalars_and_ranked_lists(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator

    from tests.test_engine.test_e2e_synthetic import shrink_model, tiny_cfg
    from vireid.apis import build_runner
    from vireid.synthetic import make_synthetic_sysu
    root = str(tmp_path / 'SYSU-MM01')
    make_synthetic_sysu(root, num_train_ids=6, num_test_ids=3,
                        img_size=(32, 16), images_per_cam=(2, 3), seed=0)
    cfg = shrink_model(tiny_cfg('projects/agw/demo.py', tmp_path / 'w',
                                root))
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    cfg.optim_wrapper.optimizer.lr = 0.01
    cfg.visualizer = dict(type='VIReIDVisualizer', vis_backends=[
        dict(type='TensorboardVisBackend')])
    cfg.custom_hooks = [dict(type='RankedListVisHook', on_val=True,
                             num_queries=2, topk=3, tile_size=(32, 16))]
    runner = build_runner(cfg)
    assert type(runner.visualizer).__name__ == 'VIReIDVisualizer'
    runner.train()
    events = glob.glob(osp.join(str(tmp_path / 'w'), '**', 'events.out.*'),
                       recursive=True)
    assert events, 'no TensorBoard event file written'
    acc = EventAccumulator(osp.dirname(events[0]),
                           size_guidance={'images': 0, 'scalars': 0})
    acc.Reload()
    tags = acc.Tags()
    assert 'loss' in tags['scalars'] and 'sysu-all-t2v/rank1' in \
        tags['scalars'], tags['scalars']
    assert 'ranked_lists' in tags['images'], tags['images']
    img = acc.Images('ranked_lists')[-1]
    assert img.step == 1 and img.width > 4 * 16 and img.height > 2 * 32
    pic = cv2.imdecode(np.frombuffer(img.encoded_image_string, np.uint8),
                       cv2.IMREAD_COLOR)[:, :, ::-1]
    assert _has(pic, BLUE) and (_has(pic, GREEN) or _has(pic, RED))
