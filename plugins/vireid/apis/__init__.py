# Copyright (c) vireid contributors. All rights reserved.
"""Use vireid as a library: configs, runners, models and features.

- :func:`load_config`, :func:`apply_train_overrides`, :func:`build_runner`:
  what ``tools/train.py`` and ``tools/test.py`` do before ``runner.train()``
  / ``runner.test()``;
- :func:`init_model`, :func:`extract_features`: a model for inference and
  the features the test metric would use, for any images.
"""
from .config import (apply_test_overrides, apply_train_overrides,
                     build_runner, load_config)
from .inference import (extract_features, init_model, parse_modality,
                        test_feature_key)

__all__ = [
    'load_config', 'apply_train_overrides', 'apply_test_overrides',
    'build_runner', 'init_model',
    'extract_features', 'parse_modality', 'test_feature_key'
]
