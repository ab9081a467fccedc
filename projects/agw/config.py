# AGW (Ye et al., TPAMI 2021) on SYSU-MM01 all-search, the official recipe:
# two-stream ResNet-50 + non-local + GeM + BNNeck, ID + WRT triplet,
# 8 ids x (4 V + 4 IR), 288x144, SGD warmup schedule, 81 epochs.
_base_ = [
    '../../configs/_base_/models/agw_r50.py',
    '../../configs/_base_/datasets/sysu_mm01.py',
    '../../configs/_base_/schedules/agw_sgd_warmup.py',
    '../../configs/_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=395))
default_hooks = dict(checkpoint=dict(save_best='sysu-all-t2v/rank1'))
