# A short schedule for the CPU demo: SGD (nesterov, momentum 0.9, wd 5e-4),
# lr 0.1 everywhere (no ImageNet weights to protect), 1-epoch linear warmup,
# x0.1 for the last epoch; 6 epochs. Evaluated once, at the end (val_interval is
# larger than the schedule; demo configs checkpoint every 3 epochs).
_base_ = ['./agw_sgd_warmup.py']
max_epochs = 6
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=1.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, milestones=[5], gamma=0.1),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=1000)
