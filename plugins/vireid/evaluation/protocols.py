# Copyright (c) vireid contributors. All rights reserved.
"""Query/gallery selection and per-trial gallery draws of the VI-ReID test
protocols (``docs/protocols.md`` §1.3, §2.3, §3.3).

All functions are pure: they take the test split's records (mappings with
``rel_path`` or ``img_path``, ``pid``, ``camid``) and return **indices into
that sequence**; randomness comes from a private ``random.Random(trial)``,
never from the global RNG.

Draws:

* SYSU-MM01 ``'agw'`` (AGW / DEEN ``process_gallery_sysu``): ``random.seed
  (trial)``, then for every identity in ascending order and every RGB camera
  in the order ``[1, 2, 4, 5]`` (all-search) or ``[1, 2]`` (indoor), if that
  identity has images in that camera, one ``random.choice`` of its sorted
  file list. Single-shot only; trials 0..9. ``random.Random(trial)`` gives
  the same sequence as ``random.seed(trial)`` on the module RNG. An
  identity/camera without images consumes no random number (AGW checks
  ``os.path.isdir``; an *empty* folder would crash AGW, here it is simply
  absent).
* SYSU-MM01 ``'official'`` (the data set authors' MATLAB protocol,
  ``evaluation/get_testing_set.m``): fixed permutations
  ``rand_perm_cam{cam}{id}`` from ``exp/rand_perm_cam.mat``, a 10 x n
  matrix of 1-based image indices per camera and identity; trial ``t``
  (0-based here, MATLAB ``run_time = t + 1``) takes the first ``shots``
  entries of row ``t``. Index ``j`` is the ``j``-th image of the
  ``cam/id`` folder in sorted order (the MATLAB features are stored in that
  order; on the real data set, whose files are numbered ``0001.jpg``
  upwards, it is also the file ``%04d.jpg % j`` that Python ports such as
  MPANet resolve by name). The gallery is ordered camera-major, then by
  identity, then in permutation order, as ``get_testing_set.m`` builds it.
  Single-shot (``shots=1``) and multi-shot (``shots=10``).
* LLCM (DEEN ``process_gallery_llcm``): like SYSU ``'agw'`` with the cameras
  ``1..9`` of the gallery modality.
* RegDB: no sampling; the trial is the data set's split.
"""
import os.path as osp
import random
from collections import defaultdict
from typing import (Dict, List, Mapping, Optional, Sequence, Tuple)

import numpy as np

Record = Mapping[str, object]

SYSU_QUERY_CAMS: Tuple[int, ...] = (3, 6)
SYSU_GALLERY_CAMS: Dict[str, Tuple[int, ...]] = {
    'all': (1, 2, 4, 5),
    'indoor': (1, 2),
}
LLCM_CAMS: Tuple[int, ...] = tuple(range(1, 10))
RAND_PERM_FILE = osp.join('exp', 'rand_perm_cam.mat')

#: canonical direction names: 't2v' = infrared/thermal/NIR query, visible
#: gallery; 'v2t' = visible query, infrared gallery.
DIRECTION_ALIASES: Dict[str, str] = {
    't2v': 't2v', 'i2v': 't2v', 'ir2vis': 't2v',
    'v2t': 'v2t', 'v2i': 'v2t', 'vis2ir': 'v2t',
}

#: modality of the queries for each canonical direction
QUERY_MODALITY: Dict[str, int] = {'t2v': 1, 'v2t': 0}


def canonical_direction(direction: str) -> str:
    """Map a direction name (``'t2v'``, ``'i2v'``, ``'v2t'``, ``'v2i'``,
    ...) to ``'t2v'`` or ``'v2t'``.

    Args:
        direction (str): The name.

    Returns:
        str: ``'t2v'`` (infrared query) or ``'v2t'`` (visible query).
    """
    key = str(direction).lower()
    if key not in DIRECTION_ALIASES:
        raise ValueError(f'unknown direction {direction!r}; expected one of '
                         f'{sorted(DIRECTION_ALIASES)}')
    return DIRECTION_ALIASES[key]


