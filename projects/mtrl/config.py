# The MTRL entry config: SYSU-MM01 all-search, see
# configs/mtrl_r50_1xb96-100e_sysu.py.
#   python tools/train.py projects/mtrl/config.py
_base_ = ['./configs/mtrl_r50_1xb96-100e_sysu.py']
