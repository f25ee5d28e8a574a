#!/usr/bin/env bash
# Rebuild the System A sample ensemble in sample_models/: five 100-unit networks sharing one
# frozen G (the system-a preset's rec_seed), trained on the duration task at dt = 10 ms with
# the task's defaults (Adam 1e-3, batches of 32) for 300 updates (20 epochs; the study runs
# 50) as ONE batched run, then each evaluated (precision per duration). The study itself is
# N = 500 at dt = 1 ms; N = 100 keeps each file near 100 KB and the run to minutes.
#
# Usage: bash scripts/sample_models_system_a.sh   (called by scripts/make_sample_models.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${RNNTOOL_MODELS:-sample_models}
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 RNNTOOL_MODELS=$out

rnntool train sysA_small --task duration --dt 10 --n-rec 100 --seeds 1-5 --max-iters 300 --overwrite -q
rnntool evaluate sysA_small_s1 sysA_small_s2 sysA_small_s3 sysA_small_s4 sysA_small_s5 --trials 200 --overwrite -q
ls -l "$out"/sysA_small*
