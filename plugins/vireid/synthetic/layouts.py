# Copyright (c) vireid contributors. All rights reserved.
"""Writers of the SYSU-MM01, RegDB and LLCM folder layouts."""
import json
import os
import os.path as osp
import shutil
from dataclasses import asdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .appearance import (_LAYOUT_CODE, BACK, FRONT, SyntheticDifficulty,
                         _sample_camera, _sample_identity, _texture_prototypes)
from .rendering import _check_size, _run_jobs

#: File written into every generated root (generation parameters).
MARKER = '.vireid_synthetic.json'


def _prepare_out(out: str, overwrite: bool) -> None:
    """Refuse to write into a non-empty folder unless it is replaceable."""
    if osp.isdir(out) and os.listdir(out):
        if not osp.isfile(osp.join(out, MARKER)):
            raise FileExistsError(
                f'{out} is not empty and was not written by the vireid '
                f'synthetic generator ({MARKER} missing); choose another '
                f'output folder')
        if not overwrite:
            raise FileExistsError(
                f'{out} already holds a synthetic data set; pass '
                f'overwrite=True (--overwrite) to replace it')
        shutil.rmtree(out)
    os.makedirs(out, exist_ok=True)


def _write_marker(out: str, summary: dict, seed: int, size: Tuple[int, int],
                  diff: 'SyntheticDifficulty') -> None:
    info = dict(
        summary, seed=seed, img_size=list(size), difficulty=asdict(diff))
    with open(osp.join(out, MARKER), 'w', encoding='utf-8') as f:
        json.dump(info, f, indent=1, sort_keys=True, default=str)


def _check_range(name: str, value: Sequence[int]) -> Tuple[int, int]:
    if len(value) != 2 or not 1 <= int(value[0]) <= int(value[1]):
        raise ValueError(f'{name} must be (low, high) with 1 <= low <= high, '
                         f'got {value!r}')
    return int(value[0]), int(value[1])


def _write_id_line(path: str, ids: Sequence[int]) -> None:
    with open(path, 'w', encoding='utf-8') as f:
        f.write(','.join(str(int(i)) for i in sorted(ids)) + '\n')


def _write_lines(path: str, lines: Sequence[str]) -> None:
    with open(path, 'w', encoding='utf-8') as f:
        f.write(''.join(line + '\n' for line in lines))


def _pick_pids(rng: np.random.Generator, count: int) -> List[int]:
    """``count`` distinct identity numbers >= 1 with gaps, sorted."""
    pool = np.arange(1, int(count * 1.15) + 3)
    return sorted(int(p) for p in rng.choice(pool, count, replace=False))


# --------------------------------------------------------------------------- #
# SYSU-MM01
# --------------------------------------------------------------------------- #
SYSU_SCENES = {1: 'indoor', 2: 'indoor', 3: 'indoor', 4: 'gate',
               5: 'garden', 6: 'street'}


