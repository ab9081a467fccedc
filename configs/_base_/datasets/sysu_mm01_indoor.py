_base_ = ['./sysu_mm01.py']
test_evaluator = dict(mode='indoor')
val_evaluator = dict(mode='indoor')
