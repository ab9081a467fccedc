# Control for the demo: the same AGW model, data, schedule and seed, trained
# on VISIBLE images only (the sampler draws P ids x 8 visible images), with a
# single shared stem (share_from=0) so infrared test images go through
# trained weights. Evaluated cross-modally like the demo.
_base_ = ['./demo.py']
model = dict(backbone=dict(share_from=0))
# (the queue draw: AGW's draw needs both modalities)
train_dataloader = dict(sampler=dict(modalities=(0, ), draw='queue'))
