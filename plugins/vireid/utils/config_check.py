# Copyright (c) vireid contributors. All rights reserved.
"""Checks of a full config, run before anything is built or trained.

:func:`check_config` is called by ``VIReIDRunner.from_cfg``; it raises one
:class:`~vireid.utils.errors.ConfigError` listing every problem found:

- a top-level key that looks like a misspelt runner key
  (``trian_dataloader`` -- "did you mean 'train_dataloader'?");
- a training batch size that the cross-modal sampler cannot fill
  (``batch_size`` must be P x 2K, or P x K when interleaved);
- ``persistent_workers=True`` with ``num_workers=0``, negative workers,
  batch sizes below 1;
- an evaluation protocol that is not the data set's
  (``protocol='regdb'`` on SYSU-MM01 data);
- ``AmpOptimWrapper`` (``--amp``) without a GPU;
- a ``work_dir`` that is a file or cannot be created, a ``load_from`` file
  that does not exist.

:func:`check_cfg_options` checks ``--cfg-options`` keys against the config
*before* they are merged: a key whose parent path does not exist, or whose
last part is a near miss of an existing key, is refused with a "did you
mean". :func:`check_cli_args` checks the raw command line (``key`` without
``=``).
"""
import difflib
import os
import os.path as osp
from typing import Any, Iterable, List, Optional, Sequence

from .errors import ConfigError

__all__ = [
    'RUNNER_KEYS', 'check_config', 'check_cfg_options', 'check_cli_args',
    'check_work_dir', 'did_you_mean'
]

#: Top-level keys the Runner (and vireid) read.
RUNNER_KEYS = frozenset([
    'model', 'work_dir', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
    'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
    'visualizer', 'default_scope', 'randomness', 'experiment_name', 'cfg',
    'strategy', 'compile', 'runner_type', 'custom_imports', 'vis_backends',
    'find_unused_parameters', 'sync_bn', 'model_wrapper_cfg',
    'trusted_checkpoints', 'load_strict', 'sync_model_state', 'launcher',
    'filename', 'check_finite_loss'
])

#: Data set class -> protocol name of ``VIReIDMetric``.
DATASET_PROTOCOL = {
    'SYSUMM01Dataset': 'sysu',
    'RegDBDataset': 'regdb',
    'LLCMDataset': 'llcm',
}


def did_you_mean(word: str, choices: Iterable[str],
                 cutoff: float = 0.75) -> Optional[str]:
    """The closest of ``choices`` to ``word``, if any is close enough."""
    match = difflib.get_close_matches(
        str(word), [str(c) for c in choices], n=1, cutoff=cutoff)
    return match[0] if match else None


def _type_name(value: Any) -> Optional[str]:
    if isinstance(value, str):
        return value.split('.')[-1]
    if isinstance(value, type):
        return value.__name__
    return None


def _get(d: Any, key: str, default=None):
    try:
        return d.get(key, default)
    except AttributeError:
        return default


def check_work_dir(work_dir: Optional[str], what: str = 'work_dir') -> None:
    """Raise unless ``work_dir`` is (or can be made) a writable folder.

    Args:
        work_dir (str, optional): The folder.
        what (str): How the message names it.

    Raises:
        ConfigError: If it is a file or cannot be created or written.
    """
    if not work_dir or '://' in str(work_dir):
        return
    path = osp.abspath(str(work_dir))
    if osp.exists(path) and not osp.isdir(path):
        raise ConfigError(f'{what} {work_dir} is a file, not a folder')
    probe = path
    while not osp.exists(probe):
        parent = osp.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not osp.isdir(probe):
        raise ConfigError(f'{what} {work_dir}: {probe} is a file, so the '
                          f'folder cannot be created')
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError(f'{what} {work_dir}: {probe} is not writable')


def _check_loader(name: str, loader: Any, errors: List[str]) -> None:
    if not isinstance(loader, dict):
        return
    bs = loader.get('batch_size', None)
    if bs is not None and (not isinstance(bs, int) or isinstance(bs, bool)
                           or bs < 1):
        errors.append(f'{name}.batch_size must be a positive integer, got '
                      f'{bs!r}')
    workers = loader.get('num_workers', 0)
    if not isinstance(workers, int) or workers < 0:
        errors.append(f'{name}.num_workers must be an integer >= 0, got '
                      f'{workers!r}')
    elif workers == 0 and loader.get('persistent_workers', False):
        errors.append(f'{name}: persistent_workers=True needs num_workers '
                      f'> 0 (got num_workers=0); set '
                      f'{name}.persistent_workers=False')


