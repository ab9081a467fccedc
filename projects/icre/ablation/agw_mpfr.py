# Ablation row 3: AGW + MPFR (enhanced feature = GeM of the fused MPFR map,
# with its own BNNeck head; no SDCE, no ICG).
_base_ = ['../demo.py']
model = dict(sdce=None, loss_icg=None)
