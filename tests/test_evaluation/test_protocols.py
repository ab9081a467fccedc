# Copyright (c) vireid contributors. All rights reserved.
"""Gallery draws: AGW's global-RNG draw reproduced with a private
random.Random, the SYSU-MM01 official permutation file, query/pool split."""
import json
import os.path as osp
import random
import subprocess
import sys

import pytest

from vireid.evaluation.protocols import (canonical_direction,
                                         draw_single_shot, llcm_gallery,
                                         load_rand_perm_cam,
                                         split_query_pool, sysu_agw_gallery,
                                         sysu_official_gallery,
                                         write_rand_perm_cam)
from .trees import make_llcm_tree, make_sysu_tree

# AGW's process_gallery_sysu / DEEN's process_gallery_llcm, re-written from
# the protocol text: the GLOBAL random module seeded with the trial, ids in
# sorted "%04d" order, cameras in order, sorted listdir, random.choice.
_AGW_SCRIPT = r'''
import json, os, random, sys
root, layout = sys.argv[1], sys.argv[2]
out = {}
if layout == 'sysu':
    ids = open(os.path.join(root, 'exp/test_id.txt')).read().splitlines()
    ids = ['%04d' % int(y) for y in ids[0].split(',')]
    modes = {'all': ['cam1', 'cam2', 'cam4', 'cam5'],
             'indoor': ['cam1', 'cam2']}
else:
    ids = open(os.path.join(root, 'idx/test_id.txt')).read().splitlines()
    ids = ['%04d' % int(y) for y in ids[0].split(',')]
    modes = {'vis': ['test_vis/cam%d' % c for c in range(1, 10)],
             'nir': ['test_nir/cam%d' % c for c in range(1, 10)]}
for mode, cams in modes.items():
    for trial in range(10):
        random.seed(trial)
        files = []
        for pid in sorted(ids):
            for cam in cams:
                img_dir = os.path.join(root, cam, pid)
                if os.path.isdir(img_dir):
                    new = sorted([img_dir + '/' + i
                                  for i in os.listdir(img_dir)])
                    files.append(random.choice(new))
        out['%s/%d' % (mode, trial)] = [
            os.path.relpath(f, root).replace(os.sep, '/') for f in files]
print(json.dumps(out))
'''


