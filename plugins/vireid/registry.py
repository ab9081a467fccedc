# Copyright (c) vireid contributors. All rights reserved.
"""vireid's registries: one child of every mmengine root registry.

Every child uses ``scope='vireid'`` so that configs with
``default_scope = 'vireid'`` resolve vireid's components, and ``locations``
so that the sub-package defining the members is imported only when the
registry is first queried (``import vireid`` stays light).

Components of other frameworks can be mixed in a vireid config with a scope
prefix (``type='mmpretrain.ResNet'``); vireid components used from a foreign
scope should be written ``dict(_scope_='vireid', type=...)``.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import \
    RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import STRATEGIES as MMENGINE_STRATEGIES
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import \
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'STRATEGIES',
    'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS',
    'WEIGHT_INITIALIZERS', 'OPTIMIZERS', 'OPTIM_WRAPPERS',
    'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'METRICS', 'EVALUATOR',
    'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS',
    'INFERENCERS', 'FUNCTIONS'
]

_SCOPE = 'vireid'

#######################################################################
#                            vireid.engine                            #
#######################################################################
RUNNERS = Registry(
    'runner', parent=MMENGINE_RUNNERS, scope=_SCOPE,
    locations=['vireid.engine'])
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor', parent=MMENGINE_RUNNER_CONSTRUCTORS, scope=_SCOPE,
    locations=['vireid.engine'])
LOOPS = Registry(
    'loop', parent=MMENGINE_LOOPS, scope=_SCOPE, locations=['vireid.engine'])
HOOKS = Registry(
    'hook', parent=MMENGINE_HOOKS, scope=_SCOPE, locations=['vireid.engine'])
STRATEGIES = Registry(
    'strategy', parent=MMENGINE_STRATEGIES, scope=_SCOPE,
    locations=['vireid.engine'])
LOG_PROCESSORS = Registry(
    'log processor', parent=MMENGINE_LOG_PROCESSORS, scope=_SCOPE,
    locations=['vireid.engine'])
OPTIMIZERS = Registry(
    'optimizer', parent=MMENGINE_OPTIMIZERS, scope=_SCOPE,
    locations=['vireid.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS, scope=_SCOPE,
    locations=['vireid.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, scope=_SCOPE,
    locations=['vireid.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMENGINE_PARAM_SCHEDULERS, scope=_SCOPE,
    locations=['vireid.engine'])

#######################################################################
#                           vireid.datasets                           #
#######################################################################
DATASETS = Registry(
    'dataset', parent=MMENGINE_DATASETS, scope=_SCOPE,
    locations=['vireid.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMENGINE_DATA_SAMPLERS, scope=_SCOPE,
    locations=['vireid.datasets'])
TRANSFORMS = Registry(
    'transform', parent=MMENGINE_TRANSFORMS, scope=_SCOPE,
    locations=['vireid.datasets'])

#######################################################################
#                            vireid.models                            #
#######################################################################
MODELS = Registry(
    'model', parent=MMENGINE_MODELS, scope=_SCOPE,
    locations=['vireid.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper', parent=MMENGINE_MODEL_WRAPPERS, scope=_SCOPE,
    locations=['vireid.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMENGINE_WEIGHT_INITIALIZERS, scope=_SCOPE,
    locations=['vireid.models'])
TASK_UTILS = Registry(
    'task util', parent=MMENGINE_TASK_UTILS, scope=_SCOPE,
    locations=['vireid.models'])

#######################################################################
#                          vireid.evaluation                          #
#######################################################################
METRICS = Registry(
    'metric', parent=MMENGINE_METRICS, scope=_SCOPE,
    locations=['vireid.evaluation'])
EVALUATOR = Registry(
    'evaluator', parent=MMENGINE_EVALUATOR, scope=_SCOPE,
    locations=['vireid.evaluation'])

#######################################################################
#                         vireid.visualization                        #
#######################################################################
VISUALIZERS = Registry(
    'visualizer', parent=MMENGINE_VISUALIZERS, scope=_SCOPE,
    locations=['vireid.visualization'])
VISBACKENDS = Registry(
    'vis_backend', parent=MMENGINE_VISBACKENDS, scope=_SCOPE,
    locations=['vireid.visualization'])

#######################################################################
#                             vireid.apis                             #
#######################################################################
INFERENCERS = Registry(
    'inferencer', parent=MMENGINE_INFERENCERS, scope=_SCOPE,
    locations=['vireid.apis'])
FUNCTIONS = Registry(
    'function', parent=MMENGINE_FUNCTIONS, scope=_SCOPE,
    locations=['vireid.datasets'])
