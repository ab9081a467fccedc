# IDKL demo without CSA: neither the batch (L8) nor the sample (L9) term.
_base_ = ['../demo.py']
model = dict(loss_csa_batch=None, loss_csa_sample=None)
