# AGW on SYSU-MM01 all-search, the official recipe. Kept as a short name for
# configs/agw_r50-nl_1xb64-81e_sysu.py (see that file and README.md).
_base_ = ['./configs/agw_r50-nl_1xb64-81e_sysu.py']
