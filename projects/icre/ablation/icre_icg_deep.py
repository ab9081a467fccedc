# ICRE with ICG on the deep feature BN(f_deep) instead of the enhanced one
# (icg_input='auto' picks 'enh' when SDCE is there). On the synthetic set
# ICG on AGW's deep feature was the best row of the ablation, while ICG on
# BN(f_enh) added nothing to MPFR + SDCE (projects/icre/README.md).
_base_ = ['./icre.py']
model = dict(icg_input='deep')
