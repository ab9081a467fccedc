# The IDKL demo with the CPU demo's optimiser instead of IDKL's: SGD
# (nesterov, momentum 0.9, wd 5e-4) at lr 0.01 everywhere (0.1 diverges to
# NaN within 5 epochs), 1-epoch linear
# warmup, x0.1 for the last of 6 epochs -- the schedule of
# projects/agw/demo.py. IDKL's own Adam 3.5e-4 (projects/idkl/demo.py)
# barely moves a from-scratch model in the demo's 216 steps; this variant
# asks whether the IDKL model learns on the synthetic set at all when it is
# given the schedule the AGW demo gets. Model, losses and quirks unchanged.
#   python tools/train.py projects/idkl/demo_sgd.py
_base_ = ['./demo.py']
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, milestones=[5], gamma=0.1),
]
