# A mix, not a published method: the AGW recipe (non-local blocks, GeM,
# BNNeck with AGW init, ID + WRT, 8 ids x (4 V + 4 I), SGD warmup
# schedule) with IDKL's specific stream and IIP purifier added as an
# auxiliary branch (its own BNNeck + ID + WRT, and the IIP loss). The
# stem is shared by both modalities here (IDKL's trunk), unlike AGW's
# modality-specific stems. Shows that IDKL's parts mix in by config; it has
# not been trained.
_base_ = [
    '../../../configs/_base_/models/agw_r50.py',
    '../../../configs/_base_/datasets/sysu_mm01.py',
    '../../../configs/_base_/schedules/agw_sgd_warmup.py',
    '../../../configs/_base_/default_runtime.py',
]
num_classes = 395
model = dict(
    _delete_=True,
    type='IDKL',
    data_preprocessor=dict(type='VIReIDDataPreprocessor'),
    backbone=dict(
        type='IDKLResNet',
        depth=50,
        last_stride=1,
        non_local=True,
        non_local_cfg=dict(num_blocks=(0, 2, 3, 0)),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/resnet50-0676ba61.pth')),
    neck=dict(type='GeMPooling', p=3.0),
    head=dict(
        type='BNNeckHead', in_channels=2048, num_classes=num_classes,
        loss_triplet=dict(type='WRTripletLoss'), init='agw'),
    sp_head=dict(
        type='BNNeckHead', in_channels=2048, num_classes=num_classes,
        loss_triplet=dict(type='WRTripletLoss'), init='agw'),
    purifier=dict(type='IIPPurifier', in_channels=2048),
    loss_iip=dict(
        type='IIPLoss', in_channels=2048, num_classes=num_classes,
        loss_weight=0.1))
default_hooks = dict(checkpoint=dict(save_best='sysu-all-t2v/rank1'))
