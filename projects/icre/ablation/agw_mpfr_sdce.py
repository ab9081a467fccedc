# Ablation row 4: AGW + MPFR + SDCE (no ICG loss).
_base_ = ['../demo.py']
model = dict(loss_icg=None)
