# The training / test pipelines of the official AGW and CAJ code
# (mangye16/Cross-Modal-Re-ID-baseline), at 288x144. Only new names are
# defined here so that this file can be a base next to any dataset file;
# use them as `pipeline={{_base_.agw_train_pipeline}}` etc.
#
# AGW: every image is resized once with PIL's antialiasing filter
# (Image.ANTIALIAS = LANCZOS), then Pad(10) + RandomCrop + HFlip, normalise.
# CAJ (ICCV21_CAJ/data_loader.py): each visible image gives TWO views, the
# original (+ channel random erasing) and an independently cropped / flipped
# / erased copy passed through ChannelExchange(gray=2); infrared images get
# erasing + ChannelAdapGray(p 0.5). Erasing (CIFAR-mean fill) and the channel
# operations act on the NORMALISED image, erasing first. multiview_collate
# orders the batch [V; V_ce; I].
_agw_resize = dict(
    type='ReIDResize', scale=(288, 144), interpolation='lanczos',
    backend='pillow')
agw_train_pipeline = [
    dict(type='LoadVIReIDImage'),
    _agw_resize,
    dict(type='RandomPadCrop', pad=10),
    dict(type='RandomHFlip', prob=0.5),
    dict(type='PackVIReIDInputs'),
]
agw_test_pipeline = [
    dict(type='LoadVIReIDImage'),
    _agw_resize,
    dict(type='PackVIReIDInputs'),
]
_caj_common = [
    dict(type='RandomPadCrop', pad=10),
    dict(type='RandomHFlip', prob=0.5),
    dict(type='NormalizeImage'),
    dict(type='ChannelRandomErasing', prob=0.5, space='normalized'),
]
caj_train_pipeline = [
    dict(type='LoadVIReIDImage'),
    _agw_resize,
    dict(
        type='ModalityViews',
        visible=[
            _caj_common + [dict(type='PackVIReIDInputs')],
            _caj_common + [
                dict(type='ChannelExchange', gray=2),
                dict(type='PackVIReIDInputs')
            ],
        ],
        infrared=[
            _caj_common + [
                dict(type='ChannelAdapGray', prob=0.5),
                dict(type='PackVIReIDInputs')
            ],
        ]),
]
