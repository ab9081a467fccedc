# ICRE [RECON] on LLCM with the DEEN variant of the recipe: 384x144,
# 6 ids x (4 V + 4 NIR), x0.1 at epoch 20 and x0.01 at 80, 151 epochs;
# both directions, 10 trials each.
_base_ = [
    '../../../configs/_base_/models/icre_r50.py',
    '../../../configs/_base_/datasets/llcm.py',
    '../../../configs/_base_/schedules/recon_sgd_100e.py',
    '../../../configs/_base_/default_runtime.py',
]
model = dict(
    head=dict(num_classes=713),  # copied into the enhanced and MPFR heads
    sdce=dict(pos_size=(24, 9)))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=10,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, milestones=[20, 80], gamma=0.1),
]
train_cfg = dict(max_epochs=151)
# LLCM's val loop runs on the test set: keep no `best.pth` by its metric
default_hooks = dict(checkpoint=dict(save_best=None))
