# AGW: two-stream ResNet-50 (modality-specific stem, shared layer1-4, last
# stride 1), non-local blocks (2 in layer2, 3 in layer3), GeM (p=3),
# BNNeck, ID loss + weighted regularisation triplet (WRT).
# Official-code quirks selected here (see projects/agw/README.md):
#   - non-local blocks with ONE inner channel (AGW's Non_local sets
#     inter_channels = reduc_ratio // reduc_ratio = 1); the C/2 variant is
#     non_local_cfg=dict(reduction=2) without inter_channels;
#   - WRT weights as the released code computes them (weighting='official':
#     max(dist * mask) shift + 1e-6); the exact masked softmax is
#     weighting='softmax'.
# ImageNet weights are read from a local file only (see README: "Pretrained
# weights"); set model.backbone.init_cfg=None to train from scratch.
model = dict(
    type='VIReIDModel',
    data_preprocessor=dict(type='VIReIDDataPreprocessor'),
    backbone=dict(
        type='TwoStreamResNet',
        depth=50,
        share_from=1,
        last_stride=1,
        out_indices=(3, ),
        non_local=True,
        non_local_cfg=dict(num_blocks=(0, 2, 3, 0), inter_channels=1),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/resnet50-0676ba61.pth')),
    neck=dict(type='GeMPooling', p=3.0),
    head=dict(
        type='BNNeckHead',
        in_channels=2048,
        num_classes=395,
        loss_id=dict(type='CrossEntropyLoss'),
        loss_triplet=dict(type='WRTripletLoss', weighting='official'),
        init='agw'))
