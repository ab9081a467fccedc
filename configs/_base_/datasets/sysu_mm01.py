# SYSU-MM01, official raw layout (cam1..cam6/PPPP/NNNN.jpg + exp/*.txt).
# Train: train + val ids (395). Test: IR queries (cam3 + cam6) and the RGB
# gallery candidate pool; the metric draws 10 single-shot galleries
# (AGW's random.Random(trial) draw) and reports all-search.
dataset_type = 'SYSUMM01Dataset'
data_root = 'data/SYSU-MM01'
img_scale = (288, 144)  # (height, width)

train_pipeline = [
    dict(type='LoadVIReIDImage'),
    dict(type='ReIDResize', scale=img_scale),
    dict(type='RandomPadCrop', pad=10),
    dict(type='RandomHFlip', prob=0.5),
    dict(type='PackVIReIDInputs'),
]
test_pipeline = [
    dict(type='LoadVIReIDImage'),
    dict(type='ReIDResize', scale=img_scale),
    dict(type='PackVIReIDInputs'),
]

# P=8 identities x (K=4 visible + K=4 infrared) = 64 images per batch.
train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(
        type='CrossModalIdentitySampler', num_ids=8, num_instances=4),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    pin_memory=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline))
test_evaluator = dict(
    type='VIReIDMetric',
    protocol='sysu',
    mode='all',
    gallery_draw='agw',
    num_trials=10,
    feature='bn',
    distance='cosine')
# SYSU-MM01 has no separate validation split (val ids are trained on), so
# validation during training monitors the test protocol, as AGW does. Report
# the last epoch, not the best one, to avoid model selection on the test set.
val_dataloader = test_dataloader
val_evaluator = test_evaluator
