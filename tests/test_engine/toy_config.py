# A complete vireid-style config over the toy components (string _base_).
_base_ = ['../../configs/_base_/default_runtime.py']
custom_imports = dict(
    imports=['vireid.utils.compat', 'vireid.engine',
             'tests.test_engine.toy_components'],
    allow_failed_imports=False)

model = dict(type='ToyReIDModel', num_ids=6)
train_dataloader = dict(
    batch_size=4, num_workers=0,
    sampler=dict(type='ToyIdentitySampler'),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ToyVIDataset', num_ids=6, per_id=4))
test_dataloader = dict(
    batch_size=3, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ToyVIDataset', num_ids=6, per_id=3, seed=1))
test_evaluator = dict(type='ToyAccuracy')
test_cfg = dict(type='TestLoop')
train_cfg = dict(by_epoch=True, max_epochs=3, val_interval=100)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9))
param_scheduler = [dict(type='MultiStepLR', milestones=[2], gamma=0.1)]
custom_hooks = [dict(type='ToyLossRecorder')]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=1, save_best=None, max_keep_ckpts=-1))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
