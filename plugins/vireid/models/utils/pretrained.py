# Copyright (c) vireid contributors. All rights reserved.
"""Load local pretrained weights into vireid modules, strictly and safely.

Everything here reads **local files only** (nothing is ever downloaded) and
goes through :func:`vireid.utils.compat.safe_torch_load` with
``trusted=False``, i.e. weights-only unpickling: a file that pickles
arbitrary Python objects is refused with
:class:`~vireid.utils.compat.UntrustedCheckpointError`.
"""
import os.path as osp
from collections import OrderedDict
from typing import Callable, Dict, Iterable, List, Mapping, Optional

import torch
import torch.nn as nn

from vireid.utils.compat import safe_torch_load

__all__ = [
    'CheckpointMismatchError', 'load_local_state_dict',
    'load_state_dict_checked', 'format_key_list'
]

_MAX_LISTED = 8


class CheckpointMismatchError(ValueError):
    """Raised when a checkpoint's keys or shapes do not fit a module."""


def format_key_list(keys: Iterable[str], limit: int = _MAX_LISTED) -> str:
    """Format key names for an error message, truncating long lists.

    Args:
        keys (Iterable[str]): Key names.
        limit (int): How many names to show before ``... (N more)``.

    Returns:
        str: A comma separated, possibly truncated, list.
    """
    keys = list(keys)
    shown = ', '.join(keys[:limit])
    if len(keys) > limit:
        shown += f', ... ({len(keys) - limit} more)'
    return shown


def load_local_state_dict(path: str,
                          prefix: Optional[str] = None,
                          what: str = 'pretrained checkpoint'
                          ) -> 'OrderedDict[str, torch.Tensor]':
    """Read a state dict (name -> Tensor) from a local file, weights-only.

    Wrappers written by common trainers are unwrapped: a top-level
    ``'state_dict'`` or ``'model'`` entry holding a dict is used instead of
    the file's top level, and a leading ``'module.'`` (DataParallel) is
    stripped from every key.

    Args:
        path (str): Local file path. URLs are refused.
        prefix (str, optional): Keep only keys starting with this prefix and
            strip it (e.g. ``'backbone.'`` to take the backbone out of a full
            model checkpoint).
        what (str): How to call the file in error messages.

    Returns:
        OrderedDict[str, Tensor]: The state dict.

    Raises:
        ValueError: If ``path`` is a URL or the content is not a state dict.
        FileNotFoundError: If the file does not exist.
        UntrustedCheckpointError: If it pickles arbitrary objects.
    """
    if not isinstance(path, str) or not path:
        raise ValueError(f'{what}: expected a local file path (str), got '
                         f'{path!r}')
    if '://' in path:
        raise ValueError(
            f'{what}: {path!r} is not a local path. vireid never downloads '
            f'weights; download the file yourself and pass its local path.')
    path = osp.expanduser(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path} (expected a local '
                                f'.pth file holding a state dict)')
    obj = safe_torch_load(path, map_location='cpu', trusted=False)
    if isinstance(obj, Mapping):
        for wrapper in ('state_dict', 'model'):
            if isinstance(obj.get(wrapper), Mapping):
                obj = obj[wrapper]
                break
    if not isinstance(obj, Mapping):
        raise ValueError(f'{path}: expected a state dict (a mapping from '
                         f'parameter names to tensors), got {type(obj)}')
    bad = [k for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise ValueError(f'{path}: expected a state dict whose values are all '
                         f'tensors; these are not: {format_key_list(bad)}')
    state = OrderedDict()
    for k, v in obj.items():
        if k.startswith('module.'):
            k = k[len('module.'):]
        state[k] = v
    if prefix:
        state = OrderedDict((k[len(prefix):], v) for k, v in state.items()
                            if k.startswith(prefix))
        if not state:
            raise CheckpointMismatchError(
                f'{path}: no key starts with prefix {prefix!r}')
    return state


def load_state_dict_checked(
        module: nn.Module,
        state_dict: Mapping[str, torch.Tensor],
        source: str,
        allow_missing: Optional[Callable[[str], bool]] = None) -> List[str]:
    """Copy ``state_dict`` into ``module`` after checking that it fits.

    Unlike ``load_state_dict(strict=False)`` nothing is skipped silently:
    missing keys (other than those ``allow_missing`` accepts and BatchNorm
    ``num_batches_tracked`` counters), unexpected keys and shape mismatches
    raise one :class:`CheckpointMismatchError` naming them.

    Args:
        module (nn.Module): The module to load into.
        state_dict (Mapping[str, Tensor]): Keys in ``module``'s layout.
        source (str): The file (or a description) for error messages.
        allow_missing (Callable[[str], bool], optional): Returns ``True`` for
            module keys that may stay at their current (initialised) value.

    Returns:
        list[str]: The module keys that were left missing (allowed).

    Raises:
        CheckpointMismatchError: If the keys or shapes do not fit.
    """
    own: Dict[str, torch.Tensor] = module.state_dict()
    missing, allowed = [], []
    for k in own:
        if k in state_dict:
            continue
        if k.endswith('num_batches_tracked') or (allow_missing is not None
                                                 and allow_missing(k)):
            allowed.append(k)
        else:
            missing.append(k)
    unexpected = [k for k in state_dict if k not in own]
    mismatched = [
        f'{k} (file {tuple(state_dict[k].shape)} vs model '
        f'{tuple(own[k].shape)})' for k in own
        if k in state_dict and state_dict[k].shape != own[k].shape
    ]
    if missing or unexpected or mismatched:
        lines = [f'{source}: the checkpoint does not fit '
                 f'{module.__class__.__name__}.']
        if missing:
            lines.append(f'missing keys ({len(missing)}): '
                         f'{format_key_list(missing)}')
        if unexpected:
            lines.append(f'unexpected keys ({len(unexpected)}): '
                         f'{format_key_list(unexpected)}')
        if mismatched:
            lines.append(f'shape mismatches ({len(mismatched)}): '
                         f'{format_key_list(mismatched)}')
        raise CheckpointMismatchError('\n  '.join(lines))
    module.load_state_dict(dict(state_dict), strict=False)
    return allowed
