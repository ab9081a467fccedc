# Copyright (c) vireid contributors. All rights reserved.
from .bnneck_head import AGW_HEAD_INIT, BNNeckHead
from .modality_discriminator import ModalityDiscriminator
from .mpfr_head import MPFRHead
from .sdce_head import SDCEHead

__all__ = ['BNNeckHead', 'AGW_HEAD_INIT', 'MPFRHead', 'SDCEHead',
           'ModalityDiscriminator']
