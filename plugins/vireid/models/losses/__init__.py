# Copyright (c) vireid contributors. All rights reserved.
from .adp_triplet_loss import ADPTripletLoss
from .cross_entropy_loss import CrossEntropyLoss
from .icg_loss import ICGLoss
from .idkl_losses import (CSABatchLoss, CSASampleLoss, IIPLoss, ModalityCELoss,
                          TGSALoss)
from .mqr_loss import MQRLoss
from .mtc_loss import MTCLoss
from .transition_center_loss import TransitionCenterLoss
from .triplet_loss import TripletLoss
from .utils import pairwise_euclidean
from .wr_triplet_loss import WRTripletLoss

__all__ = [
    'ADPTripletLoss', 'CrossEntropyLoss', 'TripletLoss', 'WRTripletLoss',
    'pairwise_euclidean', 'ICGLoss', 'TGSALoss', 'CSABatchLoss',
    'CSASampleLoss', 'IIPLoss', 'ModalityCELoss', 'MTCLoss',
    'TransitionCenterLoss', 'MQRLoss'
]
