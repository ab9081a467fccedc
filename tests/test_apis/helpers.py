# Copyright (c) vireid contributors. All rights reserved.
"""Tiny configs and checkpoints for the API, tool and export tests."""
import os.path as osp

import torch
from mmengine.config import Config

from tests.test_configs.test_shipped_configs import shrink

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCALE = (64, 32)  # ICRE's tiny SDCE pos_size (4, 2) is this / 16


def tiny_config(config: str, data_root: str = None, scale=SCALE) -> Config:
    """A shipped config at tiny width and image size (structure kept)."""
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.model = Config(shrink(cfg.model.to_dict()))._cfg_dict
    test_pipeline = [
        dict(type='LoadVIReIDImage'),
        dict(type='ReIDResize', scale=scale),
        dict(type='PackVIReIDInputs'),
    ]
    for key in ('val_dataloader', 'test_dataloader'):
        loader = cfg[key]
        loader.dataset.pipeline = test_pipeline
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.batch_size = 16
        if data_root is not None:
            loader.dataset.data_root = data_root
    if data_root is not None:
        cfg.train_dataloader.dataset.data_root = data_root
    cfg.custom_hooks = []
    cfg.visualizer = dict(type='VIReIDVisualizer',
                          vis_backends=[dict(type='LocalVisBackend')])
    return cfg


def save_weights(model, path: str) -> str:
    """A weights-only checkpoint (loadable untrusted)."""
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return path
