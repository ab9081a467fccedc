# Copyright (c) vireid contributors. All rights reserved.
"""Use a trained vireid model from Python: build it, extract features.

Example::

    from vireid.apis import init_model, extract_features
    model = init_model('projects/agw/demo.py', 'work_dirs/demo/epoch_6.pth',
                       trust_checkpoint=True)
    feats = extract_features(model, ['a.jpg', 'b.jpg'], modality='infrared')
"""
import os.path as osp
from typing import Optional, Union

import numpy as np

from .config import load_config

__all__ = ['init_model', 'extract_features', 'test_feature_key',
           'parse_modality']

_MODALITY_NAMES = {
    'visible': 0, 'vis': 0, 'rgb': 0, 'v': 0,
    'infrared': 1, 'ir': 1, 'nir': 1, 'thermal': 1, 't': 1, 'i': 1,
}


def parse_modality(modality: Union[int, str]) -> int:
    """``0`` / ``'visible'`` -> 0, ``1`` / ``'infrared'`` (``'ir'``,
    ``'nir'``, ``'thermal'``) -> 1.

    Args:
        modality (int | str): A modality.

    Returns:
        int: 0 (visible) or 1 (infrared).
    """
    if isinstance(modality, str):
        key = modality.strip().lower()
        if key not in _MODALITY_NAMES:
            raise ValueError(f'unknown modality {modality!r}; use 0 / '
                             f"'visible' or 1 / 'infrared'")
        return _MODALITY_NAMES[key]
    if isinstance(modality, (bool, np.bool_)) or modality not in (0, 1):
        raise ValueError(f'modality must be 0 (visible) or 1 (infrared), '
                         f'got {modality!r}')
    return int(modality)


def test_feature_key(cfg) -> str:
    """The ``pred_feature`` entry the config's test metric evaluates.

    Args:
        cfg (Config): A vireid config.

    Returns:
        str: ``feature`` of the first ``VIReIDMetric`` in
        ``test_evaluator`` (``'bn'`` when there is none).
    """
    ev = cfg.get('test_evaluator', None)
    if isinstance(ev, dict) and 'metrics' in ev:
        ev = ev['metrics']
    metrics = ev if isinstance(ev, (list, tuple)) else [ev]
    for m in metrics:
        if isinstance(m, dict) and str(m.get('type', '')).split('.')[-1] \
                == 'VIReIDMetric':
            return m.get('feature', 'bn')
    return 'bn'


def init_model(config, checkpoint: Optional[str] = None,
               device: str = 'cpu', cfg_options: Optional[dict] = None,
               trust_checkpoint: bool = False):
    """Build a model from a config and load its weights for inference.

    Args:
        config (str | Config): Config file or loaded config.
        checkpoint (str, optional): Weights to load; ``None`` keeps the
            initial weights (after ``init_weights``).
        device (str): ``'cpu'``, ``'cuda'``, ``'cuda:1'``, ...
        cfg_options (dict, optional): Config overrides.
        trust_checkpoint (bool): Unpickle ``checkpoint`` in full (a
            checkpoint written by your own training run, which pickles
            logger state). Otherwise it is loaded weights-only (released
            files, ``tools/model_converters/publish_model.py`` output) and a
            file holding other objects is refused with
            :class:`~vireid.utils.compat.UntrustedCheckpointError`.

    Returns:
        nn.Module: The model in eval mode on ``device``, with ``model.cfg``
        (the config) set; :func:`extract_features` uses its test pipeline
        and metric feature.
    """
    from mmengine.registry import init_default_scope

    from vireid.utils.compat import trusted_checkpoint_dirs
    cfg = load_config(config, cfg_options=cfg_options)
    if 'model' not in cfg:
        raise KeyError(f'{cfg.filename}: the config has no "model"')
    init_default_scope(cfg.get('default_scope', 'vireid'))
    from vireid.registry import MODELS
    model_cfg = cfg.model.copy()
    # pretrained backbone weights are overwritten by the checkpoint anyway
    if checkpoint is not None and isinstance(
            model_cfg.get('backbone'), dict):
        model_cfg.backbone.pop('init_cfg', None)
        model_cfg.backbone['init_cfg'] = None
    model = MODELS.build(model_cfg)
    if checkpoint is None:
        from mmengine.logging import MMLogger
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel('WARNING')  # mmengine logs every initialised tensor
        try:
            model.init_weights()
        finally:
            logger.setLevel(level)
    else:
        from mmengine.runner import load_checkpoint
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint file not found: '
                                    f'{checkpoint}')
        trusted = checkpoint if trust_checkpoint else None
        with trusted_checkpoint_dirs(trusted):
            load_checkpoint(model, checkpoint, map_location='cpu',
                            strict=True)
    model.cfg = cfg
    model.to(device)
    model.eval()
    return model


