# Copyright (c) vireid contributors. All rights reserved.
"""Config loading and runner building shared by the tools and the API."""
import os.path as osp
from typing import Optional

__all__ = ['load_config', 'apply_train_overrides', 'apply_test_overrides',
           'build_runner']


def load_config(config, cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None,
                launcher: Optional[str] = None):
    """Load a config file and apply the usual command-line overrides.

    Args:
        config (str | Config): A config file path, or a loaded config
            (copied, not changed).
        cfg_options (dict, optional): ``key=value`` overrides merged with
            :meth:`mmengine.config.Config.merge_from_dict`.
        work_dir (str, optional): The work dir; when ``None`` the config's
            own, else ``work_dirs/<config file name>``.
        launcher (str, optional): ``'none'``, ``'pytorch'`` or ``'slurm'``;
            left unset when ``None``.

    Returns:
        Config: The config.
    """
    from mmengine.config import Config
    if isinstance(config, Config):
        cfg = config.copy()
        name = osp.splitext(osp.basename(cfg.filename or 'config'))[0]
    else:
        config = str(config)
        if not osp.isfile(config):
            raise FileNotFoundError(f'config file not found: {config}')
        cfg = Config.fromfile(config)
        name = osp.splitext(osp.basename(config))[0]
    if launcher is not None:
        cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', name)
    return cfg


def apply_train_overrides(cfg, amp: bool = False,
                          amp_dtype: str = 'float16',
                          resume: Optional[str] = None):
    """Apply ``--amp`` and ``--resume`` of ``tools/train.py`` to a config.

    Args:
        cfg (Config): The config, changed in place.
        amp (bool): Switch ``OptimWrapper`` to ``AmpOptimWrapper``.
        amp_dtype (str): ``'float16'`` or ``'bfloat16'``.
        resume (str, optional): ``'auto'`` (latest checkpoint of the work
            dir) or a checkpoint path.

    Returns:
        Config: ``cfg``.
    """
    if amp:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper, '
                             f'got {optim_wrapper}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        cfg.optim_wrapper.setdefault('dtype', amp_dtype)
    if resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif resume is not None:
        cfg.resume = True
        cfg.load_from = resume
    return cfg


def build_runner(cfg):
    """Build the runner named by ``cfg.runner_type`` (default mmengine's).

    Args:
        cfg (Config): A full config.

    Returns:
        mmengine.runner.Runner: The runner.
    """
    import vireid.utils.compat  # noqa: F401  (trusted checkpoint loader)
    from mmengine.registry import RUNNERS, init_default_scope
    from mmengine.runner import Runner
    init_default_scope(cfg.get('default_scope', 'vireid'))
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)


def apply_test_overrides(cfg, checkpoint: str,
                         trust_checkpoint: bool = False,
                         show_dir: Optional[str] = None,
                         show_num: int = 8, topk: int = 10):
    """Set a config up to test ``checkpoint`` (``tools/test.py``).

    Args:
        cfg (Config): The config, changed in place.
        checkpoint (str): The checkpoint to load (``load_from``).
        trust_checkpoint (bool): Unpickle it in full even outside the work
            dir (only for files your own runs wrote).
        show_dir (str, optional): Add a ``RankedListVisHook`` drawing
            ``show_num`` queries with their ``topk`` gallery images here.
        show_num (int): Queries drawn.
        topk (int): Gallery images per query.

    Returns:
        Config: ``cfg``.
    """
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    cfg.load_from = checkpoint
    cfg.resume = False
    if trust_checkpoint:
        cfg.trusted_checkpoints = [checkpoint]
    if show_dir:
        hooks = list(cfg.get('custom_hooks', []) or [])
        hooks.append(
            dict(type='RankedListVisHook', out_dir=show_dir,
                 num_queries=show_num, topk=topk))
        cfg.custom_hooks = hooks
    return cfg
