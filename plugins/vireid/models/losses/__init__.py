# Copyright (c) vireid contributors. All rights reserved.
from .cross_entropy_loss import CrossEntropyLoss
from .icg_loss import ICGLoss
from .mqr_loss import MQRLoss
from .mtc_loss import MTCLoss
from .transition_center_loss import TransitionCenterLoss
from .triplet_loss import TripletLoss
from .utils import pairwise_euclidean
from .wr_triplet_loss import WRTripletLoss

__all__ = [
    'CrossEntropyLoss', 'TripletLoss', 'WRTripletLoss', 'pairwise_euclidean',
    'ICGLoss', 'MTCLoss', 'TransitionCenterLoss', 'MQRLoss'
]
