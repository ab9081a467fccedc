# AGW (Ye et al., TPAMI 2021) on SYSU-MM01 all-search, as the official code
# (mangye16/Cross-Modal-Re-ID-baseline, `train.py --method agw`) trains it:
# two-stream ResNet-50 (modality-specific stem) + 5 non-local blocks with ONE
# inner channel + GeM + BNNeck; ID + WRT triplet with the released code's
# weights; PIL-antialiased 288x144 resize, Pad(10)+crop+flip; AGW's sampler
# (8 ids drawn without replacement per batch, 4 V + 4 I images each drawn
# with replacement, int(N / 32) + 1 batches per epoch); SGD warmup schedule,
# 81 epochs. The last epoch is reported (no best.pth on the test metric).
# Reference (official README): R1 47.50, mAP 47.65, mINP 35.30.
_base_ = [
    '../../../configs/_base_/models/agw_r50.py',
    '../../../configs/_base_/datasets/sysu_mm01.py',
    '../../../configs/_base_/datasets/agw_caj_pipelines.py',
    '../../../configs/_base_/schedules/agw_sgd_warmup.py',
    '../../../configs/_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=395))
train_dataloader = dict(
    sampler=dict(draw='agw'),
    dataset=dict(pipeline={{_base_.agw_train_pipeline}}))
test_dataloader = dict(dataset=dict(pipeline={{_base_.agw_test_pipeline}}))
val_dataloader = test_dataloader
