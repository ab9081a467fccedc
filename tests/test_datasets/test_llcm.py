# Copyright (c) vireid contributors. All rights reserved.
import os
import os.path as osp

import pytest

from vireid.datasets import LLCMDataset
from .conftest import LLCM_TEST, write_img, write_text


def items(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def test_train_split(llcm_root):
    ds = LLCMDataset(llcm_root, split='train')
    data = items(ds)
    assert len(ds) == 2 * 3
    assert {d['pid']: d['gt_label'] for d in data} == {2: 0, 5: 1}
    # cameras parsed from the file names (c01, c04, c02)
    assert sorted((d['pid'], d['camid'], d['modality']) for d in data) == [
        (2, 1, 0), (2, 2, 1), (2, 4, 0), (5, 1, 0), (5, 2, 1), (5, 4, 0)
    ]
    assert ds.metainfo['num_classes'] == 2
    assert ds.metainfo['dataset_name'] == 'llcm'


def test_test_split(llcm_root):
    ds = LLCMDataset(llcm_root, split='test')
    data = items(ds)
    expected = sorted(
        (pid, cam, 0 if folder == 'test_vis' else 1)
        for pid, folders in LLCM_TEST.items()
        for folder, cams in folders.items() for cam, n in cams.items()
        for _ in range(n))
    assert sorted((d['pid'], d['camid'], d['modality'])
                  for d in data) == expected
    # the data root contains "cam" and camera 12 has two digits: both fine
    assert 'cam' in llcm_root
    assert any(d['camid'] == 12 for d in data)
    assert all(d['is_query'] is False and d['gt_label'] == -1 for d in data)
    assert ds.metainfo['vis_cams'] == [1, 3, 12]
    assert ds.metainfo['nir_cams'] == [2, 4, 12]
    assert ds.metainfo['test_ids'] == [7, 9]


def test_camera_from_folder(tmp_path):
    from .conftest import make_llcm
    root = make_llcm(str(tmp_path / 'L'))
    rel = 'nir/cam7/0002/img.jpg'
    write_img(osp.join(root, rel))
    with open(osp.join(root, 'idx', 'train_nir.txt'), 'a') as f:
        f.write(f'{rel} 0\n')
    ds = LLCMDataset(root)
    match = [d for d in items(ds) if d['rel_path'] == rel]
    assert len(match) == 1 and match[0]['camid'] == 7


def test_generated_layout(synthetic_roots):
    root = synthetic_roots['llcm']
    train = LLCMDataset(root, split='train')
    test = LLCMDataset(root, split='test')
    with open(osp.join(root, 'idx', 'train_vis.txt')) as f:
        n_vis = len(f.read().split('\n')) - 1
    with open(osp.join(root, 'idx', 'train_nir.txt')) as f:
        n_nir = len(f.read().split('\n')) - 1
    assert len(train) == n_vis + n_nir
    assert train.metainfo['num_classes'] == 6
    info = test.get_sampling_info()
    assert len(set(info['pid'].tolist())) == 4
    assert 3 not in info['camid'][info['modality'] == 1].tolist()
    assert osp.isdir(osp.join(root, 'test_nir', 'cam3'))
    n_files = sum(len(files) for folder in ('test_vis', 'test_nir')
                  for _, _, files in os.walk(osp.join(root, folder)))
    assert len(test) == n_files
    for rel, cam in zip((test.get_data_info(i)['rel_path']
                         for i in range(len(test))), info['camid']):
        assert rel.split('/')[1] == f'cam{cam}'
        assert f'_c{cam:02d}_' in rel


# ------------------------------------------------------------------ errors
def test_missing_root(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match=r'expected LLCM layout: <root>/idx/train_vis\.'
                       r'txt.*--layout llcm'):
        LLCMDataset(str(tmp_path / 'LLCM'), split='test')


def test_missing_test_folder(llcm_root):
    os.rename(osp.join(llcm_root, 'test_nir'), osp.join(llcm_root, 'x'))
    with pytest.raises(FileNotFoundError, match=r'test_nir not found'):
        LLCMDataset(llcm_root, split='test')


def test_unexpected_test_subfolder(llcm_root):
    os.makedirs(osp.join(llcm_root, 'test_vis', 'camera1'))
    with pytest.raises(ValueError, match=r'test_vis/camera1: unexpected '
                       r'folder'):
        LLCMDataset(llcm_root, split='test')


def test_missing_image(llcm_root):
    path = osp.join(llcm_root, 'idx', 'train_vis.txt')
    with open(path, 'a') as f:
        f.write('vis/0005/0005_c03_s1_f1_vis.jpg 1\n')
    with pytest.raises(FileNotFoundError,
                       match=r"train_vis\.txt, line 5: image "
                       r"'vis/0005/0005_c03_s1_f1_vis\.jpg' not found"):
        LLCMDataset(llcm_root)


def test_unknown_camera(llcm_root):
    rel = 'vis/0005/no_camera_here.jpg'
    write_img(osp.join(llcm_root, rel))
    with open(osp.join(llcm_root, 'idx', 'train_vis.txt'), 'a') as f:
        f.write(f'{rel} 1\n')
    with pytest.raises(ValueError, match=r'train_vis\.txt, line 5: cannot '
                       r'read the camera'):
        LLCMDataset(llcm_root)


def test_malformed_test_id(llcm_root):
    write_text(osp.join(llcm_root, 'idx', 'test_id.txt'), '7;9')
    with pytest.raises(ValueError, match=r"test_id\.txt, line 1: malformed "
                       r"identity '7;9'"):
        LLCMDataset(llcm_root, split='test')


def test_empty_test_split(llcm_root):
    write_text(osp.join(llcm_root, 'idx', 'test_id.txt'), '100')
    with pytest.raises(ValueError, match=r'LLCM test split is empty'):
        LLCMDataset(llcm_root, split='test')


def test_one_modality_identity(llcm_root, mm_log):
    path = osp.join(llcm_root, 'idx', 'train_nir.txt')
    with open(path) as f:
        kept = [ln for ln in f.read().splitlines() if not ln.startswith(
            'nir/0002/')]
    write_text(path, '\n'.join(kept))
    ds = LLCMDataset(llcm_root)
    assert {d['pid']: d['gt_label'] for d in items(ds)} == {5: 0}
    warnings = [r.getMessage() for r in mm_log if r.levelname == 'WARNING']
    assert any('LLCM train: 1 identities' in w and '2(visible only)' in w
               for w in warnings)
