# Copyright (c) vireid contributors. All rights reserved.
import importlib
import subprocess
import sys

import mmengine.registry as mm_registry
import pytest

import vireid.registry as vr

ROOTS = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'STRATEGIES',
    'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS',
    'WEIGHT_INITIALIZERS', 'OPTIMIZERS', 'OPTIM_WRAPPERS',
    'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'METRICS', 'EVALUATOR',
    'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS',
    'INFERENCERS', 'FUNCTIONS'
]


def test_all_roots_exported():
    assert sorted(vr.__all__) == sorted(ROOTS)
    # every root registry mmengine 0.10.7 defines is covered
    mm_roots = {name for name in dir(mm_registry)
                if isinstance(getattr(mm_registry, name), mm_registry.Registry)
                and getattr(mm_registry, name).parent is None
                and name.isupper()}
    assert mm_roots == set(ROOTS)


@pytest.mark.parametrize('name', ROOTS)
def test_child_of_root(name):
    child = getattr(vr, name)
    root = getattr(mm_registry, name)
    assert child.scope == 'vireid'
    assert child.parent is root
    assert root.children['vireid'] is child
    assert child._locations, f'{name} has no lazy locations'
    for loc in child._locations:
        importlib.import_module(loc)


def test_import_is_light():
    code = ('import sys, vireid, vireid.registry; '
            'heavy = [m for m in ("torchreid", "torchvision", "cv2", '
            '"vireid.models", "vireid.datasets") if m in sys.modules]; '
            'print(",".join(heavy))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == '', f'import vireid pulled in heavy modules: {out}'


def test_locations_are_lazy_and_resolve_via_default_scope():
    from mmengine.registry import DefaultScope, init_default_scope
    init_default_scope('vireid')
    try:
        # building from the *root* registry finds vireid's runner through
        # the default scope
        with mm_registry.RUNNERS.switch_scope_and_registry(None) as reg:
            assert reg.scope == 'vireid'
            assert reg.get('VIReIDRunner') is not None
            # parent fallback: mmengine's own classes resolve from vireid
            assert reg.get('Runner') is not None
    finally:
        DefaultScope._instance_dict.pop(
            DefaultScope.get_current_instance().instance_name, None)
