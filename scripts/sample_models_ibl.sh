#!/usr/bin/env bash
# The closed-loop IBL sample agents of Schaeffer et al. (2020), trained by rnntool with its
# defaults (`rnntool train NAME --task ibl`: Adam, truncated BPTT, 150 iterations of 16
# four-block sessions): `ibl_50`, the 50-unit tanh RNN, and `ibl_2u`, the paper's 2-unit
# task-trained control. Each is then scored beside the Bayesian observer and actors on the
# same sessions (its session record stored in the file).
#
# Usage: bash scripts/sample_models_ibl.sh [JOBS]   (rnntool on PATH; called by
# scripts/make_sample_models.sh). About 5 minutes per agent on one idle core.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-2}
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 RNNTOOL_MODELS=${RNNTOOL_MODELS:-sample_models}

printf '%s\n' "ibl_50" "ibl_2u --n-rec 2" |
  xargs -P "$jobs" -I{} sh -c 'rnntool train {} --task ibl --seed 0 --overwrite -q'
rnntool evaluate ibl_50 ibl_2u --sessions 4 --blocks 5 -q
