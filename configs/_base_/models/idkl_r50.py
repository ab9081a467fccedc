# IDKL (CVPR 2024) as the official code builds it (1KK077/IDKL@8676b62):
# shared ResNet-50 trunk (stem..layer2) -> shared and specific layer3-4
# streams (last stride 1) -> IIP purifier on the specific map -> GeM (p=3)
# -> two BNNecks (bias frozen, PyTorch default init) -> ID CE + batch-hard
# triplet (margin 1.3) on both streams, modality discriminators, IIP, TGSA
# and CSA. Every code quirk is on here: the batch-size-120 weight switch,
# the pseudo-modality label of the shared discriminator, softmax over raw
# distances in TGSA, nothing detached. num_classes is set per data set.
num_classes = 395
feat_dim = 2048
model = dict(
    type='IDKL',
    data_preprocessor=dict(type='VIReIDDataPreprocessor'),
    backbone=dict(
        type='IDKLResNet',
        depth=50,
        last_stride=1,
        with_specific=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/resnet50-0676ba61.pth')),
    neck=dict(type='GeMPooling', p=3.0),
    head=dict(
        type='BNNeckHead',
        in_channels=feat_dim,
        num_classes=num_classes,
        loss_id=dict(type='CrossEntropyLoss'),
        loss_triplet=dict(type='TripletLoss', margin=1.3),
        init='default'),
    sp_head=dict(
        type='BNNeckHead',
        in_channels=feat_dim,
        num_classes=num_classes,
        loss_id=dict(type='CrossEntropyLoss'),
        loss_triplet=dict(type='TripletLoss', margin=1.3),
        init='default'),
    purifier=dict(type='IIPPurifier', in_channels=feat_dim, reduction=16),
    disc_sp=dict(
        type='ModalityDiscriminator', in_channels=feat_dim,
        hidden_channels=100, dropout=0.5),
    disc_sh=dict(
        type='ModalityDiscriminator', in_channels=feat_dim,
        hidden_channels=100, dropout=0.5),
    loss_mod_sp=dict(type='ModalityCELoss', target='true'),
    loss_mod_sh=dict(type='ModalityCELoss', target='pseudo'),
    loss_iip=dict(
        type='IIPLoss', in_channels=feat_dim, num_classes=num_classes,
        loss_weight=0.1),
    loss_tgsa=dict(
        type='TGSALoss', inter_weight=0.6, negate=False,
        switch_batch_size=120, fallback_scale=0.1),
    loss_csa_batch=dict(
        type='CSABatchLoss', inter_weight=0.8, switch_batch_size=120,
        fallback_inter_weight=0.3),
    loss_csa_sample=dict(
        type='CSASampleLoss', inter_weight=0.8, switch_batch_size=120,
        fallback_inter_weight=0.3))
