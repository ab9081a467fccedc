# Ablation row 2: AGW + ICG loss (on the deep feature; no extra parameters).
# This is also how to put the ICG loss on AGW in any config.
_base_ = ['../demo.py']
model = dict(mpfr=None, sdce=None, test_feature='deep')
