# ICRE [RECON], SYSU-MM01 indoor-search evaluation of the same training.
_base_ = ['../config.py']
test_evaluator = dict(mode='indoor')
val_evaluator = dict(mode='indoor')
default_hooks = dict(checkpoint=dict(save_best=None))  # see ../config.py
