# Copyright (c) vireid contributors. All rights reserved.
"""Tiny on-disk fixture trees of the three test layouts (empty image
files: the evaluation never decodes them)."""
import os
import os.path as osp
import random
from typing import Dict, List, Tuple


def _touch(path: str) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    open(path, 'wb').close()


def make_sysu_tree(root: str, seed: int = 0) -> List[Tuple[str, int, int]]:
    """SYSU-MM01 layout with 5 test ids; returns (rel_path, pid, cam) of
    every image. Some (id, cam) folders are absent; id 21 is never seen by
    cam1/cam2 (only by the outdoor RGB cams), id 10 misses cam2."""
    rng = random.Random(seed)
    test_ids = [6, 10, 17, 21, 24]
    for c in range(1, 7):
        os.makedirs(osp.join(root, f'cam{c}'), exist_ok=True)
    os.makedirs(osp.join(root, 'exp'), exist_ok=True)
    with open(osp.join(root, 'exp', 'test_id.txt'), 'w') as f:
        f.write(','.join(map(str, test_ids)) + '\n')
    with open(osp.join(root, 'exp', 'train_id.txt'), 'w') as f:
        f.write('1,2\n')
    with open(osp.join(root, 'exp', 'val_id.txt'), 'w') as f:
        f.write('3\n')
    out = []
    for pid in test_ids + [1, 2]:
        for cam in range(1, 7):
            if pid == 21 and cam in (1, 2):
                continue
            if pid == 10 and cam == 2:
                continue
            if pid == 24 and cam == 5:
                continue
            n = rng.randint(1, 13)
            for i in range(n):
                rel = f'cam{cam}/{pid:04d}/{i + 1:04d}.jpg'
                _touch(osp.join(root, rel))
                if pid in test_ids:
                    out.append((rel, pid, cam))
    return out


def make_regdb_tree(root: str, trial: int = 1, num_ids: int = 6,
                    per_id: int = 3) -> List[Tuple[str, int, int]]:
    """RegDB layout with the test index files of one trial."""
    vis, thr, out = [], [], []
    for label, pid in enumerate(range(100, 100 + num_ids)):
        for i in range(per_id):
            v = f'Visible/{pid}/male_front_v_{i:05d}_{pid}.bmp'
            t = f'Thermal/{pid}/male_front_t_{i:05d}_{pid}.bmp'
            _touch(osp.join(root, v))
            _touch(osp.join(root, t))
            vis.append(f'{v} {label}')
            thr.append(f'{t} {label}')
            out += [(v, pid, 1), (t, pid, 2)]
    os.makedirs(osp.join(root, 'idx'), exist_ok=True)
    with open(osp.join(root, 'idx', f'test_visible_{trial}.txt'), 'w') as f:
        f.write('\n'.join(vis) + '\n')
    with open(osp.join(root, 'idx', f'test_thermal_{trial}.txt'), 'w') as f:
        f.write('\n'.join(thr) + '\n')
    return out


def make_llcm_tree(root: str, seed: int = 0) -> Dict[str, list]:
    """LLCM layout (test part) with 4 test ids; ``test_nir/cam3`` empty."""
    rng = random.Random(seed)
    test_ids = [3, 7, 12, 30]
    os.makedirs(osp.join(root, 'idx'), exist_ok=True)
    with open(osp.join(root, 'idx', 'test_id.txt'), 'w') as f:
        f.write(','.join(map(str, test_ids)) + '\n')
    out = {'vis': [], 'nir': []}
    for folder, key in (('test_vis', 'vis'), ('test_nir', 'nir')):
        for cam in range(1, 10):
            os.makedirs(osp.join(root, folder, f'cam{cam}'), exist_ok=True)
            if key == 'nir' and cam == 3:
                continue
            for pid in test_ids:
                if rng.random() < 0.35:
                    continue
                for i in range(rng.randint(1, 4)):
                    rel = (f'{folder}/cam{cam}/{pid:04d}/'
                           f'{pid:04d}_c{cam:02d}_s{i:06d}_{key}.jpg')
                    _touch(osp.join(root, rel))
                    out[key].append((rel, pid, cam))
    return out
