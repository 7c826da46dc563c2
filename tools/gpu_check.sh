#!/usr/bin/env bash
# One lent GPU session of about 10 minutes on a machine that reaches no network (Python 3.12, its own CUDA build of
# torch, no mujoco / dm_control / fastcore / nbdev): the GPU figures the package owes, most important first.
#   (1) flow-mbpo-bench speed on ant, pwm_5M_baseline and pwm_5M_flow_k4_heun, fp32 / TF32 / bf16, eager:
#       env steps/s, per-phase seconds, GPU busy fraction
#   (2) the `#| gpu` cells of 07_buffer, 08_pwm and 10_train (tools/gpu_check.py cells: no nbdev needed)
#   (3) torch.compile against eager (bf16), without and with torch._inductor.config.fallback_random
#   (4) pwm_5M_baseline on ant for the minutes left: its learning curve and env steps/s end to end (the headline),
#       then one profiled epoch if time is left
# Each step has its own time limit and the next runs whatever the last did; the whole ends inside BUDGET seconds
# (default 540). Everything comes back in at most 8 files in $OUT: log.txt, summary.md, speed.csv, run_metrics.jsonl,
# run_curve.png, profile.txt. Scratch (run directories) goes to $WORK.
#
# On the GPU machine (the wheels from tools/gpu_wheels.sh travel as .whl; the device tool's `carry: [".whl"]`):
#   bash tools/gpu_check.sh                 installs .whl/*.whl into /tmp/site (--no-index --no-deps), runs
#                                           the package from this tree (PYTHONPATH), keeps the machine's torch
# Anywhere, first (CPU, about 3 minutes):
#   bash tools/gpu_check.sh --cpu-dry-run   every step with tiny networks, 4 envs, device=cpu, short limits
set -uo pipefail
cd "$(dirname "$0")/.."
DRY=0; [ "${1:-}" = "--cpu-dry-run" ] && DRY=1
OUT=${OUT:-gpu_out}; WORK=${WORK:-${TMPDIR:-/tmp}/flow_mbpo_gpu_check}
PY=${PYTHON:-python3}
BUDGET=${BUDGET:-540}
mkdir -p "$OUT"; rm -rf "$WORK"; mkdir -p "$WORK"
LOG="$OUT/log.txt"; : > "$LOG"
# nothing here renders: MUJOCO_GL=disable needs neither PyOpenGL's EGL nor a libEGL on the machine
export WANDB_MODE=disabled MPLBACKEND=Agg MUJOCO_GL=disable PYTHONUNBUFFERED=1
T0=$(date +%s)
left() { echo $(( BUDGET - ($(date +%s) - T0) )); }
log() { echo "[$(date +%T) +$(( $(date +%s) - T0 ))s] $*" | tee -a "$LOG"; }
# step NAME LIMIT CMD...: run CMD for at most LIMIT seconds, and never into the RESERVE seconds that the budget keeps
# for what follows; its output goes to the log. KILL: seconds between SIGTERM and SIGKILL.
RESERVE=0 KILL=20
step() {
  local name=$1 limit=$2; shift 2
  local avail=$(( $(left) - RESERVE ))
  [ "$avail" -lt "$limit" ] && limit=$avail
  if [ "$limit" -lt 10 ]; then log "$name: skipped (${avail}s left of the budget)"; return 1; fi
  log "$name: start (limit ${limit}s): $*"
  local t=$(date +%s)
  timeout -k "$KILL" "$limit" "$@" >> "$LOG" 2>&1
  local rc=$?
  log "$name: exit $rc$([ $rc = 124 ] && echo ' (time limit)') after $(( $(date +%s) - t ))s"
  return $rc
}

# 0. the machine, the wheels, the versions
{ echo "== machine"; nvidia-smi 2>&1 || echo "no nvidia-smi"; lscpu 2>/dev/null | grep -E "^(Model name|CPU\(s\))";
  uptime
  echo "commit ${GIT_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo 'unknown (no .git: set GIT_COMMIT)')}"
} >> "$LOG" 2>&1
if [ -d .whl ] && "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))'; then
  log "installing $(ls .whl/*.whl | wc -l) wheels into /tmp/site (no index, no deps)"
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    >> "$LOG" 2>&1 || log "wheel install FAILED (see above)"
  export PYTHONPATH="$PWD:/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
  broken=$("$PY" -m pip check 2>&1 | grep -iE \
    "^(mujoco|dm.control|dm.env|dm.tree|labmaze|glfw|pyopengl|websockets|fastcore|submitit|rliable|arch) ")
  { echo "== pip check (the brought wheels against the image)"
    echo "${broken:-no broken requirement among the brought wheels}"; } >> "$LOG"
