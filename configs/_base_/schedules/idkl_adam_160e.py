# IDKL's code recipe: Adam lr 3.5e-4, weight decay 5e-3 (L2 coupled, as
# torch.optim.Adam), no warmup, x0.1 at epochs 55 and 95 (stepped per
# epoch), 160 epochs. The official run used apex O1 fp16; vireid trains in
# fp32 unless `--amp` is passed. SYSU/LLCM: nothing is evaluated during
# training (start_eval 200 > 160) and the last epoch is reported.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=3.5e-4, weight_decay=5e-3))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[55, 95], gamma=0.1),
]
train_cfg = dict(
    type='ResumableEpochBasedTrainLoop', max_epochs=160, val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=120)
