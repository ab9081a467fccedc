# AGW's recipe: SGD (nesterov, momentum 0.9, wd 5e-4); lr 0.1 for the neck
# and heads, 0.01 (lr_mult 0.1) for the backbone; linear warmup over the
# first 10 epochs; x0.1 from epoch 20 and x0.01 from epoch 50; 81 epochs.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=10,
        convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, milestones=[20, 50], gamma=0.1),
]
train_cfg = dict(
    type='ResumableEpochBasedTrainLoop', max_epochs=81, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=64)
