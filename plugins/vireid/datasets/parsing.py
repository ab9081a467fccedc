# Copyright (c) vireid contributors. All rights reserved.
"""Readers for the split and index files of the official VI-ReID layouts.

Every reader raises one error that names the file, the line (1-based) and
the offending text, so that a broken download or a hand-edited list is easy
to find. Nothing is silently skipped except blank lines.
"""
import os
import os.path as osp
import re
from typing import List, NamedTuple, Optional, Sequence, Tuple

__all__ = [
    'IMG_EXTENSIONS', 'IndexEntry', 'read_id_list', 'read_index_file',
    'list_images', 'parse_cam_folder', 'sorted_cam_folders',
    'check_image_exists'
]

#: File endings treated as images when a folder is listed.
IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')

_CAM_FOLDER = re.compile(r'^cam(\d+)$')


class IndexEntry(NamedTuple):
    """One line of an index file: ``<relative path> <integer label>``."""

    lineno: int
    rel_path: str
    label: int


def read_id_list(path: str) -> List[int]:
    """Read an identity list in the SYSU-MM01 ``exp/*_id.txt`` format.

    The official files hold one line of comma-separated integers without
    zero padding (``1,2,4,5``). Several non-blank lines are accepted and
    concatenated; blank tokens (a trailing comma) are ignored.

    Args:
        path (str): The list file.

    Returns:
        list[int]: The identities in file order.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If a token is not a non-negative integer, an identity
            repeats, or the file lists no identity.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path}: identity list not found (expected one line of '
            f'comma-separated identity numbers, e.g. "1,2,5")')
    ids: List[int] = []
    seen = {}
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, start=1):
            line = line.strip()
            if not line:
                continue
            for token in line.split(','):
                token = token.strip()
                if not token:
                    continue
                if not token.isdigit():
                    raise ValueError(
                        f'{path}, line {lineno}: malformed identity '
                        f'{token!r} in {_clip(line)!r} (expected '
                        f'comma-separated non-negative integers)')
                pid = int(token)
                if pid in seen:
                    raise ValueError(
                        f'{path}, line {lineno}: identity {pid} is listed '
                        f'twice (first on line {seen[pid]})')
                seen[pid] = lineno
                ids.append(pid)
    if not ids:
        raise ValueError(f'{path}: the identity list is empty')
    return ids


def read_index_file(path: str) -> List[IndexEntry]:
    """Read an index file of ``<relative path> <integer label>`` lines.

    This is the format of RegDB ``idx/{train,test}_{visible,thermal}_*.txt``
    and LLCM ``idx/train_{vis,nir}.txt``.

    Args:
        path (str): The index file.

    Returns:
        list[IndexEntry]: One entry per non-blank line, in file order.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If a line does not have exactly two fields, the label is
            not a non-negative integer, or the file has no entry.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path}: index file not found (expected lines of the form '
            f'"<image path relative to the data root> <integer label>")')
    entries = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, start=1):
            text = line.strip()
            if not text:
                continue
            fields = text.split()
            if len(fields) != 2 or not fields[1].isdigit():
                raise ValueError(
                    f'{path}, line {lineno}: malformed entry '
                    f'{_clip(text)!r} (expected "<relative image path> '
                    f'<integer label>")')
            rel = fields[0].replace('\\', '/').lstrip('/')
            entries.append(IndexEntry(lineno, rel, int(fields[1])))
    if not entries:
        raise ValueError(f'{path}: the index file has no entry')
    return entries


def check_image_exists(root: str, rel_path: str, index_file: str,
                       lineno: int) -> str:
    """Return the absolute image path of an index entry, or raise.

    Args:
        root (str): The data set root.
        rel_path (str): The path written in the index file.
        index_file (str): The index file (for the message).
        lineno (int): The line of the entry (for the message).

    Returns:
        str: The absolute image path.

    Raises:
        FileNotFoundError: If the image does not exist.
    """
    img_path = osp.join(root, rel_path)
    if not osp.isfile(img_path):
        raise FileNotFoundError(
            f'{index_file}, line {lineno}: image {rel_path!r} not found '
            f'(looked for {img_path})')
    return img_path


def list_images(folder: str) -> List[str]:
    """List the image files of a folder, sorted by name.

    Args:
        folder (str): The folder; a missing folder gives an empty list.

    Returns:
        list[str]: File names (not paths) ending in :data:`IMG_EXTENSIONS`.
    """
    if not osp.isdir(folder):
        return []
    return sorted(
        name for name in os.listdir(folder)
        if name.lower().endswith(IMG_EXTENSIONS)
        and osp.isfile(osp.join(folder, name)))


def parse_cam_folder(name: str) -> Optional[int]:
    """Parse a camera folder name ``camK`` (``K`` >= 1, any number of digits).

    Args:
        name (str): A folder name such as ``'cam3'``.

    Returns:
        int | None: The camera number, or ``None`` if the name does not
        have the form ``cam<digits>``.
    """
    match = _CAM_FOLDER.match(name)
    if match is None:
        return None
    return int(match.group(1))


def sorted_cam_folders(parent: str,
                       allowed: Optional[Sequence[int]] = None
                       ) -> List[Tuple[int, str]]:
    """List the ``camK`` sub-folders of ``parent`` in camera order.

    Args:
        parent (str): The folder holding ``cam1``, ``cam2``...
        allowed (Sequence[int], optional): Camera numbers that may occur.

    Returns:
        list[tuple[int, str]]: ``(camera number, folder name)`` pairs.

    Raises:
        ValueError: If a sub-folder is not named ``camK`` or ``K`` is not
            allowed.
    """
    cams = []
    for name in os.listdir(parent):
        if not osp.isdir(osp.join(parent, name)):
            continue
        cam = parse_cam_folder(name)
        if cam is None or (allowed is not None and cam not in allowed):
            raise ValueError(
                f'{osp.join(parent, name)}: unexpected folder (expected '
                f'camera folders named camK with K in '
                f'{list(allowed) if allowed is not None else "1, 2, ..."})')
        cams.append((cam, name))
    return sorted(cams)


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + '...'
