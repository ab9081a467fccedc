# IDKL on SYSU-MM01 as the official code trains it (1KK077/IDKL@8676b62,
# configs/SYSU.yml): 384x144, 12 ids x (5 V + 5 I) interleaved = 120,
# IDKL's epoch rule, Resize -> flip -> Pad(10, fill 127) -> crop ->
# normalise -> torchvision RandomErasing, Adam 3.5e-4 / wd 5e-3, x0.1 at
# 55 and 95, 160 epochs, last epoch evaluated. Evaluation is vireid's
# default (AGW gallery draw, cosine, no re-ranking); see README for the
# flags that reproduce the official evaluation.
_base_ = [
    '../../../configs/_base_/models/idkl_r50.py',
    '../../../configs/_base_/datasets/sysu_mm01.py',
    '../../../configs/_base_/schedules/idkl_adam_160e.py',
    '../../../configs/_base_/default_runtime.py',
]
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
