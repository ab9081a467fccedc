# ICRE [RECON] on RegDB: one model per trial (set `trial`), 206 classes,
# both directions evaluated. Usage:
#   python tools/train.py projects/icre/configs/icre_r50_1xb64-100e_regdb.py \
#       --cfg-options train_dataloader.dataset.trial=3 \
#       test_dataloader.dataset.trial=3 val_dataloader.dataset.trial=3
_base_ = [
    '../../../configs/_base_/models/icre_r50.py',
    '../../../configs/_base_/datasets/regdb.py',
    '../../../configs/_base_/schedules/recon_sgd_100e.py',
    '../../../configs/_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=206))  # copied into the other heads
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
default_hooks = dict(checkpoint=dict(save_best='regdb-v2t/rank1'))
