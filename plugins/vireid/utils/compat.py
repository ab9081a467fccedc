# Copyright (c) vireid contributors. All rights reserved.
"""Make mmengine 0.10.7 work on torch >= 2.6 without giving up safety.

Two problems are fixed here (see ``docs/architecture.md`` B1 and B2):

1. **Checkpoint loading.** torch >= 2.6 defaults ``torch.load`` to
   ``weights_only=True``; mmengine's own checkpoints pickle ``HistoryBuffer``
   objects and numpy values, so ``resume`` and ``load_from`` fail. vireid
   registers a local-file loader that applies a **trust rule**:

   - a file inside a *trusted directory* is loaded with
     ``weights_only=False``. The Runner trusts its own ``work_dir`` while it
     resumes or loads (``VIReIDRunner.load_or_resume``), and
     ``--trust-checkpoint`` in the tools trusts the given file;
   - everything else (pretrained weights through ``init_cfg``, released
     models, files from the internet) is loaded with ``weights_only=True``,
     so a checkpoint that pickles arbitrary objects is refused with
     :class:`UntrustedCheckpointError` instead of running code.

2. **DDP on a CPU-only host.** mmengine's ``init_dist`` always calls
   ``torch.cuda.set_device``. :func:`init_cpu_distributed` initialises a gloo
   process group from the torchrun environment instead.
"""
import contextlib
import os
import os.path as osp
import pickle
import threading
from typing import Iterator, List, Optional, Union

import torch

__all__ = [
    'UntrustedCheckpointError', 'trusted_checkpoint_dirs', 'is_trusted',
    'safe_torch_load', 'register_checkpoint_loader', 'init_cpu_distributed'
]

_STATE = threading.local()


class UntrustedCheckpointError(RuntimeError):
    """Raised when an untrusted checkpoint holds more than plain tensors."""


def _trusted_dirs() -> List[str]:
    if not hasattr(_STATE, 'dirs'):
        _STATE.dirs = []
    return _STATE.dirs


@contextlib.contextmanager
def trusted_checkpoint_dirs(*paths: Optional[str]) -> Iterator[None]:
    """Trust checkpoint files under ``paths`` (files or folders) for a while.

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
    """Whether ``filename`` lies inside (or is) a trusted path.

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


def safe_torch_load(filename: str,
                    map_location: Union[str, torch.device, None] = 'cpu',
                    trusted: Optional[bool] = None) -> dict:
    """Load a local checkpoint under vireid's trust rule.

    Args:
        filename (str): Path of the file.
        map_location (str | torch.device, optional): Passed to ``torch.load``.
        trusted (bool, optional): Force the decision; ``None`` applies
            :func:`is_trusted`.

    Returns:
        dict: The loaded object.

    Raises:
        FileNotFoundError: If the file does not exist.
        UntrustedCheckpointError: If an untrusted file pickles objects other
            than tensors and plain containers.
    """
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file not found: {filename}')
    if trusted is None:
        trusted = is_trusted(filename)
    if trusted:
        return torch.load(filename, map_location=map_location,
                          weights_only=False)
    try:
        return torch.load(filename, map_location=map_location,
                          weights_only=True)
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else ''
        raise UntrustedCheckpointError(
            f'{filename}: refused to unpickle it because it holds Python '
            f'objects besides tensors ({first}). Untrusted checkpoints are '
            f'loaded weights-only so that a hostile file cannot run code. If '
            f'you or your own vireid run wrote this file, pass '
            f'--trust-checkpoint to the tool (or put it in the run\'s '
            f'work_dir); to share a model, publish it weights-only with '
            f'tools/model_converters/publish_model.py.') from e


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
