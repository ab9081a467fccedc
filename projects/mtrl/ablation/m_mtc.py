# Ablation row 3: + middle images + L_mtc.
_base_ = ['../demo.py']
model = dict(loss_center=None, loss_mqr=None)
