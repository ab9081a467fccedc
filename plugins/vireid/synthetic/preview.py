# Copyright (c) vireid contributors. All rights reserved.
"""A preview grid of generated identities: visible | infrared."""
import os
import os.path as osp
from typing import Dict, Tuple

import cv2
import numpy as np


def _detect_layout(root: str) -> str:
    if osp.isdir(osp.join(root, 'cam1')) and osp.isdir(osp.join(root, 'exp')):
        return 'sysu'
    if osp.isdir(osp.join(root, 'Visible')) and osp.isdir(
            osp.join(root, 'Thermal')):
        return 'regdb'
    if osp.isdir(osp.join(root, 'test_vis')):
        return 'llcm'
    raise FileNotFoundError(
        f'{root}: not a SYSU-MM01, RegDB or LLCM layout (expected cam1/ and '
        f'exp/, Visible/ and Thermal/, or test_vis/)')


def _images_by_identity(root: str, layout: str) -> Dict[int, Tuple[list,
                                                                   list]]:
    """pid -> (visible paths, infrared paths), sorted."""
    from vireid.datasets.parsing import list_images
    found: Dict[int, Tuple[list, list]] = {}

    def add(pid: int, modality: int, folder: str) -> None:
        files = [osp.join(folder, n) for n in list_images(folder)]
        found.setdefault(pid, ([], []))[modality].extend(files)

    if layout == 'sysu':
        for cam in range(1, 7):
            cam_dir = osp.join(root, f'cam{cam}')
            for name in sorted(os.listdir(cam_dir)):
                if name.isdigit():
                    add(int(name), int(cam in (3, 6)),
                        osp.join(cam_dir, name))
    elif layout == 'regdb':
        for modality, folder in enumerate(('Visible', 'Thermal')):
            for name in sorted(os.listdir(osp.join(root, folder))):
                if name.isdigit():
                    add(int(name), modality, osp.join(root, folder, name))
    else:
        for modality, folder in enumerate(('test_vis', 'test_nir')):
            base = osp.join(root, folder)
            for cam in sorted(os.listdir(base)):
                for name in sorted(os.listdir(osp.join(base, cam))):
                    if name.isdigit():
                        add(int(name), modality, osp.join(base, cam, name))
    return found


def save_sample_grid(root: str,
                     out_png: str,
                     num_ids: int = 6,
                     per_modality: int = 4,
                     upscale: int = 1) -> str:
    """Save a preview grid: one identity per row, visible | infrared.

    Each row shows ``per_modality`` visible images of an identity, a gap,
    then ``per_modality`` infrared images of the same identity (spread over
    its cameras), so that the cross-modal task can be judged by eye.

    Args:
        root (str): A SYSU-MM01, RegDB or LLCM layout (detected).
        out_png (str): The PNG to write.
        num_ids (int): Number of identities (rows).
        per_modality (int): Images per modality and row.
        upscale (int): Nearest-neighbour enlargement factor.

    Returns:
        str: ``out_png``.
    """
    layout = _detect_layout(root)
    found = _images_by_identity(root, layout)
    pids = [p for p in sorted(found) if found[p][0] and found[p][1]]
    if not pids:
        raise ValueError(f'{root}: no identity with images of both '
                         f'modalities')
    step = max(1, len(pids) // num_ids)
    pids = pids[::step][:num_ids]
    tiles_h = tiles_w = None
    rows = []
    for pid in pids:
        row = []
        for modality in (0, 1):
            files = found[pid][modality]
            pick = np.linspace(0, len(files) - 1, per_modality).round()
            for i in pick.astype(int):
                img = cv2.imread(files[i], cv2.IMREAD_COLOR)
                if tiles_h is None:
                    tiles_h, tiles_w = img.shape[:2]
                row.append(cv2.resize(img, (tiles_w, tiles_h)))
            if modality == 0:
                row.append(np.full((tiles_h, tiles_w // 4, 3), 255,
                                   np.uint8))
        rows.append(np.concatenate(row, axis=1))
        rows.append(np.full((4, rows[-1].shape[1], 3), 255, np.uint8))
    grid = np.concatenate(rows[:-1], axis=0)
    if upscale > 1:
        grid = cv2.resize(
            grid, (grid.shape[1] * upscale, grid.shape[0] * upscale),
            interpolation=cv2.INTER_NEAREST)
    folder = osp.dirname(out_png)
    if folder:
        os.makedirs(folder, exist_ok=True)
    params = [cv2.IMWRITE_PNG_COMPRESSION, 9] if out_png.lower().endswith(
        '.png') else []
    if not cv2.imwrite(out_png, grid, params):
        raise OSError(f'cannot write {out_png}')
    return out_png
