# IDKL demo without TGSA (L7).
_base_ = ['../demo.py']
model = dict(loss_tgsa=None)
