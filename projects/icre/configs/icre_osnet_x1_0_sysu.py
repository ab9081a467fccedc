# Mixing parts by config: ICRE's MPFR + SDCE + ICG on torchreid's OSNet-x1.0
# (stages conv3..conv5). ImageNet weights for OSNet: a local file through
# model.backbone.pretrained=<path>; none by default.
_base_ = ['../config.py']
model = dict(
    backbone=dict(
        _delete_=True, type='TorchreidBackbone', name='osnet_x1_0',
        out_indices=(2, 3, 4)),
    in_channels=(384, 512, 512),
    head=dict(in_channels=512),
    sdce=dict(pos_size=(18, 9)))
