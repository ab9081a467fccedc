# Copyright (c) vireid contributors. All rights reserved.
import os
import os.path as osp

import pytest

from vireid.datasets import RegDBDataset
from .conftest import REGDB_TEST, REGDB_TRAIN, write_text


def items(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def test_train_split(regdb_root):
    ds = RegDBDataset(regdb_root, split='train', trial=1)
    data = items(ds)
    assert len(ds) == len(REGDB_TRAIN) * 2 * 2
    assert {d['pid']: d['gt_label'] for d in data} == {3: 0, 8: 1, 11: 2}
    for d in data:
        if d['rel_path'].startswith('Visible/'):
            assert (d['camid'], d['modality']) == (1, 0)
        else:
            assert (d['camid'], d['modality']) == (2, 1)
        assert d['is_query'] is False
        assert d['img_path'] == osp.join(regdb_root, d['rel_path'])
    assert ds.metainfo['num_classes'] == 3
    assert ds.metainfo['trial'] == 1
    assert ds.metainfo['dataset_name'] == 'regdb'


def test_test_split(regdb_root):
    ds = RegDBDataset(regdb_root, split='test', trial=1)
    data = items(ds)
    assert len(ds) == len(REGDB_TEST) * 2 * 2
    assert sorted({d['pid'] for d in data}) == REGDB_TEST
    assert all(d['gt_label'] == -1 and d['is_query'] is False for d in data)
    assert sum(d['modality'] for d in data) == len(data) // 2


def test_pid_falls_back_to_label(tmp_path):
    root = str(tmp_path / 'r')
    from .conftest import write_img
    lines_v, lines_t = [], []
    for label in range(2):
        for tag, lines in (('v', lines_v), ('t', lines_t)):
            rel = f'flat/{tag}_{label}.bmp'
            write_img(osp.join(root, rel), label)
            lines.append(f'{rel} {label}')
    write_text(osp.join(root, 'idx', 'train_visible_2.txt'),
               '\n'.join(lines_v))
    write_text(osp.join(root, 'idx', 'train_thermal_2.txt'),
               '\n'.join(lines_t))
    ds = RegDBDataset(root, split='train', trial=2)
    assert sorted(d['pid'] for d in items(ds)) == [0, 0, 1, 1]


def test_generated_trials(synthetic_roots):
    root = synthetic_roots['regdb']
    seen = []
    for trial in (1, 2, 10):
        train = RegDBDataset(root, split='train', trial=trial)
        test = RegDBDataset(root, split='test', trial=trial)
        train_ids = set(train.get_sampling_info()['pid'].tolist())
        test_ids = set(test.get_sampling_info()['pid'].tolist())
        assert len(train_ids) == len(test_ids) == 4
        assert not train_ids & test_ids
        assert len(train) == len(test) == 4 * 3 * 2
        labels = train.get_sampling_info()['gt_label']
        assert sorted(set(labels.tolist())) == [0, 1, 2, 3]
        seen.append(frozenset(train_ids))
    assert len(set(seen)) > 1  # trials differ


# ------------------------------------------------------------------ errors
def test_missing_root(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match=r'expected RegDB layout: <root>/Visible.*'
                       r'make_synthetic\.py --out data/synthetic '
                       r'--layout regdb'):
        RegDBDataset(str(tmp_path / 'RegDB'))


def test_missing_index_file(regdb_root):
    with pytest.raises(FileNotFoundError,
                       match=r'train_visible_3\.txt: index file not found'):
        RegDBDataset(regdb_root, trial=3)


def test_malformed_index_line(regdb_root):
    path = osp.join(regdb_root, 'idx', 'train_thermal_1.txt')
    with open(path) as f:
        lines = f.read().splitlines()
    lines[2] = 'Thermal/8/oops.bmp one'
    write_text(path, '\n'.join(lines))
    with pytest.raises(ValueError,
                       match=r"train_thermal_1\.txt, line 3: malformed entry "
                       r"'Thermal/8/oops\.bmp one'"):
        RegDBDataset(regdb_root)


def test_missing_image(regdb_root):
    from .conftest import regdb_name
    os.remove(osp.join(regdb_root, regdb_name(8, 1, 'v')))
    with pytest.raises(FileNotFoundError,
                       match=r"train_visible_1\.txt, line 4: image "
                       r"'Visible/8/male_front_v_00801_8\.bmp' not found"):
        RegDBDataset(regdb_root)


def test_non_contiguous_labels(regdb_root):
    for name in ('visible', 'thermal'):
        path = osp.join(regdb_root, 'idx', f'train_{name}_1.txt')
        with open(path) as f:
            text = f.read().replace('bmp 2', 'bmp 5')
        write_text(path, text)
    with pytest.raises(ValueError, match=r'labels must be contiguous from 0 '
                       r'\(found 3 labels in 0\.\.5, missing \[2, 3, 4\]\)'):
        RegDBDataset(regdb_root)


def test_conflicting_labels(regdb_root):
    path = osp.join(regdb_root, 'idx', 'train_thermal_1.txt')
    with open(path) as f:
        lines = f.read().splitlines()
    rel = lines[0].split()[0]  # identity 3, label 0
    lines[0] = f'{rel} 1'
    write_text(path, '\n'.join(lines))
    with pytest.raises(ValueError,
                       match=r'train_thermal_1\.txt, line 1: label 1 is '
                       r'given to identity 3'):
        RegDBDataset(regdb_root)


def test_one_modality_identity_excluded(regdb_root, mm_log):
    path = osp.join(regdb_root, 'idx', 'train_thermal_1.txt')
    with open(path) as f:
        lines = [ln for ln in f.read().splitlines() if '/8/' not in ln]
    # relabel: identity 11 keeps label 2 in the thermal file
    write_text(path, '\n'.join(lines))
    ds = RegDBDataset(regdb_root)
    assert {d['pid']: d['gt_label'] for d in items(ds)} == {3: 0, 11: 1}
    assert ds.metainfo['num_classes'] == 2
    warnings = [r.getMessage() for r in mm_log if r.levelname == 'WARNING']
    assert any('RegDB train: 1 identities have training images of only one '
               'modality' in w and '8(visible only)' in w for w in warnings)


def test_empty_index_file(regdb_root):
    write_text(osp.join(regdb_root, 'idx', 'test_visible_1.txt'), '\n\n')
    with pytest.raises(ValueError, match=r'test_visible_1\.txt: the index '
                       r'file has no entry'):
        RegDBDataset(regdb_root, split='test')


@pytest.mark.parametrize('trial', [0, -1, '1', True])
def test_bad_trial(regdb_root, trial):
    with pytest.raises(ValueError, match=r'trial must be an integer'):
        RegDBDataset(regdb_root, trial=trial)
