# Copyright (c) vireid contributors. All rights reserved.
"""Make mmengine 0.10.7 work on torch >= 2.6 without giving up safety.

Two problems are fixed here (see ``docs/architecture.md`` B1 and B2):

1. **Checkpoint loading.** torch >= 2.6 defaults ``torch.load`` to
   ``weights_only=True``; mmengine's own checkpoints pickle ``HistoryBuffer``
   objects and numpy values, so ``resume`` and ``load_from`` fail. vireid
   registers a local-file loader that loads **every** file weights-only,
   with an allow-list of exactly the types mmengine writes
   (:data:`SAFE_GLOBALS`: ``HistoryBuffer``, numpy arrays, scalars and
   numeric dtypes, and ``getattr`` restricted to ``HistoryBuffer``'s
   statistics methods). vireid's own checkpoints therefore never need full
   unpickling, and a hostile pickle -- wherever it lies, the run's
   ``work_dir`` included -- is refused with
   :class:`UntrustedCheckpointError` instead of running code.

   Full unpickling (``weights_only=False``) is only for *foreign legacy*
   files the user vouches for: ``--trust-checkpoint`` in the tools, the
   ``trusted_checkpoints`` config key, or :func:`trusted_checkpoint_dirs`.

   A truncated or corrupt file raises :class:`~vireid.utils.errors.
   CheckpointError` naming the file.

2. **DDP on a CPU-only host.** mmengine's ``init_dist`` always calls
   ``torch.cuda.set_device``. :func:`init_cpu_distributed` initialises a gloo
   process group from the torchrun environment instead.
"""
import contextlib
import os
import os.path as osp
import pickle
import threading
import zipfile
from typing import Iterator, List, Optional, Union

import torch

from .errors import CheckpointError

__all__ = [
    'UntrustedCheckpointError', 'trusted_checkpoint_dirs', 'is_trusted',
    'safe_torch_load', 'safe_globals', 'register_checkpoint_loader',
    'init_cpu_distributed', 'is_complete_checkpoint'
]

_STATE = threading.local()


class UntrustedCheckpointError(CheckpointError):
    """Raised when a checkpoint pickles objects outside the allow-list."""


def _trusted_dirs() -> List[str]:
    if not hasattr(_STATE, 'dirs'):
        _STATE.dirs = []
    return _STATE.dirs


@contextlib.contextmanager
def trusted_checkpoint_dirs(*paths: Optional[str]) -> Iterator[None]:
    """Unpickle checkpoint files under ``paths`` in full for a while.

    Only for foreign legacy files the user vouches for (vireid's own
    checkpoints load weights-only).

    Args:
        *paths (str, optional): Folders, or single files, whose checkpoints
            may be unpickled in full. ``None`` entries are ignored.

    Yields:
        None
    """
    added = [osp.realpath(p) for p in paths if p]
    dirs = _trusted_dirs()
    dirs.extend(added)
    try:
        yield
    finally:
        for p in added:
            dirs.remove(p)


def is_trusted(filename: str) -> bool:
    """Whether ``filename`` lies inside (or is) an explicitly trusted path.

    Args:
        filename (str): A local checkpoint path.

    Returns:
        bool: ``True`` when the file may be unpickled in full.
    """
    if os.environ.get('VIREID_TRUST_ALL_CHECKPOINTS') == '1':
        return True
    real = osp.realpath(filename)
    for d in _trusted_dirs():
        if real == d or real.startswith(d.rstrip(os.sep) + os.sep):
            return True
    return False


def _history_buffer_getattr(obj, name: str):
    """``getattr`` as mmengine's pickles need it, and nothing more.

    ``HistoryBuffer`` pickles its statistics methods as
    ``getattr(HistoryBuffer, 'mean')``; any other use is refused.
    """
    from mmengine.logging import HistoryBuffer
    allowed = {'min', 'max', 'mean', 'current'} | {
        k for k in HistoryBuffer._statistics_methods if not k.startswith('_')}
    if obj is HistoryBuffer and isinstance(name, str) and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'refused getattr({getattr(obj, "__name__", type(obj).__name__)}, '
        f'{name!r}): only HistoryBuffer statistics methods are allowed')


def _safe_global_list() -> list:
    import numpy as np
    from mmengine.logging import HistoryBuffer
    try:
        from numpy._core import multiarray
        prefix = 'numpy._core.multiarray'
    except ImportError:  # numpy < 2
        from numpy.core import multiarray
        prefix = 'numpy.core.multiarray'
    numeric = (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
               np.uint16, np.uint32, np.uint64, np.float16, np.float32,
               np.float64, np.complex64, np.complex128)
    items = [HistoryBuffer, np.ndarray, np.dtype,
             (multiarray._reconstruct, f'{prefix}._reconstruct'),
             (multiarray.scalar, f'{prefix}.scalar'),
             (_history_buffer_getattr, 'builtins.getattr')]
    items += [type(np.dtype(t)) for t in numeric]
    return items


