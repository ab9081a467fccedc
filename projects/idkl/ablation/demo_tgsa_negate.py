# IDKL demo with TGSA's softmax over -D (nearer = more probable) instead of
# the code's softmax over raw distances. On the synthetic set, the demo
# without TGSA beat the full demo by 6 R1 (projects/idkl/README.md); this
# row asks whether the quirk is what hurts.
_base_ = ['../demo.py']
model = dict(loss_tgsa=dict(negate=True))
