# Copyright (c) vireid contributors. All rights reserved.
from .idkl_resnet import IDKLResNet
from .torchreid_backbone import TorchreidBackbone
from .two_stream_resnet import TwoStreamResNet

__all__ = ['TwoStreamResNet', 'TorchreidBackbone', 'IDKLResNet']