def _test_pipeline(cfg):
    loader = cfg.get('test_dataloader', None)
    try:
        pipeline = loader['dataset']['pipeline']
    except (KeyError, TypeError):
        raise KeyError(f'{cfg.filename}: test_dataloader.dataset.pipeline '
                       f'is missing; extract_features needs the test '
                       f'pipeline') from None
    return list(pipeline)


def _build_pipelines(cfg):
    from mmengine.dataset import Compose
    from mmengine.registry import init_default_scope
    init_default_scope(cfg.get('default_scope', 'vireid'))
    import vireid.datasets  # noqa: F401  (registers the transforms)
    steps = _test_pipeline(cfg)
    load = [s for s in steps
            if str(s.get('type', '')).split('.')[-1] == 'LoadVIReIDImage']
    if not load:
        raise ValueError(f'{cfg.filename}: the test pipeline has no '
                         f'LoadVIReIDImage step')
    arrays = [s for s in steps if s not in load]
    return Compose(steps), Compose(arrays)


def _as_rgb(img: np.ndarray, index: int) -> np.ndarray:
    img = np.asarray(img)
    if img.dtype != np.uint8:
        raise TypeError(f'images[{index}]: arrays must be uint8 (0-255), '
                        f'got {img.dtype}')
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    elif img.ndim == 3 and img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'images[{index}]: expected H x W x 3 RGB (or '
                         f'H x W grey), got shape {img.shape}')
    return np.ascontiguousarray(img)


def extract_features(model, images, modality, batch_size: int = 32,
                     feature: Optional[str] = None) -> np.ndarray:
    """Features of images, exactly as the test metric sees them.

    Each image goes through the config's test pipeline (for an array, the
    steps after loading), batches through the model's data preprocessor and
    ``predict`` (with the model's ``flip_test`` setting), and the entry of
    ``pred_feature`` that the config's ``VIReIDMetric`` evaluates is
    returned, raw (the metric L2-normalises for the cosine distance).

    Args:
        model (nn.Module): A model from :func:`init_model` (it needs
            ``model.cfg``).
        images (str | np.ndarray | Sequence): An image path, an ``H x W x 3``
            uint8 RGB array (or ``H x W`` grey), or a list of them.
        modality (int | str | Sequence): 0 / ``'visible'`` or 1 /
            ``'infrared'``, for all images or one per image (two-stream
            backbones route each image by it).
        batch_size (int): Images per forward pass.
        feature (str, optional): ``pred_feature`` entry to return; defaults
            to the metric's (:func:`test_feature_key`).

    Returns:
        np.ndarray: ``float32`` features, ``N x C``, in input order.
    """
    import torch
    from mmengine.dataset import pseudo_collate
    cfg = getattr(model, 'cfg', None)
    if cfg is None:
        raise ValueError('extract_features needs a model from init_model() '
                         '(model.cfg holds the test pipeline)')
    single = isinstance(images, (str, np.ndarray)) or hasattr(
        images, '__fspath__')
    items = [images] if single else list(images)
    if not items:
        raise ValueError('extract_features: no images given')
    if isinstance(modality, (str, int, np.integer)) and \
            not isinstance(modality, bool):
        mods = [parse_modality(modality)] * len(items)
    else:
        mods = [parse_modality(m) for m in modality]
        if len(mods) != len(items):
            raise ValueError(f'extract_features: {len(items)} images but '
                             f'{len(mods)} modalities')
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    key = feature or test_feature_key(cfg)
    from_path, from_array = _build_pipelines(cfg)

    def prepare(i: int) -> dict:
        item = items[i]
        res = dict(gt_label=-1, pid=-1, camid=-1, modality=mods[i],
                   is_query=False, sample_idx=i)
        if isinstance(item, np.ndarray):
            img = _as_rgb(item, i)
            res.update(img=img, img_shape=img.shape[:2],
                       ori_shape=img.shape[:2], img_path=f'<array {i}>',
                       rel_path=f'<array {i}>')
            return from_array(res)
        path = str(item)
        res.update(img_path=path, rel_path=path)
        return from_path(res)

    out = []
    model.eval()
    with torch.no_grad():
        for start in range(0, len(items), batch_size):
            batch = [prepare(i) for i in range(
                start, min(start + batch_size, len(items)))]
            samples = model.test_step(pseudo_collate(batch))
            for s in samples:
                feat = s.pred_feature
                if isinstance(feat, dict):
                    if key not in feat:
                        raise KeyError(f'the model predicts {sorted(feat)}, '
                                       f'not {key!r}')
                    feat = feat[key]
                out.append(feat.detach().float().cpu().reshape(-1))
    return torch.stack(out).numpy()
