# MTRL (arXiv 2511.02685) -- [RECON]: the paper's full text was not
# available; see projects/mtrl/README.md. The AGW two-stream ResNet-50
# (modality-specific stem, shared layer1-4 + non-local, last stride 1), GeM,
# BNNeck; batch-hard triplet (m 0.3) over V u M u I; middle images = the
# luma of the augmented visible images (no parameters); L_mtc, L_center
# (weight 1) and L_mqr (weight 0.5) on the pre-BN feature.
model = dict(
    type='MTRL',
    data_preprocessor=dict(type='VIReIDDataPreprocessor'),
    backbone=dict(
        type='TwoStreamResNet',
        depth=50,
        share_from=1,
        last_stride=1,
        out_indices=(3, ),
        non_local=True,
        non_local_cfg=dict(num_blocks=(0, 2, 3, 0)),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/resnet50-0676ba61.pth')),
    neck=dict(type='GeMPooling', p=3.0),
    head=dict(
        type='BNNeckHead',
        in_channels=2048,
        num_classes=395,
        loss_id=dict(type='CrossEntropyLoss'),
        loss_triplet=dict(type='TripletLoss', margin=0.3),
        init='agw'),
    generator=dict(type='GrayscaleTransition'),
    loss_mtc=dict(
        type='MTCLoss', temperature=0.1, inst_weight=1.0, id_weight=1.0,
        negatives='all', symmetric=False, loss_weight=1.0),
    loss_center=dict(
        type='TransitionCenterLoss', pairs=((2, 0), (2, 1)), loss_weight=1.0),
    loss_mqr=dict(
        type='MQRLoss', mode='query', query='center', temperature=0.1,
        loss_weight=0.5),
    aux_feature='pool',
    transition_modality=0)
