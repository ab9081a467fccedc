# Copyright (c) vireid contributors. All rights reserved.
"""Samplers registered in ``vireid.registry.DATA_SAMPLERS``."""
from .cross_modal_identity_sampler import CrossModalIdentitySampler
from .seeded_index import SeededIndex

__all__ = ['CrossModalIdentitySampler', 'SeededIndex']
