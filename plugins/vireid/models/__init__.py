# Copyright (c) vireid contributors. All rights reserved.
"""vireid models; importing this registers them in ``vireid.registry``.

torchreid is *not* imported here: :class:`TorchreidBackbone` imports it
only when it is instantiated.
"""
from .backbones import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .generators import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .reid import *  # noqa: F401,F403
from .utils import *  # noqa: F401,F403
