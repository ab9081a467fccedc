# CAJ on the synthetic SYSU-MM01-layout data set, the AGW demo's model and
# schedule (see demo.py) with CAJ's training side: two visible views
# (original + ChannelExchange(gray=2) copy), ChannelAdapGray on infrared,
# CIFAR-mean channel erasing and channel operations in normalised space,
# batch [V; V_ce; I] (32 + 32 + 32 = 96 images) and
# TripletLoss_ADP (alpha 1, gamma 1, squared gap). ReIDResize stays at
# pipeline index 1 (the seed study's quick preset sets its scale).
#   python tools/train.py projects/agw/demo_caj.py
_base_ = ['./demo.py']
model = dict(
    head=dict(
        loss_triplet=dict(
            _delete_=True,
            type='ADPTripletLoss',
            alpha=1.0,
            gamma=1.0,
            square=True,
            weighting='official')))
caj_common = [
    dict(type='RandomPadCrop', pad=4),
    dict(type='RandomHFlip', prob=0.5),
    dict(type='NormalizeImage'),
    dict(type='ChannelRandomErasing', prob=0.5, space='normalized'),
]
train_dataloader = dict(
    collate_fn=dict(type='vireid.multiview_collate'),
    dataset=dict(pipeline=[
        dict(type='LoadVIReIDImage'),
        {{_base_.demo_resize}},
        dict(
            type='ModalityViews',
            visible=[
                caj_common + [dict(type='PackVIReIDInputs')],
                caj_common + [
                    dict(type='ChannelExchange', gray=2),
                    dict(type='PackVIReIDInputs')
                ],
            ],
            infrared=[
                caj_common + [
                    dict(type='ChannelAdapGray', prob=0.5),
                    dict(type='PackVIReIDInputs')
                ],
            ]),
    ]))