def record_path(record: Record) -> str:
    """The record's path used for sorting (``rel_path``, else
    ``img_path``)."""
    path = record.get('rel_path') or record.get('img_path')
    if not path:
        raise KeyError(f'record has neither rel_path nor img_path: '
                       f'{dict(record)}')
    return str(path)


def group_by_identity_camera(
        records: Sequence[Record],
        indices: Optional[Sequence[int]] = None
) -> Dict[Tuple[int, int], List[int]]:
    """Indices of the records of every ``(pid, camid)``, sorted by path.

    Args:
        records (Sequence[Mapping]): The test split.
        indices (Sequence[int], optional): Only these records (e.g. the
            gallery candidate pool). Defaults to all.

    Returns:
        dict: ``{(pid, camid): [index, ...]}`` with each list sorted by the
        records' paths (AGW sorts each folder's file list).
    """
    if indices is None:
        indices = range(len(records))
    groups: Dict[Tuple[int, int], List[int]] = defaultdict(list)
    for i in indices:
        rec = records[i]
        groups[(int(rec['pid']), int(rec['camid']))].append(int(i))
    for key in groups:
        groups[key].sort(key=lambda i: record_path(records[i]))
    return dict(groups)


def draw_single_shot(
        records: Sequence[Record],
        cams: Sequence[int],
        seed: int,
        indices: Optional[Sequence[int]] = None,
        groups: Optional[Dict[Tuple[int, int], List[int]]] = None
) -> List[int]:
    """One random image per (identity, camera), AGW/DEEN style.

    ``rng = random.Random(seed)``; for every pid in ascending order, for
    every camera in ``cams`` order, if the pair has images: append
    ``rng.choice(sorted images)``.

    Args:
        records (Sequence[Mapping]): The test split.
        cams (Sequence[int]): Camera numbers, in draw order.
        seed (int): The trial number.
        indices (Sequence[int], optional): The candidate pool.
        groups (dict, optional): ``group_by_identity_camera(records,
            indices)``, when the caller draws several trials from one pool.

    Returns:
        list[int]: Record indices of the drawn gallery, in draw order.
    """
    if groups is None:
        groups = group_by_identity_camera(records, indices)
    rng = random.Random(seed)
    pids = sorted({pid for pid, _ in groups})
    gallery = []
    for pid in pids:
        for cam in cams:
            files = groups.get((pid, int(cam)))
            if files:
                gallery.append(rng.choice(files))
    return gallery


def sysu_agw_gallery(
        records: Sequence[Record],
        mode: str = 'all',
        trial: int = 0,
        indices: Optional[Sequence[int]] = None,
        groups: Optional[Dict[Tuple[int, int], List[int]]] = None
) -> List[int]:
    """SYSU-MM01 single-shot gallery of AGW's ``process_gallery_sysu``.

    Args:
        records (Sequence[Mapping]): The test split.
        mode (str): ``'all'`` (cams 1, 2, 4, 5) or ``'indoor'`` (cams 1, 2).
        trial (int): Trial number = seed (AGW uses 0..9).
        indices (Sequence[int], optional): The RGB candidate pool.
        groups (dict, optional): The pool grouped by
            :func:`group_by_identity_camera` (computed when None).

    Returns:
        list[int]: Record indices of the gallery.
    """
    return draw_single_shot(records, _sysu_cams(mode), trial, indices,
                            groups)


def llcm_gallery(
        records: Sequence[Record],
        trial: int = 0,
        indices: Optional[Sequence[int]] = None,
        groups: Optional[Dict[Tuple[int, int], List[int]]] = None
) -> List[int]:
    """LLCM single-shot gallery of DEEN's ``process_gallery_llcm``.

    One random image per (identity, camera) of the gallery modality, cameras
    1..9 in order, identities ascending, ``random.Random(trial)``.

    vireid implements the INTENDED protocol for both directions: ``'t2v'``
    (DEEN's IR->VIS, ``test_mode=[1, 2]``): query = every NIR image, gallery
    = one VIS image per (id, cam); ``'v2t'`` (VIS->IR): query = every VIS
    image, gallery = one NIR image per (id, cam). DEEN's ``test.py``
    ``[2, 1]`` branch instead passes the gallery labels/cameras in the query
    positions of ``eval_llcm`` on ``-(gall . query^T)``, so there the sampled
    NIR images become the queries and all VIS images the gallery
    (``docs/protocols.md`` §3.3); that transposed setup is not reproduced.

    Args:
        records (Sequence[Mapping]): The test split.
        trial (int): Trial number = seed (0..9).
        indices (Sequence[int], optional): The candidate pool (the gallery
            modality's images).
        groups (dict, optional): The pool grouped by
            :func:`group_by_identity_camera` (computed when None).

    Returns:
        list[int]: Record indices of the gallery.
    """
    return draw_single_shot(records, LLCM_CAMS, trial, indices, groups)