@contextlib.contextmanager
def safe_globals() -> Iterator[None]:
    """Allow exactly the types mmengine writes, for weights-only loading.

    Object arrays stay refused (``ObjectDType`` is not listed), and
    ``getattr`` only resolves ``HistoryBuffer``'s statistics methods.

    Yields:
        None
    """
    with torch.serialization.safe_globals(_safe_global_list()):
        yield


def is_complete_checkpoint(filename: str) -> bool:
    """Whether ``filename`` is a complete (not truncated) torch zip file.

    Args:
        filename (str): A path.

    Returns:
        bool: ``True`` if the zip central directory can be read.
    """
    if not osp.isfile(filename) or osp.getsize(filename) == 0:
        return False
    try:
        with zipfile.ZipFile(filename) as z:
            return any(n.endswith('data.pkl') for n in z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def safe_torch_load(filename: str,
                    map_location: Union[str, torch.device, None] = 'cpu',
                    trusted: Optional[bool] = None) -> dict:
    """Load a local checkpoint weights-only (or in full if trusted).

    Args:
        filename (str): Path of the file.
        map_location (str | torch.device, optional): Passed to ``torch.load``.
        trusted (bool, optional): Force the decision; ``None`` applies
            :func:`is_trusted` (explicit trust only).

    Returns:
        dict: The loaded object.

    Raises:
        FileNotFoundError: If the file does not exist.
        CheckpointError: If the file is truncated or not a checkpoint.
        UntrustedCheckpointError: If the file pickles objects outside the
            allow-list and is not trusted.
    """
    if osp.isdir(filename):
        raise CheckpointError(f'{filename}: is a folder, expected a '
                              f'checkpoint file (.pth)')
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file not found: {filename}')
    if trusted is None:
        trusted = is_trusted(filename)
    try:
        if trusted:
            return torch.load(filename, map_location=map_location,
                              weights_only=False)
        with safe_globals():
            return torch.load(filename, map_location=map_location,
                              weights_only=True)
    except pickle.UnpicklingError as e:
        text = str(e)
        hint = ''
        for line in text.splitlines():
            if any(k in line for k in ('nsupported global', 'unsupported '
                                       'GLOBAL', 'refused', 'Can only build')):
                hint = line.strip()
                break
        if not hint and not zipfile.is_zipfile(filename):
            detail = [ln.split('Unpickler error:')[-1].strip()
                      for ln in text.splitlines() if 'Unpickler error' in ln
                      and ln.split('Unpickler error:')[-1].strip()]
            raise CheckpointError(
                f'{filename}: not a checkpoint written by torch.save'
                + (f' ({detail[0]})' if detail else '')) from e
        raise UntrustedCheckpointError(
            f'{filename}: refused to unpickle it: it holds Python objects '
            f'that vireid/mmengine checkpoints never contain '
            f'({hint or _first(text)}). Files are loaded weights-only so '
            f'that a hostile file cannot run code. Only if this is a '
            f'foreign legacy checkpoint from a source you trust, pass '
            f'--trust-checkpoint (config: trusted_checkpoints=[...]); then '
            f'publish it weights-only with '
            f'tools/model_converters/publish_model.py.') from e
    except Exception as e:  # noqa: BLE001 (truncated files fail anywhere)
        if isinstance(e, FileNotFoundError) or is_complete_checkpoint(
                filename):
            raise
        raise CheckpointError(
            f'{filename}: truncated or not a checkpoint '
            f'({osp.getsize(filename)} bytes; {_first(str(e))}); a run '
            f'killed while writing leaves such a file') from e


def _first(text: str) -> str:
    text = text.strip()
    return text.splitlines()[0] if text else ''


def _local_loader(filename: str, map_location=None) -> dict:
    return safe_torch_load(filename, map_location=map_location)


_REGISTERED = False


def register_checkpoint_loader() -> None:
    """Install :func:`safe_torch_load` as mmengine's local-file loader.

    Idempotent. After this call, every mmengine path that loads a local file
    (``Runner.resume``, ``load_from``, ``init_cfg=dict(type='Pretrained')``)
    follows the trust rule.
    """
    global _REGISTERED
    if _REGISTERED:
        return
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=_local_loader, force=True)
    _REGISTERED = True


def init_cpu_distributed(backend: str = 'gloo') -> bool:
    """Initialise a process group for a CPU-only host from torchrun's env.

    mmengine's ``init_dist('pytorch')`` always calls
    ``torch.cuda.set_device`` and fails without a GPU; this does the CPU
    equivalent. It does nothing when CUDA is available, when the group is
    already initialised, or when the torchrun variables are absent.

    Args:
        backend (str): The process-group backend. Defaults to ``'gloo'``.

    Returns:
        bool: Whether this call initialised the process group.
    """
    import torch.distributed as dist
    if torch.cuda.is_available() or not dist.is_available():
        return False
    if dist.is_initialized():
        return False
    if 'RANK' not in os.environ or 'WORLD_SIZE' not in os.environ:
        return False
    dist.init_process_group(backend=backend)
    return True


register_checkpoint_loader()