def _check_sampler(loader: Any, errors: List[str]) -> None:
    if not isinstance(loader, dict):
        return
    sampler = loader.get('sampler', None)
    if _type_name(_get(sampler, 'type')) != 'CrossModalIdentitySampler':
        return
    p = sampler.get('num_ids', 8)
    k = sampler.get('num_instances', 4)
    interleave = bool(sampler.get('interleave', False))
    if not all(isinstance(v, int) and v > 0 for v in (p, k)):
        return  # the sampler names the bad value itself
    per_modality = k // 2 if interleave else k
    expected = p * per_modality * 2
    bs = loader.get('batch_size', None)
    if bs is not None and bs != expected:
        rule = (f'P x K = {p} x {k}' if interleave else
                f'P x 2K = {p} x 2 x {k}')
        errors.append(
            f'train_dataloader.batch_size={bs}, but CrossModalIdentitySampler'
            f'(num_ids={p}, num_instances={k}, interleave={interleave}) '
            f'yields batches of {rule} = {expected} images; set '
            f'train_dataloader.batch_size={expected} or change '
            f'train_dataloader.sampler.num_ids / num_instances')


def _metrics(evaluator: Any) -> List[dict]:
    if isinstance(evaluator, dict):
        if 'metrics' in evaluator and _type_name(
                evaluator.get('type')) == 'Evaluator':
            return _metrics(evaluator['metrics'])
        return [evaluator]
    if isinstance(evaluator, (list, tuple)):
        return [m for m in evaluator if isinstance(m, dict)]
    return []


def _check_protocol(loader_name: str, loader: Any, evaluator: Any,
                    eval_name: str, errors: List[str]) -> None:
    dataset = _get(loader, 'dataset')
    expected = DATASET_PROTOCOL.get(_type_name(_get(dataset, 'type')))
    if expected is None:
        return
    for i, metric in enumerate(_metrics(evaluator)):
        if _type_name(metric.get('type')) != 'VIReIDMetric':
            continue
        protocol = metric.get('protocol', None)
        if protocol is not None and protocol != expected:
            where = eval_name if isinstance(evaluator, dict) else \
                f'{eval_name}[{i}]'
            errors.append(
                f'{where}.protocol={protocol!r}, but {loader_name} reads '
                f'{_type_name(dataset.get("type"))} data, evaluated under '
                f'protocol {expected!r}; set {where}.protocol={expected!r} '
                f'or change the data set')


def _has_accelerator() -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover
        return False
    if torch.cuda.is_available():
        return True
    for name in ('npu', 'mlu', 'musa', 'xpu'):
        mod = getattr(torch, name, None)
        if mod is not None and getattr(mod, 'is_available', lambda: False)():
            return True
    return False


def check_config(cfg: Any) -> None:
    """Check a merged config before the runner is built.

    Args:
        cfg (Config | dict): The full config.

    Raises:
        ConfigError: Listing every problem found.
    """
    errors: List[str] = []
    for key in list(cfg.keys()):
        if key in RUNNER_KEYS or key.startswith('_'):
            continue
        near = did_you_mean(key, RUNNER_KEYS)
        if near is not None:
            errors.append(f'unknown top-level config key {key!r} (did you '
                          f'mean {near!r}?)')
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        _check_loader(name, cfg.get(name, None), errors)
    _check_sampler(cfg.get('train_dataloader', None), errors)
    _check_protocol('val_dataloader', cfg.get('val_dataloader', None),
                    cfg.get('val_evaluator', None), 'val_evaluator', errors)
    _check_protocol('test_dataloader', cfg.get('test_dataloader', None),
                    cfg.get('test_evaluator', None), 'test_evaluator', errors)
    optim = cfg.get('optim_wrapper', None)
    if _type_name(_get(optim, 'type')) == 'AmpOptimWrapper' and \
            cfg.get('train_dataloader', None) is not None and \
            not _has_accelerator():
        errors.append('optim_wrapper.type=AmpOptimWrapper (--amp) needs a '
                      'GPU and none is visible; train without --amp (CPU '
                      'runs in float32), or evaluate in bf16 with '
                      'val_cfg.fp16=True')
    try:
        check_work_dir(cfg.get('work_dir', None))
    except ConfigError as e:
        errors.append(str(e))
    load_from = cfg.get('load_from', None)
    if isinstance(load_from, str) and '://' not in load_from and \
            not osp.isfile(load_from):
        what = 'resume checkpoint' if cfg.get('resume', False) else \
            'load_from'
        errors.append(f'{what} {load_from} does not exist' + (
            ' (it is a folder)' if osp.isdir(load_from) else ''))
    if errors:
        raise ConfigError('; '.join(errors))


