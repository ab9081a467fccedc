# Copyright (c) vireid contributors. All rights reserved.
"""An identity listed in a split file without its folder is an error, not a
silent drop (issue 13)."""
import os.path as osp

import pytest

from vireid.datasets import LLCMDataset, SYSUMM01Dataset
from .conftest import write_text


def test_sysu_train_id_without_folder(sysu_root):
    write_text(osp.join(sysu_root, 'exp', 'train_id.txt'), '1,3,77\n')
    with pytest.raises(FileNotFoundError,
                       match=r'1 identity listed in exp/train_id.txt.*0077'):
        SYSUMM01Dataset(sysu_root)


def test_sysu_test_id_without_folder(sysu_root):
    write_text(osp.join(sysu_root, 'exp', 'test_id.txt'), '2,4,88,99')
    with pytest.raises(FileNotFoundError,
                       match=r'2 identities listed in exp/test_id.txt.*0088'):
        SYSUMM01Dataset(sysu_root, split='test')


def test_llcm_test_id_without_folder(llcm_root):
    ids = open(osp.join(llcm_root, 'idx', 'test_id.txt')).read().strip()
    write_text(osp.join(llcm_root, 'idx', 'test_id.txt'), ids + ',66')
    with pytest.raises(FileNotFoundError, match=r'test_id.txt.*0066'):
        LLCMDataset(llcm_root, split='test')