def make_synthetic_sysu(out: str,
                        num_train_ids: int = 120,
                        num_test_ids: int = 40,
                        seed: int = 0,
                        img_size: Sequence[int] = (128, 64),
                        images_per_cam: Sequence[int] = (6, 12),
                        val_fraction: float = 0.25,
                        difficulty: Optional[SyntheticDifficulty] = None,
                        workers: int = 1,
                        overwrite: bool = False) -> dict:
    """Write a synthetic data set in the SYSU-MM01 layout.

    ``out/cam1..cam6/<pid:04d>/<n:04d>.jpg`` plus ``out/exp/{available_id,
    train_id,val_id,test_id}.txt`` (one line of comma-separated ids). RGB
    cameras 1, 2 (indoor rooms), 4 (gate), 5 (garden); infrared cameras 3
    (indoor, shares room 2) and 6 (outdoor). Not every identity is in every
    camera, but every identity has at least one RGB and one infrared camera,
    and about 60 % of the identities (at least one test identity) are seen
    indoors by cams 1 and 2, so indoor search is not empty.

    Args:
        out (str): Output folder (created).
        num_train_ids (int): Identities of ``train_id`` + ``val_id``.
        num_test_ids (int): Identities of ``test_id``.
        seed (int): Random seed; the output is a function of it.
        img_size (Sequence[int]): ``(height, width)``.
        images_per_cam (Sequence[int]): Inclusive range of images per
            identity and camera.
        val_fraction (float): Share of the training identities written to
            ``val_id.txt``.
        difficulty (SyntheticDifficulty, optional): Difficulty knobs.
        workers (int): Worker processes (the output does not depend on it).
        overwrite (bool): Replace ``out`` if it holds an earlier synthetic
            data set (a foreign non-empty folder is never touched).

    Returns:
        dict: ``num_images``, ``num_train_ids``, ``num_test_ids`` and the
        per-camera image counts ``cam_images``.
    """
    size = _check_size(img_size)
    _check_range('images_per_cam', images_per_cam)
    diff = difficulty or SyntheticDifficulty()
    if num_train_ids < 2 or num_test_ids < 1:
        raise ValueError('make_synthetic_sysu: need >= 2 training and >= 1 '
                         'test identities')
    _prepare_out(out, overwrite)
    code = _LAYOUT_CODE['sysu']
    rng = np.random.default_rng([seed, code, 0])
    pids = _pick_pids(rng, num_train_ids + num_test_ids)
    order = rng.permutation(pids).tolist()
    test_ids = sorted(order[:num_test_ids])
    train_all = order[num_test_ids:]
    num_val = min(max(1, int(round(val_fraction * len(train_all)))),
                  len(train_all) - 1)
    val_ids = sorted(train_all[:num_val])
    train_ids = sorted(train_all[num_val:])

    protos = _texture_prototypes(seed, diff.num_textures)
    idents = {p: _sample_identity(seed, 'sysu', p, diff) for p in pids}
    cams = {(c, 1 if c in (3, 6) else 0):
            _sample_camera(seed, 'sysu', c, 1 if c in (3, 6) else 0,
                           SYSU_SCENES[c])
            for c in range(1, 7)}

    presence = {}
    for pid in pids:
        prng = np.random.default_rng([seed, code, 3, pid])
        indoor = prng.random() < 0.6
        cams_of = [1, 2] if indoor else []
        cams_of += [c for c in (4, 5) if prng.random() < 0.55]
        if not cams_of:
            cams_of = [int(prng.choice([4, 5]))]
        ir = [3] if prng.random() < (0.8 if indoor else 0.15) else []
        ir += [6] if prng.random() < 0.65 else []
        if not ir:
            ir = [3] if indoor else [6]
        presence[pid] = sorted(cams_of + ir)
    if not any(1 in presence[p] for p in test_ids):
        presence[test_ids[0]] = sorted(set(presence[test_ids[0]]) | {1, 2})

    jobs = []
    cam_images = {c: 0 for c in range(1, 7)}
    lo, hi = _check_range('images_per_cam', images_per_cam)
    for pid in pids:
        for cam in presence[pid]:
            crng = np.random.default_rng([seed, code, 4, pid, cam])
            for k in range(int(crng.integers(lo, hi + 1))):
                path = osp.join(out, f'cam{cam}', f'{pid:04d}',
                                f'{k + 1:04d}.jpg')
                jobs.append((path, pid, (cam, 1 if cam in (3, 6) else 0),
                             [seed, code, 5, pid, cam, k], None))
                cam_images[cam] += 1
    for cam in range(1, 7):
        os.makedirs(osp.join(out, f'cam{cam}'), exist_ok=True)
    _run_jobs(jobs, idents, cams, size, diff, protos, workers)

    exp = osp.join(out, 'exp')
    os.makedirs(exp, exist_ok=True)
    _write_id_line(osp.join(exp, 'available_id.txt'), pids)
    _write_id_line(osp.join(exp, 'train_id.txt'), train_ids)
    _write_id_line(osp.join(exp, 'val_id.txt'), val_ids)
    _write_id_line(osp.join(exp, 'test_id.txt'), test_ids)
    summary = dict(
        layout='sysu',
        num_images=len(jobs),
        num_train_ids=len(train_all),
        num_test_ids=len(test_ids),
        cam_images=cam_images)
    _write_marker(out, summary, seed, size, diff)
    return summary


