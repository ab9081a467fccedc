# Copyright (c) vireid contributors. All rights reserved.
import os
import os.path as osp

import pytest
from mmengine.registry import init_default_scope

from vireid.datasets import SYSUMM01Dataset
from vireid.registry import DATASETS
from .conftest import write_text

SCHEMA = {'img_path', 'rel_path', 'gt_label', 'pid', 'camid', 'modality',
          'is_query', 'sample_idx'}


def items(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def test_train_split(sysu_root, mm_log):
    ds = SYSUMM01Dataset(sysu_root, split='train')
    data = items(ds)
    assert all(set(d) == SCHEMA for d in data)
    # identity 5 (val list) has RGB images only: excluded with a warning
    assert sorted({d['pid'] for d in data}) == [1, 3]
    assert len(ds) == 3 + 3
    assert {d['pid']: d['gt_label'] for d in data} == {1: 0, 3: 1}
    assert ds.metainfo['num_classes'] == 2
    assert ds.metainfo['dataset_name'] == 'sysu'
    assert ds.metainfo['data_root'] == sysu_root
    for d in data:
        assert d['modality'] == (1 if d['camid'] in (3, 6) else 0)
        assert d['is_query'] is False
        assert d['rel_path'] == f'cam{d["camid"]}/{d["pid"]:04d}/' + \
            osp.basename(d['img_path'])
        assert d['img_path'] == osp.join(sysu_root, d['rel_path'])
        assert osp.isfile(d['img_path'])
    warnings = [r.getMessage() for r in mm_log if r.levelname == 'WARNING']
    assert any('1 identities' in w and '5(visible only)' in w
               for w in warnings), warnings


def test_train_labels_follow_sorted_pid(tmp_path):
    from .conftest import make_sysu
    root = make_sysu(str(tmp_path / 's'))
    # list order in the file must not matter
    write_text(osp.join(root, 'exp', 'train_id.txt'), '3,1')
    ds = SYSUMM01Dataset(root, split='train')
    assert {d['pid']: d['gt_label'] for d in items(ds)} == {1: 0, 3: 1}


def test_test_split_query_and_pool(sysu_root):
    ds = SYSUMM01Dataset(sysu_root, split='test')
    data = items(ds)
    queries = [d for d in data if d['is_query']]
    pool = [d for d in data if not d['is_query']]
    assert {(d['pid'], d['camid']) for d in queries} == {(2, 3), (4, 6)}
    assert len(queries) == 3 and len(pool) == 3
    assert all(d['modality'] == 1 and d['camid'] in (3, 6) for d in queries)
    assert all(d['modality'] == 0 and d['camid'] in (1, 2, 4, 5)
               for d in pool)
    assert all(d['gt_label'] == -1 for d in data)
    meta = ds.metainfo
    assert meta['num_query'] == 3 and meta['num_pool'] == 3
    assert meta['query_cams'] == (3, 6)
    assert meta['indoor_gallery_cams'] == (1, 2)
    assert meta['test_ids'] == [2, 4]
    # file lists are sorted by name within (pid, cam)
    cam3 = [d['rel_path'] for d in queries if d['camid'] == 3]
    assert cam3 == ['cam3/0002/0001.jpg', 'cam3/0002/0002.jpg']
    assert ds.test_mode is True


def test_sampling_info_matches_items(sysu_root):
    ds = SYSUMM01Dataset(sysu_root, split='train')
    info = ds.get_sampling_info()
    data = items(ds)
    for key in ('gt_label', 'pid', 'camid', 'modality'):
        assert info[key].tolist() == [d[key] for d in data]
    sub = ds.get_subset([0, 5])
    assert sub.get_sampling_info()['pid'].tolist() == [data[0]['pid'],
                                                       data[5]['pid']]


def test_build_from_registry(sysu_root):
    init_default_scope('vireid')
    ds = DATASETS.build(
        dict(type='SYSUMM01Dataset', data_root=sysu_root, split='test'))
    assert isinstance(ds, SYSUMM01Dataset) and len(ds) == 6


def test_generated_layout(synthetic_roots):
    root = synthetic_roots['sysu']
    train = SYSUMM01Dataset(root, split='train')
    test = SYSUMM01Dataset(root, split='test')
    # counts match an independent walk of the folders
    train_ids = set()
    for name in ('train_id', 'val_id'):
        with open(osp.join(root, 'exp', f'{name}.txt')) as f:
            train_ids |= {int(t) for t in f.read().strip().split(',')}
    with open(osp.join(root, 'exp', 'test_id.txt')) as f:
        test_ids = {int(t) for t in f.read().strip().split(',')}
    assert not train_ids & test_ids

    def count(ids, cams):
        n = 0
        for cam in cams:
            for pid in ids:
                folder = osp.join(root, f'cam{cam}', f'{pid:04d}')
                n += len(os.listdir(folder)) if osp.isdir(folder) else 0
        return n

    assert len(train) == count(train_ids, range(1, 7))
    assert train.metainfo['num_classes'] == len(train_ids)
    assert sorted(set(train.get_sampling_info()['gt_label'].tolist())) == \
        list(range(len(train_ids)))
    info = test.get_sampling_info()
    assert int((info['modality'] == 1).sum()) == count(test_ids, (3, 6))
    assert int((info['modality'] == 0).sum()) == count(test_ids, (1, 2, 4, 5))
    # indoor search is not empty and every test id has both modalities
    assert set(info['camid'].tolist()) >= {1, 2}
    for pid in test_ids:
        mods = set(info['modality'][info['pid'] == pid].tolist())
        assert mods == {0, 1}


# ------------------------------------------------------------------ errors
def test_missing_root(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match=r'expected SYSU-MM01 layout: <root>/cam1\.\.cam6'
                       r'.*make_synthetic\.py --out data/synthetic'):
        SYSUMM01Dataset(str(tmp_path / 'nope'))


def test_missing_camera_folder(sysu_root):
    os.rename(osp.join(sysu_root, 'cam4'), osp.join(sysu_root, 'cam4_'))
    with pytest.raises(FileNotFoundError, match=r'cam4 not found'):
        SYSUMM01Dataset(sysu_root)


def test_missing_split_file(sysu_root):
    os.remove(osp.join(sysu_root, 'exp', 'val_id.txt'))
    with pytest.raises(FileNotFoundError, match=r'val_id\.txt: identity list'
                       r' not found'):
        SYSUMM01Dataset(sysu_root)


def test_malformed_split_file(sysu_root):
    write_text(osp.join(sysu_root, 'exp', 'test_id.txt'), '\n2,x4,6\n')
    with pytest.raises(ValueError,
                       match=r"test_id\.txt, line 2: malformed identity 'x4'"):
        SYSUMM01Dataset(sysu_root, split='test')


def test_duplicate_and_overlapping_ids(sysu_root):
    write_text(osp.join(sysu_root, 'exp', 'train_id.txt'), '1,3,1')
    with pytest.raises(ValueError, match=r'identity 1 is listed twice'):
        SYSUMM01Dataset(sysu_root)
    write_text(osp.join(sysu_root, 'exp', 'train_id.txt'), '1,3,2')
    with pytest.raises(ValueError, match=r'train_id\.txt and exp/test_id\.txt'
                       r' share 1 identities'):
        SYSUMM01Dataset(sysu_root)


def test_empty_split(sysu_root):
    write_text(osp.join(sysu_root, 'exp', 'test_id.txt'), '77,78')
    with pytest.raises(ValueError, match=r'test split is empty'):
        SYSUMM01Dataset(sysu_root, split='test')


def test_all_train_ids_one_modality(sysu_root):
    write_text(osp.join(sysu_root, 'exp', 'train_id.txt'), '9')
    os.makedirs(osp.join(sysu_root, 'cam1', '0009'))  # listed ids need one
    with pytest.raises(ValueError, match=r'no identity has images of both'):
        SYSUMM01Dataset(sysu_root)


def test_bad_split_name(sysu_root):
    with pytest.raises(ValueError, match=r"split must be one of"):
        SYSUMM01Dataset(sysu_root, split='val')
