# Copyright (c) vireid contributors. All rights reserved.
from .gem import GeMPooling

__all__ = ['GeMPooling']
