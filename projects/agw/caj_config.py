# CAJ on SYSU-MM01 all-search, the official recipe. Kept as a short name for
# configs/caj_r50_1xb96-100e_sysu.py (see that file and README.md).
_base_ = ['./configs/caj_r50_1xb96-100e_sysu.py']
