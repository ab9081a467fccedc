# Ablation row 3: AGW + MPFR (enhanced feature = GeM of the fused MPFR map,
# with its own BNNeck head; no SDCE, no ICG). The enhanced triplet acts on
# the pre-BN GeM(F_mp), as AGW's deep triplet does: with the base config's
# enh_metric_feature='bn' this row's BN scale collapsed (|gamma| 1 -> 0.003
# by epoch 6, enh.loss_id pinned at ln 120, enh triplet at its margin; see
# projects/icre/README.md), which ICRE's residual SDCE output did not.
_base_ = ['../demo.py']
model = dict(sdce=None, loss_icg=None, enh_metric_feature='pool')
