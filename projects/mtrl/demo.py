# MTRL [RECON] on the synthetic SYSU-MM01-layout data set, sized for a
# 2-core CPU: the backbone, head (ID + WRT triplet), data, schedule and seed
# of the AGW demo before issue #9 (two-stream ResNet-18 layout at half width, one
# non-local block in layer2 and layer3, 96x48, ReIDResize at pipeline index
# 1), plus grey middle images and L_mtc + L_center + L_mqr. The loader
# gives 8 ids x (4 V + 4 I); the model adds the 32 middle images (96 per
# step). With generator=None and the three losses off it is the plain model
# (tests/test_models/test_mtrl.py checks that): ablation/baseline.py, which
# is the AGW demo as it was before the official-code switches of issue #9
# (C/2 non-local, exact-softmax WRT, cv2 resize, queue sampler).
#   python tools/train.py projects/mtrl/demo.py
_base_ = [
    '../../configs/_base_/models/mtrl_r50.py',
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
    head=dict(
        in_channels=256,
        num_classes=120,
        loss_triplet=dict(_delete_=True, type='WRTripletLoss')))
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=3, max_keep_ckpts=1, save_best=None))
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
