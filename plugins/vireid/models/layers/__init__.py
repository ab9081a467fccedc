# Copyright (c) vireid contributors. All rights reserved.
from .iip import IIPPurifier
from .non_local import NonLocalBlock2d

__all__ = ['NonLocalBlock2d', 'IIPPurifier']
