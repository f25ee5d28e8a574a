#!/usr/bin/env bash
# The main job: train the default CDI model with BPTT and evaluate it.
# Usage: bash scripts/main_job.sh   (with rnntool on PATH; writes into ./models)
set -euo pipefail
model=$(rnntool train bptt_0050 -v 0.5 --N 2 --overwrite)
rnntool evaluate "$model"
