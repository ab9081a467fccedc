# LLCM, official layout (idx/, test_vis/camK/, test_nir/camK/, training
# folders). DEEN recipe: 384x144, RandomGrayscale + RandomErasing. DEEN
# erases the *normalised* tensor with the ImageNet mean (0.485, 0.456, 0.406)
# as the value there (pixels ~152, 142, 127), hence NormalizeImage before it;
# RandomErasing(space='pixel') without NormalizeImage is vireid's older
# variant (fill 0 after normalisation). Both directions, 10 single-shot
# gallery trials each, from one feature pass.
dataset_type = 'LLCMDataset'
data_root = 'data/LLCM'
img_scale = (384, 144)

train_pipeline = [
    dict(type='LoadVIReIDImage'),
    dict(type='ReIDResize', scale=img_scale),
    dict(type='RandomPadCrop', pad=10),
    dict(type='RandomGrayscale', prob=0.5),
    dict(type='RandomHFlip', prob=0.5),
    dict(type='NormalizeImage'),
    dict(type='RandomErasing', prob=0.5, area=(0.02, 0.4),
         space='normalized'),
    dict(type='PackVIReIDInputs'),
]
test_pipeline = [
    dict(type='LoadVIReIDImage'),
    dict(type='ReIDResize', scale=img_scale),
    dict(type='PackVIReIDInputs'),
]
train_dataloader = dict(
    batch_size=48,
    num_workers=4,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(
        type='CrossModalIdentitySampler', num_ids=6, num_instances=4),
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
test_evaluator = [
    dict(type='VIReIDMetric', protocol='llcm', direction='t2v',
         num_trials=10, feature='bn', distance='cosine'),
    dict(type='VIReIDMetric', protocol='llcm', direction='v2t',
         num_trials=10, feature='bn', distance='cosine'),
]
val_dataloader = test_dataloader
val_evaluator = test_evaluator
