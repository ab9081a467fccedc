# ICRE (arXiv 2512.04522) on a two-stream ResNet-50 -- [RECON]: the paper's
# full text was not available; module internals follow the reconstruction in
# projects/icre/README.md and every unknown is a switch below.
_base_ = ['./agw_r50.py']
num_classes = 395
model = dict(
    _delete_=True,
    type='ICRE',
    data_preprocessor=dict(type='VIReIDDataPreprocessor'),
    backbone=dict(
        type='TwoStreamResNet',
        depth=50,
        share_from=1,
        last_stride=1,
        # MPFR reads layer2..layer4 ([2nd] "stages 2-4"); the deep branch
        # uses the last one. The layer1..3 reading: out_indices=(0, 1, 2, 3)
        # and mpfr.in_index=(0, 1, 2).
        out_indices=(1, 2, 3),
        non_local=True,
        non_local_cfg=dict(num_blocks=(0, 2, 3, 0)),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/resnet50-0676ba61.pth')),
    neck=dict(type='GeMPooling', p=3.0),
    head=dict(
        type='BNNeckHead',
        in_channels=2048,
        num_classes=num_classes,
        loss_id=dict(type='CrossEntropyLoss'),
        loss_triplet=dict(type='TripletLoss', margin=0.3),
        init='agw'),
    mpfr=dict(
        type='MPFRHead',
        channels=512,
        resize='avg',
        spatial_mask=True,
        fusion='sum',
        aux_head=dict(
            type='BNNeckHead', num_classes=num_classes, loss_triplet=None)),
    sdce=dict(
        type='SDCEHead',
        embed_dims=512,
        num_heads=8,
        depth=1,
        pos_embed=True,
        pos_size=(18, 9),
        distill=dict(weight=1.0, temperature=4.0)),
    loss_icg=dict(type='ICGLoss', margin=0.3, normalize=True, loss_weight=1.0),
    test_feature='concat')
