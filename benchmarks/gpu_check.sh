#!/usr/bin/env bash
# One prepared GPU check (<= 8 minutes on one H100/H200-class GPU): for every
# shipped method at its real size, training throughput (Runner vs plain loop)
# in bf16 AMP and fp32, finite AMP losses, host-device syncs of one step, and
# the evaluation benchmark. Prints everything; writes a copy to $OUT (or
# ./work_dirs/gpu_check) as gpu_check.log.
#
# Host-device syncs: one bf16 step of each method (data preprocessor,
# forward, backward, SGD step) runs under torch.cuda.set_sync_debug_mode;
# the count and the source lines are printed. No method may sync at all
# (MAX_SYNCS 0: a sync fails the check loudly and the script exits non-zero
# at the end). On the CPU, tests/test_models/test_sync_free.py runs the same
# step of every method with the model on the meta device, where any host
# read of a device value raises; this check also sees what that cannot
# (blocking copies, syncs inside torch).
#   bash benchmarks/gpu_check.sh            # from the repo root, venv active
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python}
OUT_DIR=${OUT:-work_dirs/gpu_check}
mkdir -p "$OUT_DIR"
LOG="$OUT_DIR/gpu_check.log"
export PYTHONUNBUFFERED=1
# method config (real size) and its batch
CONFIGS=(
  projects/agw/config.py
  projects/agw/caj_config.py
  projects/icre/config.py
)
# most host-device syncs allowed in one training step ('' = count only)
declare -A MAX_SYNCS=(
  [projects/agw/config.py]=0
  [projects/agw/caj_config.py]=0
  [projects/icre/config.py]=0
  [projects/idkl/configs/idkl-code_r50_1xb120-160e_sysu.py]=0
  [projects/mtrl/configs/mtrl_r50_1xb96-100e_sysu.py]=0
)
FAILED=0
for extra in projects/idkl/configs/idkl-code_r50_1xb120-160e_sysu.py \
             projects/mtrl/configs/mtrl_r50_1xb96-100e_sysu.py; do
  [ -f "$extra" ] && CONFIGS+=("$extra")
done
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  $PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0))"
  for cfg in "${CONFIGS[@]}"; do
    max=${MAX_SYNCS[$cfg]:-}
    echo "== $cfg: host-device syncs allowed per step: ${max:-not bounded}"
    if ! timeout 90 $PY benchmarks/train_speed.py --config "$cfg" --amp bf16 \
        --iters 20 --warmup 5 --workers 8 --sync-debug \
        ${max:+--max-syncs "$max"}; then
      echo "FAILED: $cfg bf16 (see above: loss, syncs or crash)"
      FAILED=1
    fi
    timeout 60 $PY benchmarks/train_speed.py --config "$cfg" --iters 10 \
      --warmup 3 --workers 8 --skip-runner || echo "FAILED: $cfg fp32"
  done
  timeout 60 $PY benchmarks/train_speed.py --config projects/agw/config.py \
    --amp bf16 --channels-last --iters 20 --warmup 5 --workers 8 \
    --skip-runner || echo "FAILED: channels_last"
  timeout 90 $PY benchmarks/eval_speed.py --skip-torchreid --skip-loop \
    || echo "FAILED: eval_speed"
  # the whole metric path with the certified float32 products on the CPU
  # (numpy) and on the GPU; the benchmark checks that the metrics are equal
  timeout 60 $PY benchmarks/eval_speed.py --metric-path \
    || echo "FAILED: metric path (CPU)"
  timeout 60 $PY benchmarks/eval_speed.py --metric-path --device cuda \
    || echo "FAILED: metric path (GPU products)"
  exit $FAILED
} 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] || echo "gpu_check: FAILED (a bounded step synced, a loss was not finite, or a run crashed)"
exit "$status"
