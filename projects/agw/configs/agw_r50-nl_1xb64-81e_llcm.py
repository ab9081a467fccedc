# AGW's recipe (288x144, official-code quirks as in the SYSU config) on
# LLCM, 713 training identities, evaluated with the DEEN protocol (both
# directions, 10 gallery trials). The official AGW code has no LLCM loader;
# DEEN's own LLCM recipe (384x144, grayscale, erasing) is in
# configs/_base_/datasets/llcm.py.
_base_ = [
    '../../../configs/_base_/models/agw_r50.py',
    '../../../configs/_base_/datasets/llcm.py',
    '../../../configs/_base_/datasets/agw_caj_pipelines.py',
    '../../../configs/_base_/schedules/agw_sgd_warmup.py',
    '../../../configs/_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=713))
train_dataloader = dict(
    batch_size=64,
    sampler=dict(num_ids=8, num_instances=4, draw='agw'),
    dataset=dict(pipeline={{_base_.agw_train_pipeline}}))
test_dataloader = dict(dataset=dict(pipeline={{_base_.agw_test_pipeline}}))
val_dataloader = test_dataloader
