# IDKL demo without IIP: no purifier (the specific stream's pooled map is
# layer4 itself) and no IIP loss (L6).
_base_ = ['../demo.py']
model = dict(purifier=None, loss_iip=None)
