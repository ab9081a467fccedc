# ICRE (arXiv 2512.04522) on a two-stream ResNet-50 -- [RECON]: the paper's
# full text was not available; module internals follow the reconstruction in
# projects/icre/README.md and every unknown is a switch below.
#
# Class counts: set ONLY `model.head.num_classes` in a child config, e.g.
#   model = dict(head=dict(num_classes=206))      # RegDB
# ICRE copies it into the enhanced head (enh_head=None) and into the MPFR
# auxiliary head (whose num_classes is left unset here). There is no
# top-level `num_classes` variable on purpose: a child config that set one
# would silently leave the built heads at this file's value.
_base_ = ['./agw_r50.py']
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
        num_classes=395,  # SYSU-MM01 training identities
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
            type='BNNeckHead', loss_triplet=None)),  # num_classes: = head's
    sdce=dict(
        type='SDCEHead',
        embed_dims=512,
        num_heads=8,
        depth=1,
        pos_embed=True,
        pos_size=(18, 9),
        map_norm='none',
        # issue #10: f_enh = GeM(X_deep + BN(Conv1x1(tokens))) instead of
        # GeM(tokens); see projects/icre/README.md
        output='residual',
        distill=dict(weight=1.0, temperature=4.0)),
    loss_icg=dict(type='ICGLoss', margin=0.3, normalize=True, loss_weight=1.0),
    # issue #10: ICG and the enhanced triplet act on BN(f_enh): its batch
    # standardisation keeps the pre-BN feature from being pulled to one
    # point ('pool' collapses); only the BN scale can still shrink, logged
    # as *.stat_bn_scale (projects/icre/README.md)
    icg_feature='bn',
    enh_metric_feature='bn',
    test_feature='enh')
