# CAJ (Ye et al., ICCV 2021) on regdb, as the official ICCV21_CAJ code trains
# it (`train_ext.py --method adp --augc 1 --rande 0.5 --alpha 1 --gamma 1
# --square 1`): the AGW model and schedule, 100 epochs; each visible image
# gives the original and a ChannelExchange(gray=2) copy (independent crop /
# flip / erasing, same label), infrared images get ChannelAdapGray; erasing
# and channel operations in normalised space; batch [V; V_ce; I] = 96 images
# from 8 ids x 4 (the loader's batch_size counts the sampler's 64 indices);
# ID loss + TripletLoss_ADP (alpha 1, gamma 1, squared gap) on all 96.
# Reference (official README): R1 85.03, mAP 79.14, mINP 65.33. Trial as in
# agw_r50-nl_1xb64-81e_regdb.py.
_base_ = ['./agw_r50-nl_1xb64-81e_regdb.py']
model = dict(
    head=dict(
        loss_triplet=dict(
            _delete_=True,
            type='ADPTripletLoss',
            alpha=1.0,
            gamma=1.0,
            square=True,
            weighting='official')))
train_dataloader = dict(
    collate_fn=dict(type='vireid.multiview_collate'),
    dataset=dict(pipeline={{_base_.caj_train_pipeline}}))
train_cfg = dict(max_epochs=100)
