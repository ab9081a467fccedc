# ICRE [RECON] on SYSU-MM01 all-search, 288x144, AGW/CAJ default recipe:
# CAJ channel augmentation + one random erasing, 8 ids x (4 V + 4 IR),
# 100 epochs. SYSU-MM01 has no validation split: the val loop runs on the test
# set, so no `best.pth` is kept by its metric (the last epoch is the model).
#   python tools/train.py projects/icre/config.py
_base_ = [
    '../../configs/_base_/models/icre_r50.py',
    '../../configs/_base_/datasets/sysu_mm01.py',
    '../../configs/_base_/schedules/recon_sgd_100e.py',
    '../../configs/_base_/default_runtime.py',
]
img_scale = (288, 144)
train_pipeline = [
    dict(type='LoadVIReIDImage'),
    dict(type='ReIDResize', scale=img_scale),
    dict(type='RandomPadCrop', pad=10),
    dict(type='RandomHFlip', prob=0.5),
    dict(type='ChannelAdapGray', prob=0.5, modality=1),
    # one erasing (docs/methods.md, AGW/CAJ recipe: "RandomErasing p 0.5"), CAJ's variant:
    # area 0.02-0.4, per-channel CIFAR-mean fill
    dict(type='ChannelRandomErasing', prob=0.5),
    dict(type='PackVIReIDInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
default_hooks = dict(checkpoint=dict(save_best=None))
