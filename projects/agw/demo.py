# AGW on the synthetic SYSU-MM01-layout data set, sized for a 2-core CPU:
# ResNet-18-layout two-stream backbone at half width (base 32 channels),
# one non-local block in layer2 and layer3, 96x48 images, no ImageNet
# weights, the short demo schedule.
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
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=3, max_keep_ckpts=1, save_best=None))
