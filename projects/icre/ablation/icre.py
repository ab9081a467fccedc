# Ablation row 5: full ICRE (MPFR + SDCE + ICG) = the demo config.
_base_ = ['../demo.py']
