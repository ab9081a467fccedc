# IDKL on LLCM as the official code trains it (configs/LLCM.yml): the SYSU
# recipe (384x144, 12 x (5 + 5) = 120, all losses, Adam, 160 epochs) with
# 713 training identities. Evaluation: vireid's LLCM protocol (10
# single-shot gallery trials, both directions, no re-ranking); the official
# code ranks the whole test lists once with re-ranking (see README).
_base_ = [
    '../../../configs/_base_/models/idkl_r50.py',
    '../../../configs/_base_/datasets/llcm.py',
    '../../../configs/_base_/schedules/idkl_adam_160e.py',
    '../../../configs/_base_/default_runtime.py',
]
num_classes = 713
model = dict(
    head=dict(num_classes=num_classes),
    sp_head=dict(num_classes=num_classes),
    loss_iip=dict(num_classes=num_classes))
img_scale = (384, 144)
train_pipeline = [
    dict(type='LoadVIReIDImage'),
    dict(type='ReIDResize', scale=img_scale),
    dict(type='RandomHFlip', prob=0.5),
    dict(type='RandomPadCrop', pad=10, fill=127),
    dict(type='TorchvisionRandomErasing', prob=0.5),
    dict(type='PackVIReIDInputs'),
]
test_pipeline = [
    dict(type='LoadVIReIDImage'),
    dict(type='ReIDResize', scale=img_scale),
    dict(type='PackVIReIDInputs'),
]
train_dataloader = dict(
    batch_size=120,
    sampler=dict(
        type='CrossModalIdentitySampler',
        num_ids=12,
        num_instances=10,
        interleave=True,
        idkl_epoch=True),
    dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
val_dataloader = test_dataloader
default_hooks = dict(checkpoint=dict(interval=10, save_best=None))