# --------------------------------------------------------------------------- #
# RegDB
# --------------------------------------------------------------------------- #
def make_synthetic_regdb(out: str,
                         num_ids: int = 100,
                         seed: int = 0,
                         img_size: Sequence[int] = (128, 64),
                         images_per_modality: int = 10,
                         num_trials: int = 10,
                         difficulty: Optional[SyntheticDifficulty] = None,
                         workers: int = 1,
                         overwrite: bool = False) -> dict:
    """Write a synthetic data set in the RegDB layout.

    ``out/Visible/<pid>/<female|male>_<front|back>_v_<frame:05d>_<pid>.bmp``,
    the same under ``Thermal/`` with ``_t_``, and
    ``out/idx/{train,test}_{visible,thermal}_{trial}.txt`` for trials
    ``1..num_trials``; each trial splits the identities at random 50/50 into
    train and test, labels are contiguous in sorted pid order within each
    file pair. One co-located camera pair: visible (camid 1) and thermal
    (camid 2); views are front or back.

    Args:
        out (str): Output folder (created).
        num_ids (int): Identities (even, >= 4); pids are ``1..num_ids``.
        seed (int): Random seed.
        img_size (Sequence[int]): ``(height, width)``.
        images_per_modality (int): Images per identity and modality (10 as
            the real data).
        num_trials (int): Number of split trials.
        difficulty (SyntheticDifficulty, optional): Difficulty knobs.
        workers (int): Worker processes (the output does not depend on it).
        overwrite (bool): Replace ``out`` if it holds an earlier synthetic
            data set (a foreign non-empty folder is never touched).

    Returns:
        dict: ``num_images``, ``num_ids``, ``num_trials``.
    """
    size = _check_size(img_size)
    diff = difficulty or SyntheticDifficulty()
    if num_ids < 4 or num_ids % 2:
        raise ValueError(f'make_synthetic_regdb: num_ids must be even and >= '
                         f'4, got {num_ids}')
    _check_range('images_per_modality', (images_per_modality, ) * 2)
    _prepare_out(out, overwrite)
    code = _LAYOUT_CODE['regdb']
    pids = list(range(1, num_ids + 1))
    protos = _texture_prototypes(seed, diff.num_textures)
    idents = {p: _sample_identity(seed, 'regdb', p, diff) for p in pids}
    cams = {(1, 0): _sample_camera(seed, 'regdb', 1, 0, 'street'),
            (2, 1): _sample_camera(seed, 'regdb', 2, 1, 'street')}
    cams[(2, 1)]['blur'] += 0.6  # far-infrared sensors are soft

    jobs, rel = [], {}
    for pid in pids:
        prng = np.random.default_rng([seed, code, 3, pid])
        gender = 'male' if idents[pid]['male'] else 'female'
        frame = int(prng.integers(0, 90000))
        for folder, tag, cam in (('Visible', 'v', (1, 0)), ('Thermal', 't',
                                                            (2, 1))):
            names = []
            for k in range(images_per_modality):
                view = FRONT if prng.random() < 0.5 else BACK
                frame += int(prng.integers(1, 40))
                name = (f'{gender}_{"front" if view == FRONT else "back"}_'
                        f'{tag}_{frame:05d}_{pid}.bmp')
                names.append(f'{folder}/{pid}/{name}')
                jobs.append((osp.join(out, folder, str(pid), name), pid, cam,
                             [seed, code, 5, pid, cam[0], k], view))
            rel[(pid, folder)] = names
    _run_jobs(jobs, idents, cams, size, diff, protos, workers)

    idx = osp.join(out, 'idx')
    os.makedirs(idx, exist_ok=True)
    for trial in range(1, num_trials + 1):
        trng = np.random.default_rng([seed, code, 6, trial])
        perm = trng.permutation(pids).tolist()
        splits = dict(
            train=sorted(perm[:num_ids // 2]),
            test=sorted(perm[num_ids // 2:]))
        for split, ids in splits.items():
            for folder, name in (('Visible', 'visible'), ('Thermal',
                                                          'thermal')):
                lines = [f'{path} {label}' for label, pid in enumerate(ids)
                         for path in rel[(pid, folder)]]
                _write_lines(osp.join(idx, f'{split}_{name}_{trial}.txt'),
                             lines)
    summary = dict(
        layout='regdb',
        num_images=len(jobs),
        num_ids=num_ids,
        num_trials=num_trials)
    _write_marker(out, summary, seed, size, diff)
    return summary


# --------------------------------------------------------------------------- #
# LLCM
# --------------------------------------------------------------------------- #
LLCM_SCENES = ('street', 'indoor', 'gate', 'garden', 'street', 'indoor',
               'gate', 'street', 'garden')


def make_synthetic_llcm(out: str,
                        num_train_ids: int = 100,
                        num_test_ids: int = 40,
                        seed: int = 0,
                        img_size: Sequence[int] = (128, 64),
                        images_per_cam: Sequence[int] = (3, 6),
                        difficulty: Optional[SyntheticDifficulty] = None,
                        workers: int = 1,
                        overwrite: bool = False) -> dict:
    """Write a synthetic data set in the LLCM layout.

    Training images ``out/{vis,nir}/<pid:04d>/<pid:04d>_c<cam:02d>_s<time>_
    f<frame>_{vis,nir}.jpg`` listed in ``out/idx/train_{vis,nir}.txt``
    (``<relative path> <label>``, labels contiguous in sorted pid order);
    test images ``out/test_{vis,nir}/cam<K>/<pid:04d>/*.jpg`` for the
    identities of ``out/idx/test_id.txt`` (one line), and
    ``idx/test_{vis,nir}.txt`` (``<relative path> <pid>``). Nine cameras
    record both modalities (camera numbers shared); visible images are
    low-light. As in the real data, ``test_nir/cam3`` exists but is empty.
    Every identity has >= 2 cameras of each modality.

    Args:
        out (str): Output folder (created).
        num_train_ids (int): Training identities.
        num_test_ids (int): Test identities.
        seed (int): Random seed.
        img_size (Sequence[int]): ``(height, width)``.
        images_per_cam (Sequence[int]): Inclusive range of images per
            identity, camera and modality.
        difficulty (SyntheticDifficulty, optional): Difficulty knobs.
        workers (int): Worker processes (the output does not depend on it).
        overwrite (bool): Replace ``out`` if it holds an earlier synthetic
            data set (a foreign non-empty folder is never touched).

    Returns:
        dict: ``num_images``, ``num_train_ids``, ``num_test_ids``.
    """
    size = _check_size(img_size)
    _check_range('images_per_cam', images_per_cam)
    diff = difficulty or SyntheticDifficulty()
    if num_train_ids < 2 or num_test_ids < 1:
        raise ValueError('make_synthetic_llcm: need >= 2 training and >= 1 '
                         'test identities')
    _prepare_out(out, overwrite)
    code = _LAYOUT_CODE['llcm']
    rng = np.random.default_rng([seed, code, 0])
    pids = _pick_pids(rng, num_train_ids + num_test_ids)
    order = rng.permutation(pids).tolist()
    test_ids = sorted(order[:num_test_ids])
    train_ids = sorted(order[num_test_ids:])
    test_set = set(test_ids)

    protos = _texture_prototypes(seed, diff.num_textures)
    idents = {p: _sample_identity(seed, 'llcm', p, diff) for p in pids}
    cams = {}
    for c in range(1, 10):
        cams[(c, 0)] = _sample_camera(seed, 'llcm', c, 0, LLCM_SCENES[c - 1],
                                      lowlight=True)
        cams[(c, 1)] = _sample_camera(seed, 'llcm', c, 1, LLCM_SCENES[c - 1])

    jobs = []
    lists = dict(train_vis=[], train_nir=[], test_vis=[], test_nir=[])
    lo, hi = _check_range('images_per_cam', images_per_cam)
    label_of = {p: i for i, p in enumerate(train_ids)}
    for pid in pids:
        prng = np.random.default_rng([seed, code, 3, pid])
        is_test = pid in test_set
        for modality, tag in ((0, 'vis'), (1, 'nir')):
            allowed = [c for c in range(1, 10)
                       if not (is_test and modality == 1 and c == 3)]
            chosen = sorted(
                int(c) for c in prng.choice(
                    allowed, int(prng.integers(2, 5)), replace=False))
            for cam in chosen:
                time = int(prng.integers(100000, 235959))
                frame = int(prng.integers(100, 5000))
                for k in range(int(prng.integers(lo, hi + 1))):
                    frame += int(prng.integers(1, 60))
                    name = (f'{pid:04d}_c{cam:02d}_s{time:06d}_f{frame}_'
                            f'{tag}.jpg')
                    if is_test:
                        relp = f'test_{tag}/cam{cam}/{pid:04d}/{name}'
                        lists[f'test_{tag}'].append(f'{relp} {pid}')
                    else:
                        relp = f'{tag}/{pid:04d}/{name}'
                        lists[f'train_{tag}'].append(
                            f'{relp} {label_of[pid]}')
                    jobs.append((osp.join(out, *relp.split('/')), pid,
                                 (cam, modality),
                                 [seed, code, 5, pid, cam, modality, k],
                                 None))
    for tag in ('vis', 'nir'):
        for cam in range(1, 10):
            os.makedirs(osp.join(out, f'test_{tag}', f'cam{cam}'),
                        exist_ok=True)
    _run_jobs(jobs, idents, cams, size, diff, protos, workers)

    idx = osp.join(out, 'idx')
    os.makedirs(idx, exist_ok=True)
    for name, lines in lists.items():
        _write_lines(osp.join(idx, f'{name}.txt'), sorted(lines))
    _write_id_line(osp.join(idx, 'test_id.txt'), test_ids)
    summary = dict(
        layout='llcm',
        num_images=len(jobs),
        num_train_ids=len(train_ids),
        num_test_ids=len(test_ids))
    _write_marker(out, summary, seed, size, diff)
    return summary


# --------------------------------------------------------------------------- #
# all layouts and the preview grid
# --------------------------------------------------------------------------- #
def make_synthetic(out: str,
                   layouts: Sequence[str] = ('sysu', 'regdb', 'llcm'),
                   num_ids: Optional[int] = None,
                   seed: int = 0,
                   img_size: Sequence[int] = (128, 64),
                   difficulty: Optional[SyntheticDifficulty] = None,
                   workers: int = 1,
                   overwrite: bool = False) -> Dict[str, dict]:
    """Write several layouts under ``out/{SYSU-MM01,RegDB,LLCM}``.

    Args:
        out (str): Output folder.
        layouts (Sequence[str]): Any of ``'sysu'``, ``'regdb'``, ``'llcm'``.
        num_ids (int, optional): Total identities per layout (a quarter of
            them, at least one, are test identities; RegDB splits 50/50 per
            trial). Defaults to each builder's default.
        seed (int): Random seed.
        img_size (Sequence[int]): ``(height, width)``.
        difficulty (SyntheticDifficulty, optional): Difficulty knobs.
        workers (int): Worker processes (the output does not depend on it).
        overwrite (bool): Replace ``out`` if it holds an earlier synthetic
            data set (a foreign non-empty folder is never touched).

    Returns:
        dict[str, dict]: Each layout's summary, with its ``root``.
    """
    summaries = {}
    common = dict(
        seed=seed,
        img_size=img_size,
        difficulty=difficulty,
        workers=workers,
        overwrite=overwrite)
    for layout in layouts:
        if layout not in LAYOUT_DIRS:
            raise ValueError(f'unknown layout {layout!r}; expected one of '
                             f'{sorted(LAYOUT_DIRS)}')
        root = osp.join(out, LAYOUT_DIRS[layout])
        if layout == 'regdb':
            kw = {} if num_ids is None else dict(num_ids=max(
                4, num_ids + num_ids % 2))
            summary = make_synthetic_regdb(root, **kw, **common)
        else:
            kw = {}
            if num_ids is not None:
                n_test = max(1, num_ids // 4)
                kw = dict(
                    num_train_ids=max(2, num_ids - n_test),
                    num_test_ids=n_test)
            fn = make_synthetic_sysu if layout == 'sysu' else \
                make_synthetic_llcm
            summary = fn(root, **kw, **common)
        summary['root'] = root
        summaries[layout] = summary
    return summaries


#: Sub-folder of each layout written by :func:`make_synthetic`.
LAYOUT_DIRS = dict(sysu='SYSU-MM01', regdb='RegDB', llcm='LLCM')