def _sysu_cams(mode: str) -> Tuple[int, ...]:
    if mode not in SYSU_GALLERY_CAMS:
        raise ValueError(f"SYSU mode must be 'all' or 'indoor', got "
                         f'{mode!r}')
    return SYSU_GALLERY_CAMS[mode]


# --------------------------------------------------------------------------
# SYSU-MM01 official permutations (exp/rand_perm_cam.mat)
# --------------------------------------------------------------------------
def load_rand_perm_cam(path: str) -> Dict[Tuple[int, int], np.ndarray]:
    """Read SYSU-MM01's ``rand_perm_cam.mat``.

    The MATLAB variable ``rand_perm_cam`` is a 6 x 1 cell (one per camera);
    cell ``cam`` is a cell over identities ``1..N`` (its ``i``-th entry is
    identity ``i``); each entry is a ``num_trials x n`` double matrix of
    1-based image indices (empty where the identity has no image in that
    camera).

    Args:
        path (str): The ``.mat`` file.

    Returns:
        dict: ``{(camid, pid): int64 array (num_trials, n)}`` of the
        non-empty entries, indices still 1-based.
    """
    from scipy.io import loadmat  # scipy.io is slow to import
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} not found: the SYSU-MM01 official gallery draw needs '
            f"the authors' rand_perm_cam.mat (github.com/wuancong/SYSU-MM01, "
            f'evaluation/data_split/) in <data_root>/exp/, or use '
            f"gallery_draw='agw'")
    content = loadmat(path)
    if 'rand_perm_cam' not in content:
        found = sorted(k for k in content if not k.startswith('__'))
        raise ValueError(f'{path} has no variable rand_perm_cam (found '
                         f'{found})')
    cams = np.asarray(content['rand_perm_cam'], dtype=object).reshape(-1)
    perms: Dict[Tuple[int, int], np.ndarray] = {}
    for cam_idx, cell in enumerate(cams):
        entries = np.asarray(cell, dtype=object).reshape(-1)
        for id_idx, entry in enumerate(entries):
            arr = np.asarray(entry)
            if arr.size == 0:
                continue
            if arr.ndim != 2:
                raise ValueError(
                    f'{path}: rand_perm_cam{{{cam_idx + 1}}}{{{id_idx + 1}}} '
                    f'must be a (trials x images) matrix, got shape '
                    f'{arr.shape}')
            perms[(cam_idx + 1, id_idx + 1)] = arr.astype(np.int64)
    return perms


