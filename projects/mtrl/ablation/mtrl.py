# Ablation row 5: full MTRL (middle images + L_mtc + L_center + L_mqr) =
# projects/mtrl/demo.py.
_base_ = ['../demo.py']
