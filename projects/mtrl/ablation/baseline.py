# Ablation row 1: the baseline -- the MTRL model with no middle images and no
# MTRL loss: ID + WRT triplet on [V; I] (64 per step), i.e. exactly
# projects/agw/demo.py (same modules, same initialisation, same losses;
# tests/test_models/test_mtrl.py::test_baseline_is_the_plain_model).
_base_ = ['../demo.py']
model = dict(generator=None, loss_mtc=None, loss_center=None, loss_mqr=None)
