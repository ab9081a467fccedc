# Ablation row 1: the AGW baseline inside the ICRE model with every ICRE part
# switched off (backbone, heads, losses, data, schedule and seed identical to
# the other rows; the feature is BN(GeM(layer4))).
_base_ = ['../demo.py']
model = dict(mpfr=None, sdce=None, loss_icg=None, test_feature='deep')
