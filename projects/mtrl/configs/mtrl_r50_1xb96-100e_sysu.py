# MTRL [RECON] on SYSU-MM01 all-search, 288x144, the AGW/CAJ default recipe
# (docs/methods.md, AGW recipe): Pad(10) + crop + flip, CAJ ChannelAdapGray on IR,
# channel random erasing + random erasing, SGD warmup, x0.1 at 20, x0.01 at
# 50, 100 epochs. The loader gives 8 ids x (4 V + 4 IR) = 64 images; the
# model adds one grey middle image per visible image -> [V; M; I] = 96.
# The middle image is computed from the *augmented* visible tensor, so it
# shares its crop, flip and erasing.
#   python tools/train.py projects/mtrl/configs/mtrl_r50_1xb96-100e_sysu.py
_base_ = [
    '../../../configs/_base_/models/mtrl_r50.py',
    '../../../configs/_base_/datasets/sysu_mm01.py',
    '../../../configs/_base_/schedules/recon_sgd_100e.py',
    '../../../configs/_base_/default_runtime.py',
]
img_scale = (288, 144)
train_pipeline = [
    dict(type='LoadVIReIDImage'),
    dict(type='ReIDResize', scale=img_scale),
    dict(type='RandomPadCrop', pad=10),
    dict(type='RandomHFlip', prob=0.5),
    dict(type='ChannelAdapGray', prob=0.5, modality=1),
    dict(type='ChannelRandomErasing', prob=0.5),
    dict(type='RandomErasing', prob=0.5, area=(0.02, 0.4)),
    dict(type='PackVIReIDInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
default_hooks = dict(checkpoint=dict(save_best='sysu-all-t2v/rank1'))
