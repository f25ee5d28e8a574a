#!/usr/bin/env bash
# The main job on the shipped sample models: evaluation, fixed points, figures, and the
# population comparisons (SVCCA geometry and fixed-point topology) of BPTT versus GA.
# Usage: bash scripts/main_job.sh   (rnntool on PATH). Writes into ./models and ./figures;
# the sample models are copied into ./models first, never modified in place, and models
# already in ./models are kept, as are results they already hold (--keep): re-running the
# job is safe and cheap.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p models figures
cp -n sample_models/*.h5 sample_models/groups.txt models/

rnntool evaluate bptt_0050 ga_0050 ff_0050 hebb_0050 --keep
rnntool fixedpoints bptt_0050 --mode sparse --keep
rnntool fixedpoints bptt_0050 --mode large --method exact --keep
rnntool plot bptt_0050 flipflop_3bit ibl_50 ibl_2u --out figures
# the engellab MemoryAntiNumber network: its traced delay and recall line attractors in 3-D
rnntool plot man_1 --kind trials --kind attractor-map --dims 3 --out figures
rnntool svcca models/groups.txt
rnntool topology models/groups.txt
rnntool plot models/groups.svcca.h5 models/groups.topology.h5 --out figures
echo "figures written to $PWD/figures; 'source .venv/bin/activate' puts rnntool on PATH" >&2