def sysu_official_gallery(records: Sequence[Record],
                          rand_perm: Dict[Tuple[int, int], np.ndarray],
                          mode: str = 'all',
                          trial: int = 0,
                          shots: int = 1,
                          indices: Optional[Sequence[int]] = None
                          ) -> List[int]:
    """SYSU-MM01 gallery of the authors' ``get_testing_set.m``.

    For each gallery camera (``[1, 2, 4, 5]`` / ``[1, 2]``), for each
    identity of the pool in ascending order, the first ``shots`` entries of
    row ``trial`` of ``rand_perm_cam{cam}{id}``, each the 1-based position
    in the sorted image list of that camera/identity. With fewer than
    ``shots`` images all are taken (slicing; the real data set has >= 13).

    Args:
        records (Sequence[Mapping]): The test split.
        rand_perm (dict): From :func:`load_rand_perm_cam`.
        mode (str): ``'all'`` or ``'indoor'``.
        trial (int): 0-based trial (row) index.
        shots (int): 1 (single-shot) or 10 (multi-shot).
        indices (Sequence[int], optional): The RGB candidate pool.

    Returns:
        list[int]: Record indices of the gallery.
    """
    cams = _sysu_cams(mode)
    if shots < 1:
        raise ValueError(f'shots must be >= 1, got {shots}')
    groups = group_by_identity_camera(records, indices)
    pids = sorted({pid for pid, _ in groups})
    gallery = []
    for cam in cams:
        for pid in pids:
            files = groups.get((pid, cam))
            if not files:
                continue
            perm = rand_perm.get((cam, pid))
            if perm is None:
                raise ValueError(
                    f'rand_perm_cam.mat has no permutation for camera {cam}, '
                    f'identity {pid}, which has {len(files)} images in the '
                    f'data set')
            if not 0 <= trial < perm.shape[0]:
                raise ValueError(
                    f'trial {trial} out of range: rand_perm_cam.mat has '
                    f'{perm.shape[0]} trials (rows) for camera {cam}, '
                    f'identity {pid}')
            for j in perm[trial, :shots]:
                if not 1 <= j <= len(files):
                    raise ValueError(
                        f'rand_perm_cam.mat index {int(j)} for camera {cam},'
                        f' identity {pid}, trial {trial} is outside 1..'
                        f'{len(files)} (the images of cam{cam}/{pid:04d} in '
                        f'the data set)')
                gallery.append(files[int(j) - 1])
    return gallery


def write_rand_perm_cam(data_root: str,
                        num_trials: int = 10,
                        seed: int = 0,
                        cams: Sequence[int] = (1, 2, 3, 4, 5, 6),
                        out_file: Optional[str] = None,
                        exts: Sequence[str] = ('.jpg', '.jpeg', '.png',
                                               '.bmp')) -> str:
    """Write a ``rand_perm_cam.mat`` in the SYSU-MM01 authors' format for a
    SYSU-style tree (``camK/PPPP/*.jpg``), e.g. a synthetic test fixture.

    Every existing ``camK/PPPP`` folder with ``n`` images gets a
    ``num_trials x n`` double matrix whose rows are random permutations of
    ``1..n`` (``np.random.default_rng(seed)``); the per-camera cells cover
    identities ``1..max_pid`` and are empty elsewhere.

    Args:
        data_root (str): The SYSU-MM01 root (holding ``cam1`` ... ``cam6``).
        num_trials (int): Rows per matrix. Defaults to 10.
        seed (int): Seed of the permutations. Defaults to 0.
        cams (Sequence[int]): Cameras to scan. Defaults to 1..6.
        out_file (str, optional): Output path. Defaults to
            ``<data_root>/exp/rand_perm_cam.mat``.
        exts (Sequence[str]): Image extensions counted.

    Returns:
        str: The written path.
    """
    import os

    from scipy.io import savemat
    rng = np.random.default_rng(seed)
    counts: Dict[Tuple[int, int], int] = {}
    for cam in cams:
        cam_dir = osp.join(data_root, f'cam{cam}')
        if not osp.isdir(cam_dir):
            continue
        for name in sorted(os.listdir(cam_dir)):
            pid_dir = osp.join(cam_dir, name)
            if not (name.isdigit() and osp.isdir(pid_dir)):
                continue
            n = sum(1 for f in os.listdir(pid_dir)
                    if osp.splitext(f)[1].lower() in exts)
            if n:
                counts[(cam, int(name))] = n
    if not counts:
        raise ValueError(f'no camK/PPPP image folders under {data_root}')
    max_pid = max(pid for _, pid in counts)
    outer = np.empty((max(cams), 1), dtype=object)
    for cam in range(1, max(cams) + 1):
        cell = np.empty((max_pid, 1), dtype=object)
        for pid in range(1, max_pid + 1):
            n = counts.get((cam, pid), 0)
            if n:
                cell[pid - 1, 0] = np.stack(
                    [rng.permutation(n) + 1
                     for _ in range(num_trials)]).astype(np.float64)
            else:
                cell[pid - 1, 0] = np.zeros((0, 0))
        outer[cam - 1, 0] = cell
    out_file = out_file or osp.join(data_root, RAND_PERM_FILE)
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    savemat(out_file, {'rand_perm_cam': outer})
    return out_file


