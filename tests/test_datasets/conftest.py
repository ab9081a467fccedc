# Copyright (c) vireid contributors. All rights reserved.
"""Fixtures: tiny hand-made and generated VI-ReID layouts in tmp_path."""
import logging
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
from mmengine.logging import MMLogger

from vireid.synthetic import (make_synthetic_llcm, make_synthetic_regdb,
                              make_synthetic_sysu)

TINY = (32, 16)


def write_img(path: str, value: int = 128, size=TINY) -> str:
    """Write a small JPEG/BMP whose pixels encode ``value``."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = np.full(size + (3, ), value % 256, np.uint8)
    img[0, 0] = (value * 7) % 256  # make files differ
    assert cv2.imwrite(path, img)
    return path


def write_text(path: str, text: str) -> str:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    return path


# ---------------------------------------------------------------- SYSU
# train ids 1, 3 (+ val 5); test ids 2, 4. Identity 5 has RGB images only.
SYSU_FILES = {
    1: {1: 2, 3: 1},
    3: {4: 1, 6: 2},
    5: {2: 1},
    2: {1: 1, 2: 1, 3: 2},
    4: {5: 1, 6: 1},
}


def make_sysu(root: str) -> str:
    for cam in range(1, 7):
        os.makedirs(osp.join(root, f'cam{cam}'), exist_ok=True)
    value = 0
    for pid, cams in SYSU_FILES.items():
        for cam, count in cams.items():
            # names written in reverse to check sorting
            for k in reversed(range(count)):
                value += 1
                write_img(
                    osp.join(root, f'cam{cam}', f'{pid:04d}',
                             f'{k + 1:04d}.jpg'), value)
    write_text(osp.join(root, 'exp', 'train_id.txt'), '1,3\n')
    write_text(osp.join(root, 'exp', 'val_id.txt'), '5\n')
    write_text(osp.join(root, 'exp', 'test_id.txt'), '2,4')
    write_text(osp.join(root, 'exp', 'available_id.txt'), '1,2,3,4,5\n')
    return root


@pytest.fixture
def sysu_root(tmp_path):
    return make_sysu(str(tmp_path / 'SYSU-MM01'))


# ---------------------------------------------------------------- RegDB
REGDB_TRAIN = [3, 8, 11]  # labels 0, 1, 2
REGDB_TEST = [4, 9]


def regdb_name(pid: int, k: int, tag: str) -> str:
    folder = 'Visible' if tag == 'v' else 'Thermal'
    return (f'{folder}/{pid}/male_front_{tag}_{pid * 100 + k:05d}_'
            f'{pid}.bmp')


def make_regdb(root: str, trial: int = 1, per_modality: int = 2) -> str:
    for split, pids in (('train', REGDB_TRAIN), ('test', REGDB_TEST)):
        for tag, name in (('v', 'visible'), ('t', 'thermal')):
            lines = []
            for label, pid in enumerate(pids):
                for k in range(per_modality):
                    rel = regdb_name(pid, k, tag)
                    write_img(osp.join(root, rel), pid * 10 + k)
                    lines.append(f'{rel} {label}')
            write_text(
                osp.join(root, 'idx', f'{split}_{name}_{trial}.txt'),
                '\n'.join(lines) + '\n')
    return root


@pytest.fixture
def regdb_root(tmp_path):
    return make_regdb(str(tmp_path / 'RegDB'))


# ---------------------------------------------------------------- LLCM
LLCM_TRAIN = [2, 5]  # labels 0, 1
LLCM_TEST = {  # pid -> {folder: {cam: count}}
    7: {'test_vis': {1: 2, 12: 1}, 'test_nir': {2: 1}},
    9: {'test_vis': {3: 1}, 'test_nir': {4: 2, 12: 1}},
}


def make_llcm(root: str) -> str:
    lines = {'vis': [], 'nir': []}
    for label, pid in enumerate(LLCM_TRAIN):
        for tag, cams in (('vis', (1, 4)), ('nir', (2, ))):
            for cam in cams:
                rel = (f'{tag}/{pid:04d}/{pid:04d}_c{cam:02d}_s100000_f1_'
                       f'{tag}.jpg')
                write_img(osp.join(root, rel), pid + cam)
                lines[tag].append(f'{rel} {label}')
    for tag in ('vis', 'nir'):
        write_text(
            osp.join(root, 'idx', f'train_{tag}.txt'),
            '\n'.join(lines[tag]) + '\n')
    for folder in ('test_vis', 'test_nir'):
        for cam in range(1, 10):
            os.makedirs(osp.join(root, folder, f'cam{cam}'), exist_ok=True)
    for pid, folders in LLCM_TEST.items():
        for folder, cams in folders.items():
            for cam, count in cams.items():
                for k in range(count):
                    write_img(
                        osp.join(root, folder, f'cam{cam}', f'{pid:04d}',
                                 f'{pid:04d}_c{cam:02d}_s1_f{k}.jpg'),
                        pid + k)
    write_text(osp.join(root, 'idx', 'test_id.txt'), '7,9\n')
    return root


@pytest.fixture
def llcm_root(tmp_path):
    # the folder name contains "cam" on purpose (DEEN's parser breaks on it)
    return make_llcm(str(tmp_path / 'camera_data' / 'LLCM'))


# ---------------------------------------------------------------- generated
@pytest.fixture(scope='session')
def synthetic_roots(tmp_path_factory):
    """Tiny generated data sets of all three layouts (session-wide)."""
    base = tmp_path_factory.mktemp('synthetic')
    roots = dict(
        sysu=str(base / 'SYSU-MM01'),
        regdb=str(base / 'RegDB'),
        llcm=str(base / 'LLCM'))
    make_synthetic_sysu(
        roots['sysu'],
        num_train_ids=10,
        num_test_ids=5,
        seed=1,
        img_size=TINY,
        images_per_cam=(2, 3))
    make_synthetic_regdb(
        roots['regdb'],
        num_ids=8,
        seed=1,
        img_size=TINY,
        images_per_modality=3)
    make_synthetic_llcm(
        roots['llcm'],
        num_train_ids=6,
        num_test_ids=4,
        seed=1,
        img_size=TINY,
        images_per_cam=(1, 2))
    return roots


@pytest.fixture
def copy_root(tmp_path):
    """Copy a (session) root into this test's tmp_path to damage it."""

    def _copy(root: str) -> str:
        dst = str(tmp_path / osp.basename(root))
        shutil.copytree(root, dst)
        return dst

    return _copy


class _ListHandler(logging.Handler):

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def mm_log():
    """Capture records of mmengine's current logger."""
    logger = MMLogger.get_current_instance()
    handler = _ListHandler()
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)
