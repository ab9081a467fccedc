# AGW on the synthetic SYSU-MM01-layout data set, sized for a 2-core CPU:
# ResNet-18-layout two-stream backbone at half width, 128x64 images, no
# ImageNet weights, a short warmup + step schedule. `make demo` runs it.
_base_ = ['./config.py']

data_root = 'data/synthetic/SYSU-MM01'
img_scale = (128, 64)
train_pipeline = [
    dict(type='LoadVIReIDImage'),
    dict(type='ReIDResize', scale=img_scale),
    dict(type='RandomPadCrop', pad=6),
    dict(type='RandomHFlip', prob=0.5),
    dict(type='PackVIReIDInputs'),
]
test_pipeline = [
    dict(type='LoadVIReIDImage'),
    dict(type='ReIDResize', scale=img_scale),
    dict(type='PackVIReIDInputs'),
]
model = dict(
    backbone=dict(
        depth=18,
        base_width=32,
        non_local_cfg=dict(num_blocks=(0, 1, 1, 0)),
        init_cfg=None),
    head=dict(in_channels=256, num_classes=120))
train_dataloader = dict(
    num_workers=2,
    persistent_workers=True,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=128,
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
val_dataloader = test_dataloader
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=1.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, milestones=[8, 11], gamma=0.1),
]
train_cfg = dict(max_epochs=12, val_interval=100)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=4, max_keep_ckpts=1, save_best=None))
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
