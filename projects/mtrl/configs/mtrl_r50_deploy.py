# The deployed MTRL model: a plain VIReIDModel with exactly MTRL's backbone,
# neck and head (SYSU-MM01, 395 classes) -- no generator, no MTRL loss.
# Convert a trained MTRL checkpoint and test it with:
#   python tools/model_converters/mtrl_to_deploy.py \
#       work_dirs/mtrl/epoch_100.pth work_dirs/mtrl/deploy.pth \
#       --deploy-config projects/mtrl/configs/mtrl_r50_deploy.py
#   python tools/test.py projects/mtrl/configs/mtrl_r50_deploy.py \
#       work_dirs/mtrl/deploy.pth
_base_ = ['./mtrl_r50_1xb96-100e_sysu.py']
model = dict(
    _delete_=True,
    type='VIReIDModel',
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone={{_base_.model.backbone}},
    neck={{_base_.model.neck}},
    head={{_base_.model.head}})
