# Ablation row 2: + grey middle images in the batch ([V; M; I], 96 per step)
# with ID + triplet only (no MTRL loss).
_base_ = ['../demo.py']
model = dict(loss_mtc=None, loss_center=None, loss_mqr=None)