def _agw_reference(root, layout):
    proc = subprocess.run([sys.executable, '-c', _AGW_SCRIPT, root, layout],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def _records(entries, **extra):
    return [dict(rel_path=p, pid=pid, camid=cam, **extra)
            for p, pid, cam in entries]


def test_sysu_agw_draw_matches_global_random_sequence(tmp_path):
    root = str(tmp_path / 'SYSU-MM01')
    entries = make_sysu_tree(root)
    ref = _agw_reference(root, 'sysu')
    rgb = [e for e in entries if e[2] in (1, 2, 4, 5)]
    # shuffled record order must not matter (groups are sorted by path)
    random.Random(1).shuffle(rgb)
    records = _records(rgb)
    state = random.getstate()
    for mode in ('all', 'indoor'):
        for trial in range(10):
            got = [records[i]['rel_path']
                   for i in sysu_agw_gallery(records, mode, trial)]
            assert got == ref[f'{mode}/{trial}'], (mode, trial)
    assert random.getstate() == state  # the global RNG is untouched
    # the draws differ between trials, and indoor only uses cams 1 and 2
    assert ref['all/0'] != ref['all/1']
    assert {p.split('/')[0] for p in ref['indoor/3']} == {'cam1', 'cam2'}


def test_sysu_agw_draw_on_the_dataset_items(tmp_path):
    from vireid.datasets import SYSUMM01Dataset
    root = str(tmp_path / 'SYSU-MM01')
    make_sysu_tree(root)
    ref = _agw_reference(root, 'sysu')
    ds = SYSUMM01Dataset(data_root=root, split='test', pipeline=[])
    items = [ds.get_data_info(i) for i in range(len(ds))]
    _, pool = split_query_pool('sysu', 't2v', items)
    got = [items[i]['rel_path'] for i in sysu_agw_gallery(items, 'all', 4,
                                                           pool)]
    assert got == ref['all/4']


def test_llcm_draw_matches_global_random_sequence(tmp_path):
    root = str(tmp_path / 'LLCM')
    tree = make_llcm_tree(root)
    ref = _agw_reference(root, 'llcm')
    records = (_records(tree['vis'], modality=0) +
               _records(tree['nir'], modality=1))
    query, pool = split_query_pool('llcm', 't2v', records)
    assert {records[i]['modality'] for i in query} == {1}
    for trial in range(10):
        got = [records[i]['rel_path']
               for i in llcm_gallery(records, trial, pool)]
        assert got == ref[f'vis/{trial}']
    query, pool = split_query_pool('llcm', 'v2i', records)
    assert {records[i]['modality'] for i in query} == {0}
    got = [records[i]['rel_path'] for i in llcm_gallery(records, 2, pool)]
    assert got == ref['nir/2']


def test_draw_skips_missing_pairs_without_consuming_randomness():
    recs = [dict(rel_path=f'c{c}/{p}/{i}.jpg', pid=p, camid=c)
            for p in (1, 2) for c in (1, 2) for i in range(5)
            if not (p == 1 and c == 2)]
    rng = random.Random(3)
    expected = []
    for p, c in ((1, 1), (2, 1), (2, 2)):
        files = sorted(f'c{c}/{p}/{i}.jpg' for i in range(5))
        expected.append(rng.choice(files))
    got = [recs[i]['rel_path'] for i in draw_single_shot(recs, (1, 2), 3)]
    assert got == expected


def test_official_permutation_file_format_and_semantics(tmp_path):
    from scipy.io import loadmat
    root = str(tmp_path / 'SYSU-MM01')
    entries = make_sysu_tree(root)
    path = write_rand_perm_cam(root, seed=5)
    assert path == osp.join(root, 'exp', 'rand_perm_cam.mat')
    raw = loadmat(path)['rand_perm_cam']
    assert raw.shape == (6, 1)
    perm = load_rand_perm_cam(path)
    n6 = sum(1 for e in entries if e[1] == 6 and e[2] == 1)
    assert perm[(1, 6)].shape == (10, n6)
    assert sorted(perm[(1, 6)][3]) == list(range(1, n6 + 1))
    assert (2, 21) not in perm  # no folder -> empty cell

    rgb = _records([e for e in entries if e[2] in (1, 2, 4, 5)])
    for mode, cams in (('all', (1, 2, 4, 5)), ('indoor', (1, 2))):
        for shots in (1, 10):
            for trial in (0, 9):
                got = [rgb[i]['rel_path'][:-4] for i in sysu_official_gallery(
                    rgb, perm, mode, trial, shots)]
                # Python-port reading (as MPANet's get_gallery_names):
                # camera-major, ids ascending, entry j -> file %04d.jpg
                ref = []
                for cam in cams:
                    cam_perm = raw[cam - 1][0].squeeze()
                    for pid in (6, 10, 17, 21, 24):
                        if pid - 1 >= len(cam_perm) or \
                                cam_perm[pid - 1].size == 0:
                            continue
                        ins = cam_perm[pid - 1][trial][:shots]
                        ref += [f'cam{cam}/{pid:04d}/{int(j):04d}'
                                for j in ins]
                assert got == ref, (mode, shots, trial)
    assert len(sysu_official_gallery(rgb, perm, 'all', 0, 1)) == \
        len({(e[1], e[2]) for e in entries if e[2] in (1, 2, 4, 5)})


def test_official_draw_errors(tmp_path):
    root = str(tmp_path / 'SYSU-MM01')
    entries = make_sysu_tree(root)
    with pytest.raises(FileNotFoundError, match='rand_perm_cam.mat'):
        load_rand_perm_cam(osp.join(root, 'exp', 'rand_perm_cam.mat'))
    perm = load_rand_perm_cam(write_rand_perm_cam(root, num_trials=2))
    rgb = _records([e for e in entries if e[2] in (1, 2, 4, 5)])
    with pytest.raises(ValueError, match='trial 5 out of range'):
        sysu_official_gallery(rgb, perm, 'all', 5)
    # a data set with fewer images than the permutation refers to
    short = [r for r in rgb if not (r['pid'] == 6 and r['camid'] == 1
                                    and r['rel_path'] > 'cam1/0006/0001.jpg')]
    assert sum(1 for e in entries if e[1] == 6 and e[2] == 1) > 1
    with pytest.raises(ValueError, match=r'outside 1\.\.1 \(the images of '
                       r'cam1/0006'):
        sysu_official_gallery(short, perm, 'all', 0, 10)
    extra = rgb + [dict(rel_path='cam1/0099/0001.jpg', pid=99, camid=1)]
    with pytest.raises(ValueError, match='no permutation for camera 1, '
                       'identity 99'):
        sysu_official_gallery(extra, perm, 'all', 0)


def test_split_query_pool_and_directions():
    recs = [dict(rel_path=str(i), pid=i, camid=1, modality=i % 2,
                 is_query=(i % 3 == 0)) for i in range(6)]
    assert split_query_pool('sysu', 't2v', recs) == ([0, 3], [1, 2, 4, 5])
    assert split_query_pool('regdb', 'v2t', recs) == ([0, 2, 4], [1, 3, 5])
    assert split_query_pool('regdb', 'i2v', recs) == ([1, 3, 5], [0, 2, 4])
    with pytest.raises(ValueError, match="infrared->visible only"):
        split_query_pool('sysu', 'v2t', recs)
    assert canonical_direction('V2I') == 'v2t'
    with pytest.raises(ValueError, match='unknown direction'):
        canonical_direction('up')


def test_private_rng_equals_seeded_global_rng():
    seq = list(range(37))
    state = random.getstate()
    try:
        for trial in range(10):
            random.seed(trial)
            ref = [random.choice(seq) for _ in range(20)]
            rng = random.Random(trial)
            assert [rng.choice(seq) for _ in range(20)] == ref
    finally:
        random.setstate(state)
