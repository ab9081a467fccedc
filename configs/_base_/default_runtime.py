# Runtime defaults shared by every vireid config.
default_scope = 'vireid'
custom_imports = dict(
    imports=['vireid.utils.compat', 'vireid.engine'],
    allow_failed_imports=False)
# VIReIDRunner = mmengine Runner + checkpoint trust rule + CPU DDP fix.
runner_type = 'VIReIDRunner'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        interval=10,
        max_keep_ckpts=3,
        # No best.pth by default: SYSU-MM01, RegDB and LLCM have no
        # validation split, so 'best' would be chosen on the test metric.
        # Configs with a real validation set may set save_best='<metric>'.
        save_best=None,
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)

# cudnn_benchmark: the input size is fixed per config, so cuDNN picks its
# fastest convolution algorithms once (no effect without CUDA).
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # VIReIDRunner uses gloo without CUDA
)

vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
]
# VIReIDVisualizer = mmengine's Visualizer + ranked lists (RankedListVisHook
# sends its pictures to every backend, e.g. TensorBoard's Images tab).
visualizer = dict(type='VIReIDVisualizer', vis_backends=vis_backends)
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)
log_level = 'INFO'

load_from = None
resume = False

# Fixed seed: the cross-modal sampler draws from seed + epoch, so a resumed
# run sees the same batches as an uninterrupted one.
randomness = dict(seed=0, diff_rank_seed=False, deterministic=False)
