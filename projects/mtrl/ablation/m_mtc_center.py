# Ablation row 4: + middle images + L_mtc + L_center.
_base_ = ['../demo.py']
model = dict(loss_mqr=None)
