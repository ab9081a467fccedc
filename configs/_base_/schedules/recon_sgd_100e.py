# The default recipe for [RECON] methods (docs/methods.md sec. 1.6, from AGW/CAJ):
# SGD nesterov, momentum 0.9, wd 5e-4; lr 0.1 for neck/heads and 0.01 for
# the backbone; 10-epoch linear warmup; x0.1 at epoch 20, x0.01 at 50;
# 100 epochs.
_base_ = ['./agw_sgd_warmup.py']
train_cfg = dict(max_epochs=100, val_interval=10)
