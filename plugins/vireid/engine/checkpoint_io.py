# Copyright (c) vireid contributors. All rights reserved.
"""Crash-safe checkpoint files: atomic writes and finding a resumable file.

- :func:`commit_file` makes a finished temporary file durable (``fsync``)
  and moves it to its final name with one atomic ``rename``, so a reader
  (or a resumed run) never sees a half-written checkpoint under a real
  name.
- :func:`write_text_atomic` does the same for small text files such as
  ``last_checkpoint``.
- :func:`find_resumable_checkpoint` picks the newest *complete* checkpoint
  of a work dir: the one ``last_checkpoint`` names if it is complete,
  otherwise (with a warning) the newest complete ``*.pth`` there.
- :func:`check_state_dict_fits` compares a checkpoint's weights with a
  model and names every missing/unexpected key and shape mismatch.
"""
import glob
import os
import os.path as osp
import re
import warnings
from typing import List, Optional, Sequence, Tuple

from vireid.utils.compat import is_complete_checkpoint
from vireid.utils.errors import CheckpointMismatchError

__all__ = [
    'TMP_PATTERN', 'temp_name', 'commit_file', 'write_text_atomic',
    'find_resumable_checkpoint', 'remove_stale_temps',
    'check_state_dict_fits'
]

#: Glob of the temporary files a write in progress uses.
TMP_PATTERN = '.*.tmp-*'


def temp_name(filename: str) -> str:
    """The hidden temporary name a write of ``filename`` goes to first."""
    return f'.{filename}.tmp-{os.getpid()}'


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def commit_file(tmp_path: str, final_path: str) -> None:
    """``fsync`` ``tmp_path`` and rename it to ``final_path`` atomically.

    Args:
        tmp_path (str): The finished temporary file.
        final_path (str): Its final name (replaced if it exists).
    """
    with open(tmp_path, 'rb') as f:
        os.fsync(f.fileno())
    os.replace(tmp_path, final_path)
    _fsync_dir(osp.dirname(osp.abspath(final_path)))


def write_text_atomic(path: str, text: str) -> None:
    """Write a small text file atomically (temp file + fsync + rename).

    Args:
        path (str): The file.
        text (str): Its content.
    """
    folder, name = osp.split(osp.abspath(path))
    tmp = osp.join(folder, temp_name(name))
    with open(tmp, 'w') as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(folder)


def remove_stale_temps(folder: str) -> List[str]:
    """Delete temporary files left by a write that was killed.

    Args:
        folder (str): A work dir.

    Returns:
        list[str]: The removed paths.
    """
    removed = []
    for path in glob.glob(osp.join(folder, TMP_PATTERN)):
        try:
            os.remove(path)
            removed.append(path)
        except OSError:
            pass
    return removed


def _ckpt_sort_key(path: str) -> Tuple[float, int]:
    numbers = re.findall(r'\d+', osp.basename(path))
    return (osp.getmtime(path), int(numbers[-1]) if numbers else -1)


def find_resumable_checkpoint(work_dir: str,
                              logger=None) -> Optional[str]:
    """The newest complete checkpoint of ``work_dir``.

    Args:
        work_dir (str): The run's folder.
        logger (optional): Where warnings go (besides ``warnings``).

    Returns:
        str | None: A complete checkpoint, or ``None`` if there is none.
    """

    def warn(msg: str) -> None:
        warnings.warn(msg, stacklevel=2)
        if logger is not None:
            logger.warning(msg)

    marker = osp.join(work_dir, 'last_checkpoint')
    named = None
    if osp.isfile(marker):
        with open(marker) as f:
            named = f.read().strip() or None
        if named and not osp.isabs(named) and not osp.isfile(named):
            named = osp.join(work_dir, named)
        if named and is_complete_checkpoint(named):
            return named
    candidates = [
        p for p in glob.glob(osp.join(work_dir, '*.pth'))
        if is_complete_checkpoint(p)
    ]
    if not candidates:
        if named:
            warn(f'{marker} names {named}, which is missing or truncated, '
                 f'and {work_dir} has no other complete checkpoint')
        return None
    best = max(candidates, key=_ckpt_sort_key)
    if named:
        warn(f'{marker} names {named}, which is missing or truncated (a '
             f'run killed while saving?); resuming from the newest complete '
             f'checkpoint {best} instead')
    return best


def _revise(keys: Sequence[str], revise_keys) -> dict:
    out = {}
    for k in keys:
        new = k
        for pattern, repl in revise_keys:
            new = re.sub(pattern, repl, new)
        out[new] = k
    return out


def check_state_dict_fits(model, checkpoint: dict, filename: str,
                          revise_keys=((r'^module\.', ''), ),
                          limit: int = 5) -> None:
    """Raise unless the checkpoint's weights fit ``model`` exactly.

    Args:
        model (nn.Module): The (unwrapped) model.
        checkpoint (dict): The loaded checkpoint (``state_dict`` inside, or
            a bare state dict).
        filename (str): For the message.
        revise_keys: ``(pattern, replacement)`` pairs applied to the
            checkpoint's keys (mmengine's default strips ``module.``).
        limit (int): Keys named per kind in the message.

    Raises:
        CheckpointMismatchError: Naming the missing keys, unexpected keys
            and shape mismatches.
    """
    state = checkpoint.get('state_dict', checkpoint) if isinstance(
        checkpoint, dict) else checkpoint
    if not isinstance(state, dict):
        raise CheckpointMismatchError(
            f'{filename}: holds no state dict (got {type(state).__name__})')
    ck = _revise(list(state), revise_keys)
    own = model.state_dict()
    missing = [k for k in own if k not in ck]
    unexpected = [k for k in ck if k not in own]
    shapes = []
    for k, v in own.items():
        if k in ck:
            other = state[ck[k]]
            if hasattr(other, 'shape') and tuple(other.shape) != tuple(
                    v.shape):
                shapes.append(f'{k}: checkpoint {tuple(other.shape)} vs '
                              f'model {tuple(v.shape)}')
    if not (missing or unexpected or shapes):
        return

    def part(name, items):
        if not items:
            return None
        more = f' and {len(items) - limit} more' if len(items) > limit else ''
        return f'{len(items)} {name} ({", ".join(items[:limit])}{more})'

    parts = [p for p in (part('shape mismatch(es)', shapes),
                         part('key(s) missing from the checkpoint', missing),
                         part('unexpected key(s) in the checkpoint',
                              unexpected)) if p]
    matched = len(own) - len(missing) - len(shapes)
    raise CheckpointMismatchError(
        f'{filename} does not fit the model of this config: ' +
        '; '.join(parts) +
        f' ({matched}/{len(own)} model tensors match). Is it a checkpoint '
        f'of another config (width, depth, method, number of classes)? Pass '
        f'--non-strict (config: load_strict=False) to load the matching part '
        f'anyway.')