else
  log "no install: $( [ -d .whl ] || echo 'no .whl folder; ')$("$PY" -V 2>&1) (the wheels are for 3.12);" \
    "the package and its dependencies come from this environment"
  export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
fi
"$PY" tools/gpu_check.py versions > "$WORK/versions.txt" 2>&1; cat "$WORK/versions.txt" >> "$LOG"

# limits in seconds: L1-L3B the steps, MIN_RUN the least time the run keeps, L5 the profile, LREP the report
if [ $DRY = 1 ]; then
  DEV=(--device cpu --tiny)
  L1=100 L2=150 L3A=100 L3B=100 L4=60 L5=60 LREP=60 MIN_RUN=30
  RUNOV=(train.wm_warmup_iters=20 train.eval_every=10 train.eval_episodes=2 env.episode_length=40 train.ckpt_every=10)
  S1=(--epochs 2 --warmup 1) S3=(--presets pwm_5M_baseline --epochs 1 --warmup 1 --backend aot_eager)
  S3B=("${S3[@]}")
else
  "$PY" -c "import torch; assert torch.cuda.is_available()" >> "$LOG" 2>&1 \
    || log "CUDA NOT AVAILABLE: the steps will fail"
  DEV=(--device cuda)
  L1=150 L2=150 L3A=110 L3B=60 L4=100000 L5=40 LREP=45 MIN_RUN=60
  RUNOV=()
  S1=(--epochs 3 --warmup 1) S3=(--epochs 3 --warmup 2) S3B=(--presets pwm_5M_baseline --epochs 3 --warmup 2)
fi
GRACE=45   # the run's SIGTERM to SIGKILL: it ends its epoch and writes its checkpoint (the replay buffer included)

RESERVE=$(( MIN_RUN + GRACE + L5 + LREP ))
# (1) eager speed, interleaved: fp32 without TF32, TF32 (the CUDA default), bf16
step "(1) speed, eager" $L1 "$PY" tools/gpu_check.py speed "$WORK" "${DEV[@]}" "${S1[@]}"
# (2) the GPU cells of 07, 10, 08 (08's compiles the two presets: the slowest, so last)
step "(2) #| gpu cells" $L2 "$PY" tools/gpu_check.py cells "$WORK" nbs/07_buffer.ipynb nbs/10_train.ipynb \
  nbs/08_pwm.ipynb
# (3) compile against eager (bf16); then the compiled baseline with fallback_random, to price it
step "(3a) compile vs eager" $L3A "$PY" tools/gpu_check.py compile "$WORK" "${DEV[@]}" "${S3[@]}"
step "(3b) compile vs eager, fallback_random" $L3B "$PY" tools/gpu_check.py compile "$WORK" "${DEV[@]}" \
  "${S3B[@]}" --fallback-random
# (4) PWM's pwm_5M_baseline on ant until the time left (less the profile's and the report's) is up: SIGTERM stops it
# at the end of an epoch with a checkpoint; its curve and env steps/s go into the report
RESERVE=$(( GRACE + L5 + LREP )) KILL=$GRACE
RUN_S=$(( $(left) - RESERVE )); [ $RUN_S -gt $L4 ] && RUN_S=$L4
step "(4) pwm_5M_baseline run" $RUN_S "$PY" tools/gpu_check.py run "$WORK" $RUN_S "${DEV[@]}" --overrides "${RUNOV[@]}"
RESERVE=$LREP KILL=20
step "(5) one profiled epoch" $L5 "$PY" tools/gpu_check.py profile "$WORK" "${DEV[@]}"
RESERVE=0
step "report" $LREP "$PY" tools/gpu_check.py report "$WORK" "$OUT" $([ $DRY = 1 ] && echo --dry)
cat "$OUT/summary.md" 2>/dev/null
log "done in $(( $(date +%s) - T0 ))s; $(ls "$OUT" | wc -l) files in $OUT: $(ls "$OUT" | tr '\n' ' ')"
