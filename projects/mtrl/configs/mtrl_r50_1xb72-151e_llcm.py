# MTRL [RECON] on LLCM with the DEEN variant of the recipe: 384x144,
# 6 ids x (4 V + 4 NIR) = 48 from the loader, [V; M; I] = 72 in the model;
# x0.1 at epoch 20 and x0.01 at 80, 151 epochs; both directions, 10 trials.
_base_ = [
    '../../../configs/_base_/models/mtrl_r50.py',
    '../../../configs/_base_/datasets/llcm.py',
    '../../../configs/_base_/schedules/recon_sgd_100e.py',
    '../../../configs/_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=713))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=10,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, milestones=[20, 80], gamma=0.1),
]
train_cfg = dict(max_epochs=151)
default_hooks = dict(checkpoint=dict(save_best='llcm-t2v/rank1'))
