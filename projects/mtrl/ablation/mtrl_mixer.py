# Variant (not in the seed study): full MTRL with the learnable 1x1 channel
# mixer as the generator (trained jointly, dropped at deployment: its 4
# weights, generator.mix.*, are the only train-only parameters).
_base_ = ['../demo.py']
model = dict(generator=dict(_delete_=True, type='ChannelMixerTransition'))
