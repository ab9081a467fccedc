# The deployed form of projects/mtrl/demo.py: a plain VIReIDModel with the
# demo's backbone, neck and head (what tools/model_converters/
# mtrl_to_deploy.py loads a trained demo checkpoint into; used for the
# inference-cost comparison in the README).
_base_ = ['./demo.py']
model = dict(
    _delete_=True,
    type='VIReIDModel',
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone={{_base_.model.backbone}},
    neck={{_base_.model.neck}},
    head={{_base_.model.head}})
