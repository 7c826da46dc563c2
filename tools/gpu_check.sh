#!/usr/bin/env bash
# One lent GPU session, about 10 minutes: the CUDA build of torch, the package, the speed benchmark on ant
# (pwm_5M_baseline and pwm_5M_flow_k4_heun: fp32 with and without TF32, bf16, torch.compile) and the `#| gpu`
# cells of 07_buffer, 08_pwm and 10_train (the device buffer's slices, no host sync in the updates, compile =
# eager). Everything it writes goes under $OUT (default: ./gpu_out).
#   tools/gpu_check.sh          (torch from TORCH_INDEX, default PyTorch's cu128 wheels; a machine without network
#                                 sets WHEELS=<folder with the torch 2.13.0 CUDA wheel and its dependencies>)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu_out}
mkdir -p "$OUT"
export WANDB_MODE=disabled MPLBACKEND=Agg MUJOCO_GL=egl PYTHONUNBUFFERED=1
log() { echo "[$(date +%T)] $*" | tee -a "$OUT/gpu_check.log"; }
{ nvidia-smi; lscpu; uptime; git log -1 --oneline; } > "$OUT/machine.txt" 2>&1

# 1. torch 2.13.0 (the CPU pin's version) built for CUDA, unless it is there already; then the package
if ! python -c "import sys, torch; sys.exit(not (torch.__version__.startswith('2.13.0') and torch.cuda.is_available()))" 2>/dev/null; then
  TORCH_INDEX=${TORCH_INDEX:-https://download.pytorch.org/whl/cu128}
  SRC=(--index-url "$TORCH_INDEX")
  [ -n "${WHEELS:-}" ] && SRC=(--no-index --find-links "$WHEELS")
  log "installing torch==2.13.0 from ${SRC[*]}"
  python -m pip install -q torch==2.13.0 "${SRC[@]}" >> "$OUT/install.log" 2>&1 \
    || { log "torch install failed (see install.log)"; exit 1; }
fi
python -m pip install -q -e ".[dev]" >> "$OUT/install.log" 2>&1 || { log "package install failed"; exit 1; }
python -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda, torch.cuda.get_device_name())" \
  | tee -a "$OUT/gpu_check.log"

# 2. eager speed: fp32 without and with TF32, bf16 (interleaved within each command)
BENCH="flow-mbpo-bench speed --presets pwm_5M_baseline,pwm_5M_flow_k4_heun --env ant --epochs 5 --warmup 2"
log "speed, eager"
timeout 200 $BENCH --options "amp=none,tf32=0;amp=none;amp=bf16" --out "$OUT/speed_eager" > "$OUT/speed_eager.log" 2>&1
log "speed, eager: exit $?"

# 3. the GPU cells (correctness before the slowest benchmark)
log "nbdev-test --flags gpu (07_buffer, 08_pwm, 10_train)"
timeout 240 nbdev-test --flags gpu --n-workers 2 --file-re '^(07_buffer|08_pwm|10_train)\.ipynb$' > "$OUT/gpu_tests.log" 2>&1
log "gpu tests: exit $? (see gpu_tests.log)"

# 4. torch.compile against eager bf16, same command so the two are interleaved
log "speed, compile"
timeout 240 $BENCH --options "amp=bf16;amp=bf16,compile=1" --out "$OUT/speed_compile" > "$OUT/speed_compile.log" 2>&1
log "speed, compile: exit $?"
cat "$OUT"/speed_*/speed.md 2>/dev/null | tee -a "$OUT/gpu_check.log"
