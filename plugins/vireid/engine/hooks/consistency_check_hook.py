# Copyright (c) vireid contributors. All rights reserved.
"""Checks that need the built data set and model, run before training."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from vireid.registry import HOOKS
from vireid.utils.errors import ConfigError


@HOOKS.register_module()
class ConsistencyCheckHook(Hook):
    """Stop before the first iteration if the model does not fit the data.

    Every module of the model with an integer ``num_classes`` (the ID head,
    auxiliary heads) must classify exactly the identities of the training
    set (``train_dataloader.dataset.metainfo['num_classes']``): more
    classes waste logits that never get a positive label, fewer crash at
    the first label beyond them, possibly hours later. ``VIReIDRunner``
    registers this hook.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        dataset = getattr(runner.train_dataloader, 'dataset', None)
        meta = getattr(dataset, 'metainfo', None) or {}
        expected = meta.get('num_classes', None)
        if not isinstance(expected, int):
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        wrong = []
        for name, module in model.named_modules():
            value = getattr(module, 'num_classes', None)
            if isinstance(value, int) and not isinstance(value, bool) and \
                    value != expected:
                wrong.append(f'model.{name or "<root>"}.num_classes={value}')
        if wrong:
            raise ConfigError(
                f'{", ".join(wrong)}, but the training set '
                f'({type(dataset).__name__} under '
                f'{meta.get("data_root", "?")}) has {expected} identities; '
                f'set num_classes={expected} (e.g. --cfg-options '
                f'{wrong[0].split("=")[0]}={expected})')
