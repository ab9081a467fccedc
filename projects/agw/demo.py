# AGW on the synthetic SYSU-MM01-layout data set, sized for a 2-core CPU:
# ResNet-18-layout two-stream backbone at half width (base 32 channels),
# one non-local block in layer2 and layer3, 96x48 images, no ImageNet
# weights, the short demo schedule. The official-code choices of the AGW
# configs are kept: 1-channel non-local blocks and WRT weights of the
# released code (from configs/_base_/models/agw_r50.py), PIL-antialiased
# resize, AGW's sampler draw. ReIDResize stays at pipeline index 1 (the
# seed study's quick preset sets its scale).
#   python tools/train.py projects/agw/demo.py
_base_ = [
    '../../configs/_base_/models/agw_r50.py',
    '../../configs/_base_/datasets/synthetic.py',
    '../../configs/_base_/schedules/demo_cpu.py',
    '../../configs/_base_/default_runtime.py',
]
model = dict(
    backbone=dict(
        depth=18,
        base_width=32,
        non_local_cfg=dict(num_blocks=(0, 1, 1, 0)),
        init_cfg=None),
    head=dict(in_channels=256, num_classes=120))
demo_resize = dict(
    type='ReIDResize', scale=(96, 48), interpolation='lanczos',
    backend='pillow')
train_dataloader = dict(
    sampler=dict(draw='agw'),
    dataset=dict(pipeline=[
        dict(type='LoadVIReIDImage'),
        demo_resize,
        dict(type='RandomPadCrop', pad=4),
        dict(type='RandomHFlip', prob=0.5),
        dict(type='PackVIReIDInputs'),
    ]))
test_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadVIReIDImage'),
    demo_resize,
    dict(type='PackVIReIDInputs'),
]))
val_dataloader = test_dataloader
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=3, max_keep_ckpts=1, save_best=None))
