# AGW on RegDB (one model per trial; official: R1 70.05, mAP 66.37,
# mINP 50.19, visible->thermal). Trial 1 here; for trial N pass
#   --cfg-options train_dataloader.dataset.trial=N \
#       val_dataloader.dataset.trial=N test_dataloader.dataset.trial=N
# (all three; see configs/_base_/datasets/regdb.py).
_base_ = [
    '../../../configs/_base_/models/agw_r50.py',
    '../../../configs/_base_/datasets/regdb.py',
    '../../../configs/_base_/datasets/agw_caj_pipelines.py',
    '../../../configs/_base_/schedules/agw_sgd_warmup.py',
    '../../../configs/_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=206))
train_dataloader = dict(
    sampler=dict(draw='agw'),
    dataset=dict(pipeline={{_base_.agw_train_pipeline}}))
test_dataloader = dict(dataset=dict(pipeline={{_base_.agw_test_pipeline}}))
val_dataloader = test_dataloader