def _children(node: Any) -> Optional[List[str]]:
    if isinstance(node, dict) or (hasattr(node, 'keys')
                                  and hasattr(node, '__getitem__')):
        return [str(k) for k in node.keys()]
    if isinstance(node, (list, tuple)):
        return [str(i) for i in range(len(node))]
    return None


def check_cfg_options(cfg: Any, options: Optional[dict]) -> None:
    """Refuse ``--cfg-options`` keys that match nothing in ``cfg``.

    A key ``a.b.c`` must name an existing path up to ``a.b``; ``c`` may be
    new (a new argument) unless it is a near miss of an existing sibling
    (``batch_sise`` next to ``batch_size``). A new top-level key must be a
    known runner key.

    Args:
        cfg (Config | dict): The config *before* the options are merged.
        options (dict, optional): What ``DictAction`` parsed.

    Raises:
        ConfigError: Naming the key and the closest existing one.
    """
    errors = []
    for full_key in (options or {}):
        parts = str(full_key).split('.')
        node = cfg
        for depth, part in enumerate(parts):
            names = _children(node)
            last = depth == len(parts) - 1
            prefix = '.'.join(parts[:depth]) or '(top level)'
            if names is None:
                errors.append(
                    f'--cfg-options {full_key}: {prefix} is a '
                    f'{type(node).__name__} ({node!r}), it has no key '
                    f'{part!r}')
                break
            if part in names:
                node = node[int(part)] if isinstance(
                    node, (list, tuple)) else node[part]
                continue
            near = did_you_mean(part, names)
            if depth == 0 and part not in RUNNER_KEYS:
                near = near or did_you_mean(part, RUNNER_KEYS)
                errors.append(
                    f'--cfg-options {full_key}: the config has no key '
                    f'{part!r}' + (f' (did you mean {near!r}?)' if near else
                                   ''))
            elif isinstance(node, (list, tuple)):
                errors.append(
                    f'--cfg-options {full_key}: {prefix} is a list of '
                    f'{len(node)} item(s), {part!r} is not an index in it')
            elif not last:
                errors.append(
                    f'--cfg-options {full_key}: {prefix} has no key '
                    f'{part!r}' + (f' (did you mean {near!r}?)' if near else
                                   f' (it has {sorted(names)})'))
            elif did_you_mean(part, names, cutoff=0.85) is not None:
                near = did_you_mean(part, names, cutoff=0.85)
                errors.append(
                    f'--cfg-options {full_key}: {prefix} has no key '
                    f'{part!r} (did you mean {near!r}?)')
            break
    if errors:
        raise ConfigError('; '.join(errors))


def check_cli_args(argv: Sequence[str]) -> None:
    """Check the raw command line for malformed ``--cfg-options``.

    Args:
        argv (Sequence[str]): The arguments.

    Raises:
        ConfigError: For an option that is not ``key=value``.
    """
    inside = False
    for arg in argv:
        if arg.startswith('--'):
            inside = arg == '--cfg-options'
            continue
        if inside and '=' not in arg:
            raise ConfigError(
                f'--cfg-options: {arg!r} is not key=value (e.g. '
                f'train_dataloader.batch_size=32)')
        if inside and arg.startswith('='):
            raise ConfigError(f'--cfg-options: {arg!r} has no key before '
                              f'"="')
