#!/usr/bin/env bash
# Rebuild the task-suite sample models: one per configuration of the multitask delay networks
# (slibkind/multitask-networks, 2023) and of the engellab RNN training pipeline (2023), each
# trained with its task's own defaults (network, learning rate, batch, regularisers, held-out
# validation, plateau stopping), evaluated, and with its fixed points or traced attractors
# stored in the file.
#
# Usage: bash scripts/sample_models_tasks.sh [OUT]   (rnntool on PATH; OUT: sample_models)
# Runs one job at a time, about 1.5 hours on a 2-core machine shared with other work. The
# iteration budgets below are far smaller than the originals' (multitask 60 001 steps;
# engellab 800–1500 iterations) so that the whole set fits that machine: these are small
# demonstration models, not converged replications (docs/tasks.md lists what each reached).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-sample_models}
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 RNNTOOL_MODELS=$out
train=(--seed 0 --overwrite --log-every 60)
keep=(--overwrite)
# compact fixed-point results (tens of kilobytes): eigenvectors of unstable modes only
compact=(--opt n_modes=0 --overwrite)

# multitask delay networks: 256 leaky softplus rate units, one-hot task ID; fixed points
# along the stim→delay and delay→go input sweeps of every task and stimulus
rnntool train mt_1 --task delaygo,delayanti --max-iters 1500 "${train[@]}"
rnntool evaluate mt_1 "${keep[@]}"
rnntool fixedpoints mt_1 --sweep stim:delay,delay:go --interp 20 --n-inits 256 "${compact[@]}"
# engellab pipeline: CDDM (relu + Dale) with a line attractor per context
rnntool train cddm_1 --task cddm --max-iters 150 "${train[@]}"
rnntool evaluate cddm_1 "${keep[@]}"
rnntool fixedpoints cddm_1 --trace line "${keep[@]}"
# the two memory tasks (tanh): a line attractor (numbers) and a ring (angles)
rnntool train man_1 --task memory_anti_number --max-iters 300 "${train[@]}"
rnntool evaluate man_1 "${keep[@]}"
rnntool fixedpoints man_1 --trace line "${keep[@]}"
rnntool train maa_1 --task memory_anti_angle --max-iters 300 "${train[@]}"
rnntool evaluate maa_1 "${keep[@]}"
rnntool fixedpoints maa_1 --trace ring "${keep[@]}"
# DMTS (relu + Dale) and the 2-bit flip-flop: fixed points of every period's input / zero input
rnntool train dmts_1 --task dmts --max-iters 400 "${train[@]}"
rnntool evaluate dmts_1 "${keep[@]}"
rnntool fixedpoints dmts_1 --inputs periods "${compact[@]}"
rnntool train ff2 --task flipflop --bits 2 --task-opt variant=engellab --max-iters 400 "${train[@]}"
rnntool evaluate ff2 "${keep[@]}"
rnntool fixedpoints ff2 --inputs zeros "${compact[@]}"
ls -l "$out"
