# RegDB, official layout (Visible/, Thermal/, idx/*_{trial}.txt). Each of the
# 10 trials is its own train/test split: train one model per trial. Choose
# the trial on ALL THREE dataloaders (val_dataloader is a copy of
# test_dataloader made when this file is read, so it does not follow a later
# change of test_dataloader):
#   --cfg-options train_dataloader.dataset.trial=N \
#       val_dataloader.dataset.trial=N test_dataloader.dataset.trial=N
# or, in a child config:
#   train_dataloader = dict(dataset=dict(trial=N))
#   val_dataloader = dict(dataset=dict(trial=N))
#   test_dataloader = dict(dataset=dict(trial=N))
# (A top-level `trial = N` in a child changes nothing: base files are
# evaluated before the child, so there is deliberately no such variable.)
# Both directions are evaluated from one feature pass.
dataset_type = 'RegDBDataset'
data_root = 'data/RegDB'
img_scale = (288, 144)

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
        trial=1,
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
        trial=1,
        pipeline=test_pipeline))
test_evaluator = [
    dict(type='VIReIDMetric', protocol='regdb', direction='v2t',
         feature='bn', distance='cosine'),
    dict(type='VIReIDMetric', protocol='regdb', direction='t2v',
         feature='bn', distance='cosine'),
]
val_dataloader = test_dataloader
val_evaluator = test_evaluator
