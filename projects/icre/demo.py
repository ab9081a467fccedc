# ICRE [RECON] on the synthetic SYSU-MM01-layout data set, sized for a
# 2-core CPU: the same backbone, data, schedule and seed as
# projects/agw/demo.py (two-stream ResNet-18 layout at half width, 96x48),
# with MPFR over layer2..layer4, a one-stage SDCE cascade and the ICG loss.
#   python tools/train.py projects/icre/demo.py      (what `make demo` runs)
_base_ = [
    '../../configs/_base_/models/icre_r50.py',
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
    head=dict(in_channels=256, num_classes=120),
    mpfr=dict(channels=64),
    sdce=dict(embed_dims=64, num_heads=4, pos_size=(6, 3)))
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=3, max_keep_ckpts=1, save_best=None))
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
