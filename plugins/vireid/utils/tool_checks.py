# Copyright (c) vireid contributors. All rights reserved.
"""Checks of the tools' command-line arguments, before any config is built.

``tools/train.py`` and ``tools/test.py`` call :func:`preflight` right after
parsing and :func:`apply_args` on the built config; both raise
:class:`~vireid.utils.errors.VIReIDUserError` subclasses, which the tools
print as one line (see :mod:`vireid.utils.cli`).
"""
import os
import os.path as osp
from typing import Any, Optional

from .config_check import check_cfg_options, check_work_dir
from .errors import CheckpointError, ConfigError

__all__ = ['RESUME_LATEST', 'check_config_file', 'check_output_file',
           'preflight', 'apply_args']

#: ``--resume`` without a value: the latest checkpoint, which must exist.
RESUME_LATEST = 'latest'


def check_config_file(path: str) -> None:
    """Raise unless ``path`` is a readable config file."""
    if osp.isdir(path):
        raise ConfigError(f'config {path} is a folder, expected a .py '
                          f'config file')
    if not osp.isfile(path):
        raise ConfigError(f'config file {path} not found')
    if not os.access(path, os.R_OK):
        raise ConfigError(f'config file {path} is not readable')


def check_output_file(path: Optional[str], what: str) -> None:
    """Raise unless ``path`` can be written (its folder made writable).

    Args:
        path (str, optional): The output file.
        what (str): The option, for the message (``'--out'``).
    """
    if not path:
        return
    if osp.isdir(path):
        raise ConfigError(f'{what} {path} is a folder, expected a file name')
    if osp.exists(path) and not os.access(path, os.W_OK):
        raise ConfigError(f'{what} {path} is not writable')
    check_work_dir(osp.dirname(osp.abspath(path)), f'{what} {path}: folder')


def preflight(args: Any) -> None:
    """Check a train/test command line before anything is built.

    Checks the config file, ``--cfg-options`` keys against the config
    (before merging, with "did you mean"), ``--work-dir``, ``--out``,
    ``--show-dir`` and the checkpoint of ``tools/test.py``.

    Args:
        args (argparse.Namespace): The parsed arguments.
    """
    check_config_file(args.config)
    if getattr(args, 'launcher', 'none') == 'pytorch' and not all(
            k in os.environ for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR')):
        raise ConfigError(
            '--launcher pytorch needs the torchrun environment (RANK, '
            'WORLD_SIZE, MASTER_ADDR); start it with tools/dist_train.sh '
            'CONFIG N or torchrun --nproc_per_node=N tools/train.py CONFIG '
            '--launcher pytorch')
    if getattr(args, 'cfg_options', None):
        from mmengine.config import Config
        check_cfg_options(Config.fromfile(args.config), args.cfg_options)
    check_work_dir(getattr(args, 'work_dir', None), '--work-dir')
    check_output_file(getattr(args, 'out', None), '--out')
    check_work_dir(getattr(args, 'show_dir', None), '--show-dir')
    ckpt = getattr(args, 'checkpoint', None)
    if ckpt is not None and '://' not in ckpt:
        if osp.isdir(ckpt):
            raise CheckpointError(f'checkpoint {ckpt} is a folder, expected '
                                  f'a .pth file')
        if not osp.isfile(ckpt):
            raise CheckpointError(f'checkpoint {ckpt} not found')
    resume = getattr(args, 'resume', None)
    if resume not in (None, 'auto', RESUME_LATEST) and \
            not osp.isfile(resume):
        raise CheckpointError(f'--resume {resume}: no such checkpoint file '
                              f'(use --resume to take the latest one of the '
                              f'work dir, or --resume auto)')


def apply_args(cfg: Any, args: Any) -> Any:
    """Apply ``--non-strict`` and resolve ``--resume`` (no value).

    ``--resume`` without a value needs a checkpoint in the work dir: the
    newest complete one is taken, and the run stops with an error if there
    is none. ``--resume auto`` starts from scratch (with a warning) then.

    Args:
        cfg (Config): The built config (``work_dir`` set).
        args (argparse.Namespace): The parsed arguments.

    Returns:
        Config: ``cfg``, updated in place.
    """
    if getattr(args, 'non_strict', False):
        cfg.load_strict = False
    if getattr(args, 'resume', None) == RESUME_LATEST:
        from vireid.engine.checkpoint_io import find_resumable_checkpoint
        found = find_resumable_checkpoint(cfg.work_dir)
        if found is None:
            raise CheckpointError(
                f'--resume: nothing to resume in {cfg.work_dir} (no complete '
                f'checkpoint there); drop --resume to start a new run, or '
                f'pass --resume auto to start from scratch when there is '
                f'nothing to resume')
        cfg.resume = True
        cfg.load_from = found
    return cfg
