# The synthetic VI-ReID data set in the SYSU-MM01 layout (generate it with
# `python tools/make_synthetic.py --out data/synthetic --layout all`, or let
# `make demo` do it), evaluated with the SYSU-MM01 all-search protocol.
_base_ = ['./sysu_mm01.py']
data_root = 'data/synthetic/SYSU-MM01'
img_scale = (96, 48)  # the generator writes 128x64; the demo trains smaller
train_pipeline = [
    dict(type='LoadVIReIDImage'),
    dict(type='ReIDResize', scale=img_scale),
    dict(type='RandomPadCrop', pad=4),
    dict(type='RandomHFlip', prob=0.5),
    dict(type='PackVIReIDInputs'),
]
test_pipeline = [
    dict(type='LoadVIReIDImage'),
    dict(type='ReIDResize', scale=img_scale),
    dict(type='PackVIReIDInputs'),
]
train_dataloader = dict(
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
test_dataloader = dict(
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
val_dataloader = test_dataloader
