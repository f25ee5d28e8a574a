#!/usr/bin/env bash
# Rebuild sample_models/ from scratch. Every model is trained by rnntool itself with its
# default (McMahan et al. 2021) settings; the fixed points that `topology` reuses are stored in them.
#
# Usage: bash scripts/make_sample_models.sh [JOBS]
#   JOBS independent trainings run side by side, one thread each (default 2: two
#   one-thread processes outrun one two-thread process on a 2-core machine).
# Takes about 40 minutes on 2 cores, most of it the genetic algorithm and full-FORCE.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-2}
out=sample_models
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 RNNTOOL_MODELS=$out

specs=()
# The GA scores each generation on 100 trials instead of McMahan et al. 2021's 500: five times cheaper
# per generation, and it still reaches the 90 % criterion.
for s in 0 1 2 3; do specs+=("ga_005$s -v 0.5 --N 2 --seed $s --opt batch_size=100"); done
for s in 0 1 2 3; do specs+=("bptt_005$s -v 0.5 --N 2 --seed $s"); done
specs+=("ff_0050 -v 0.5 --N 2 --seed 0")
specs+=("hebb_0050 -v 0.5 --N 2 --seed 0")
specs+=("flipflop_3bit --task flipflop --bits 3 --rule bptt --n-rec 64 --opt lr=1e-2 --opt batch_size=64 --seed 0 --stop-threshold 0.99 --max-iters 1500")

printf '%s\n' "${specs[@]}" | xargs -P "$jobs" -I{} sh -c 'rnntool train {} --overwrite -q'

cdi=(bptt_0050 bptt_0051 bptt_0052 bptt_0053 ga_0050 ga_0051 ga_0052 ga_0053 ff_0050 hebb_0050)
rnntool evaluate "${cdi[@]}" flipflop_3bit -q
# Compact fixed-point groups (tens of kilobytes): exact roots only (slow points dropped),
# eigenvectors of the unstable modes only (what topology follows from saddles).
compact=(--method exact --opt n_modes=0 --opt slow_q=1e-20 -q)
printf '%s\n' "${cdi[@]}" | xargs -P "$jobs" -I{} rnntool fixedpoints {} --mode small "${compact[@]}"
rnntool fixedpoints flipflop_3bit --inputs zeros "${compact[@]}"

bash scripts/sample_models_ibl.sh "$jobs"   # the closed-loop IBL agents (Schaeffer et al. 2020)

bash scripts/sample_models_system_a.sh

cat > $out/groups.txt <<'GROUPS'
# Learning rule comparison of McMahan et al. 2021 (CDI, N = 2, -v 0.5): four seeds per rule.
BPTT bptt_0050 bptt_0051 bptt_0052 bptt_0053
GA ga_0050 ga_0051 ga_0052 ga_0053
GROUPS
bash scripts/sample_models_tasks.sh "$out"   # the multitask and engellab task suites (docs/tasks.md)
ls -l $out
