# CAJ (Ye et al., ICCV 2021) channel augmentation on the AGW model:
# ChannelRandomErasing on every image, ChannelExchange on visible images with
# probability 0.5 via ChannelAdapGray-style replacement, ChannelAdapGray on
# infrared images; 100 epochs. CAJ's extra channel-exchanged *copy* of each
# visible image (a third batch group) is not reproduced: here the exchange
# replaces the visible image half of the time.
_base_ = ['./config.py']
img_scale = (288, 144)
train_pipeline = [
    dict(type='LoadVIReIDImage'),
    dict(type='ReIDResize', scale=img_scale),
    dict(type='RandomPadCrop', pad=10),
    dict(type='RandomHFlip', prob=0.5),
    dict(type='ChannelAdapGray', prob=0.5, modality=1),
    dict(type='ChannelAdapGray', prob=0.5, modality=0),
    dict(type='ChannelRandomErasing', prob=0.5),
    dict(type='PackVIReIDInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
train_cfg = dict(max_epochs=100)
