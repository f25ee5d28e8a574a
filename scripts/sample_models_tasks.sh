#!/usr/bin/env bash
# Rebuild the task-suite sample models: one per configuration of the multitask delay networks
# (slibkind/multitask-networks, 2023) and of the engellab RNN training pipeline (2023), each
# trained with its task's own defaults (network, learning rate, batch, regularisers, held-out
# validation) until its held-out MSE stops improving (the task's plateau rule: no gain of 1e-4
# for 20 checks, i.e. 500 iterations for the multitask networks, 200 for the engellab tasks,
# 1000 for DMTS: 100 checks), evaluated, with its fixed points or traced attractors stored, and
# its figures drawn.
#
# Usage: bash scripts/sample_models_tasks.sh [OUT [MODEL …]]
#   OUT     where the models go (default sample_models); MODEL: some of mt_1 mt_2 mtc_1
#           cddm_1 man_1 maa_1 dmts_1 flipflop_2bit (default all)
#   DEVICE  torch device of training, evaluation and fixed points (default cpu; e.g. cuda)
#   JOBS    models built side by side (default 1; each model is one chain of commands)
#   MAX_ITERS  the same iteration cap for every model (default: per model below; a cap
#           only — the plateau rule ends a run first)
#   RNNTOOL the command to run (default rnntool; e.g. "python -m rnntool")
#   LOGS    folder of one log per model when JOBS > 1 (default build/sample_models_logs)
# Trainings write a checkpoint every 100 iterations and resume from it: running the script
# again after an interruption continues where each model stopped.
# On one CPU core the whole set takes many hours (about 1–4 s per iteration for each engellab
# task, 1 s for the multitask networks); docs/tasks.md lists what each model reached.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-sample_models}
shift $(( $# > 0 ? 1 : 0 ))
device=${DEVICE:-cpu}
jobs=${JOBS:-1}
logs=${LOGS:-build/sample_models_logs}
read -r -a rnntool <<< "${RNNTOOL:-rnntool}"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} MKL_NUM_THREADS=${MKL_NUM_THREADS:-1} RNNTOOL_MODELS=$out
mkdir -p "$out"

# train NAME CAP ARGS…: the task's defaults and plateau rule, within CAP iterations (the
# engellab pipeline's own budgets were 800–1500, the multitask networks' 60 001 steps);
# seed 0 unless ARGS name another
train() {
  local name=$1 cap=${MAX_ITERS:-$2}
  shift 2
  "${rnntool[@]}" train "$name" --seed 0 "$@" --max-iters "$cap" --device "$device" \
    --checkpoint-every 100 --resume --overwrite --log-every 60
}
evaluate() { "${rnntool[@]}" evaluate "$1" --device "$device" --overwrite; }
fixedpoints() { "${rnntool[@]}" fixedpoints "$@" --device "$device" --overwrite; }
# fixed points kept compact: exact roots only (hundreds of slow points would add megabytes),
# eigenvectors of their unstable modes only
roots=(--opt n_modes=0 --opt slow_q=1e-20)
figures() { "${rnntool[@]}" plot "$1" --out figures -q; }

# multitask delay networks: 256 leaky softplus rate units, one-hot task ID
build_mt_1() {   # fixed points along the stim→delay and delay→go sweeps of every task and stimulus
  train mt_1 20000 --task delaygo,delayanti
  evaluate mt_1
  fixedpoints mt_1 --sweep stim:delay,delay:go --interp 20 --n-inits 256 "${roots[@]}"
  figures mt_1
  "${rnntool[@]}" plot mt_1 --kind sweep --kind attractor-map --dims 3 --out figures -q
}
build_mt_2() {   # four tasks, variable period durations; fixed points at every period's input
  train mt_2 20000 --task delaygo,delayanti,dms,antidms --task-opt durations=var
  evaluate mt_2
  fixedpoints mt_2 --inputs periods --n-inits 256 "${roots[@]}"
  figures mt_2
}
build_mtc_1() {   # the continuous delay tasks: the remembered direction on one ring per task
  train mtc_1 20000 --task delaygo_continuous,delayanti_continuous
  evaluate mtc_1
  # eight directions anchor each ring, so a spacing of the 31 points is long: reach 1
  fixedpoints mtc_1 --trace ring --trace-reach 1
  figures mtc_1
}
# engellab pipeline (relu + Dale for CDDM and DMTS, tanh otherwise)
build_cddm_1() {   # a line attractor per context
  train cddm_1 3000 --task cddm
  evaluate cddm_1
  fixedpoints cddm_1 --trace line
  figures cddm_1
  "${rnntool[@]}" plot cddm_1 --kind attractor-map --dims 3 --out figures -q
}
build_man_1() {   # the delay line (orthogonal to the readout) and the recall line
  train man_1 2400 --task memory_anti_number
  evaluate man_1
  fixedpoints man_1 --trace line
  figures man_1
  "${rnntool[@]}" plot man_1 --kind attractor-map --dims 3 --out figures -q
}
build_maa_1() {   # the delay and recall rings
  train maa_1 4500 --task memory_anti_angle
  evaluate maa_1
  fixedpoints maa_1 --trace ring
  figures maa_1
}
build_dmts_1() {   # fixed points at every period's input
  # seed 1: under the pipeline's configuration DMTS is seed-sensitive (docs/tasks.md);
  # seed 0 stops at 87 % correct with the "match" answer silent
  train dmts_1 3000 --task dmts --seed 1
  evaluate dmts_1
  fixedpoints dmts_1 --inputs periods "${roots[@]}"
  figures dmts_1
}
build_flipflop_2bit() {   # the 2-bit flip-flop's corner attractors (and any others) at zero input
  train flipflop_2bit 3000 --task flipflop --bits 2 --task-opt variant=engellab
  evaluate flipflop_2bit
  fixedpoints flipflop_2bit --inputs zeros "${roots[@]}"
  figures flipflop_2bit
}

models=("$@")
(( ${#models[@]} )) || models=(mt_1 mt_2 mtc_1 cddm_1 man_1 maa_1 dmts_1 flipflop_2bit)
for m in "${models[@]}"; do
  declare -F "build_$m" > /dev/null || { echo "unknown sample model $m" >&2; exit 2; }
done
if (( jobs <= 1 )); then
  for m in "${models[@]}"; do "build_$m"; done
else
  mkdir -p "$logs"
  failed=0
  for m in "${models[@]}"; do
    while (( $(jobs -rp | wc -l) >= jobs )); do wait -n || failed=1; done
    echo "building $m (log: $logs/$m.log)" >&2
    ( set -e; "build_$m" ) > "$logs/$m.log" 2>&1 &
  done
  while (( $(jobs -rp | wc -l) > 0 )); do wait -n || failed=1; done
  (( failed == 0 )) || { echo "some models failed: see $logs/" >&2; exit 1; }
fi
ls -l "$out"
