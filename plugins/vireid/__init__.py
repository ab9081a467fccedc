# Copyright (c) vireid contributors. All rights reserved.
"""vireid: Visible-Infrared person re-identification on mmengine.

Importing the package is deliberately cheap: it only exposes the version.
Components register lazily through :mod:`vireid.registry` (``locations=``),
so torch, torchvision and torchreid are imported when something is built.
"""
from .version import __version__, version_info

__all__ = ['__version__', 'version_info']
