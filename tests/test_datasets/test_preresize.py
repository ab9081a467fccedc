# Copyright (c) vireid contributors. All rights reserved.
"""The pre-resized copy keeps the layout and loads through the same data set
class, with images already at the pipeline's size."""
import importlib.util
import os
import os.path as osp

import cv2
import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _tool():
    spec = importlib.util.spec_from_file_location(
        'preresize', osp.join(ROOT, 'tools/dataset_converters/preresize.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize('backend', ['pillow', 'cv2'])
def test_preresize_copy_trains_from_the_same_layout(tmp_path, backend):
    from vireid.datasets import SYSUMM01Dataset, make_synthetic_sysu
    src = str(tmp_path / 'SYSU-MM01')
    make_synthetic_sysu(src, num_train_ids=3, num_test_ids=2,
                        img_size=(64, 32), images_per_cam=(2, 2), seed=0)
    dst = str(tmp_path / 'small')
    assert _tool().main([src, dst, '--size', '24', '12', '--backend',
                         backend, '--workers', '1']) == 0
    assert not osp.exists(dst + '.partial')
    a = SYSUMM01Dataset(src, split='train', pipeline=[])
    b = SYSUMM01Dataset(dst, split='train', pipeline=[])
    assert len(a) == len(b)
    for i in range(len(b)):
        ia, ib = a.get_data_info(i), b.get_data_info(i)
        assert ia['rel_path'] == ib['rel_path']
        assert ia['gt_label'] == ib['gt_label']
        assert cv2.imread(ib['img_path']).shape == (24, 12, 3)
    assert sorted(os.listdir(osp.join(dst, 'exp'))) == sorted(
        os.listdir(osp.join(src, 'exp')))


def test_preresize_refuses_existing_output(tmp_path):
    (tmp_path / 'src').mkdir()
    (tmp_path / 'dst').mkdir()
    with pytest.raises(SystemExit):
        _tool().main([str(tmp_path / 'src'), str(tmp_path / 'dst'), '--size',
                      '8', '4'])