# --------------------------------------------------------------------------
# query / gallery-pool selection
# --------------------------------------------------------------------------
def split_query_pool(protocol: str, direction: str,
                     records: Sequence[Record]) -> Tuple[List[int],
                                                         List[int]]:
    """Query indices and gallery candidate-pool indices of a test split.

    * SYSU-MM01: query = records with ``is_query`` True (all IR images of
      cam3 + cam6), pool = the others (RGB cams 1, 2, 4, 5); only ``'t2v'``.
    * RegDB / LLCM: ``is_query`` is ignored; ``'t2v'`` queries the
      infrared/thermal/NIR images (``modality == 1``) against the visible
      ones, ``'v2t'`` the reverse.

    Args:
        protocol (str): ``'sysu'`` | ``'regdb'`` | ``'llcm'``.
        direction (str): A direction name (see :func:`canonical_direction`).
        records (Sequence[Mapping]): The test split.

    Returns:
        tuple[list[int], list[int]]: Query indices and pool indices.
    """
    direction = canonical_direction(direction)
    if protocol == 'sysu':
        if direction != 't2v':
            raise ValueError("SYSU-MM01 is evaluated infrared->visible only "
                             "(direction 't2v')")
        query = [i for i, r in enumerate(records) if bool(r['is_query'])]
        pool = [i for i, r in enumerate(records) if not bool(r['is_query'])]
    elif protocol in ('regdb', 'llcm'):
        q_mod = QUERY_MODALITY[direction]
        query = [i for i, r in enumerate(records)
                 if int(r['modality']) == q_mod]
        pool = [i for i, r in enumerate(records)
                if int(r['modality']) != q_mod]
    else:
        raise ValueError(f"protocol must be 'sysu', 'regdb' or 'llcm', got "
                         f'{protocol!r}')
    return query, pool


# --------------------------------------------------------------------------
# input checks
def check_camera_ids(protocol: str, q_camids: Sequence[int],
                     g_camids: Sequence[int]) -> None:
    """Refuse camera numbers the protocol's rules would misread.

    The SYSU-MM01 rule (cam3 queries skip cam2 gallery images) and the
    LLCM camera set use the REAL camera numbers; 0-based ids silently
    switch the rule off (issue 13: R1 0 -> 100 on the same features).

    Args:
        protocol (str): ``'sysu'``, ``'llcm'`` or ``'regdb'`` (any ids).
        q_camids (Sequence[int]): Query camera numbers.
        g_camids (Sequence[int]): Gallery camera numbers.

    Raises:
        ValueError: Naming the unexpected cameras and the expected ones.
    """
    q = sorted({int(c) for c in np.asarray(q_camids).reshape(-1)})
    g = sorted({int(c) for c in np.asarray(g_camids).reshape(-1)})
    hint = ''
    if protocol == 'sysu':
        bad_q = [c for c in q if c not in SYSU_QUERY_CAMS]
        bad_g = [c for c in g if c not in SYSU_GALLERY_CAMS['all']]
        if not (bad_q or bad_g):
            return
        if min(q + g) == 0:
            hint = ('; they look 0-based: SYSU-MM01 cameras are numbered '
                    '1-6 as in the folders cam1..cam6 (add 1)')
        raise ValueError(
            f'SYSU-MM01 protocol: query cameras must be infrared '
            f'{list(SYSU_QUERY_CAMS)} and gallery cameras visible '
            f'{list(SYSU_GALLERY_CAMS["all"])}, got query cameras {q} and '
            f'gallery cameras {g}' + hint)
    if protocol == 'llcm':
        bad = [c for c in q + g if c not in LLCM_CAMS]
        if not bad:
            return
        if 0 in bad:
            hint = ('; they look 0-based: LLCM cameras are numbered 1-9 as '
                    'in the folders cam1..cam9 (add 1)')
        raise ValueError(
            f'LLCM protocol: camera numbers must be in 1..9, got '
            f'{sorted(set(bad))}' + hint)
