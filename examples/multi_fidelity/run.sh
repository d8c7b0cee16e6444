#!/usr/bin/env bash
# The multi-fidelity experiment of the README ("Successive halving"): for each seed, the space
# of grid.json trained exhaustively (every plan 9 epochs) and searched by successive halving
# (rungs 1, 3, 9; eta 3; the hypervolume promotion rule), each into its own store; then
# bench_multi_fidelity compares the fronts' hypervolumes and the epochs spent, and replays the
# grid's stored learning curves to score MO-ASHA's rule and random search at the same budget.
# Usage: examples/multi_fidelity/run.sh [OUT_DIR] [SEED...]   (default runs/multi_fidelity, 0 1 2)
# On 2 cores: about 20 minutes per seed for the grid, a third of that for the search.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
HN=${HN:-$ROOT/build/dse/hybridnet}
BENCH=${BENCH:-$ROOT/build/tests/bench/bench_multi_fidelity}
OUT=${1:-runs/multi_fidelity}
shift || true
SEEDS=${*:-0 1 2}
mkdir -p "$OUT"
for seed in $SEEDS; do
  sed -e "s/\"study\": \"mf-grid\"/\"study\": \"mf-grid-s$seed\"/" -e "s/\"seeds\": \[0\]/\"seeds\": [$seed]/" \
    "$HERE/grid.json" > "$OUT/grid-s$seed.json"
  sed -e "s/\"study\": \"mf-grid-s$seed\"/\"study\": \"mf-sh-s$seed\"/" \
      -e 's/"objectives":/"search": {"strategy": "successive-halving", "rungs": [1, 3, 9], "eta": 3},\n  "objectives":/' \
    "$OUT/grid-s$seed.json" > "$OUT/search-s$seed.json"
  echo "== seed $seed: grid"
  "$HN" sweep --space "$OUT/grid-s$seed.json" --db "$OUT/grid.sqlite" --jobs 2 --threads 1 \
    > "$OUT/grid-s$seed.out" 2> "$OUT/grid-s$seed.log"
  tail -1 "$OUT/grid-s$seed.log"
  echo "== seed $seed: successive halving"
  "$HN" sweep --space "$OUT/search-s$seed.json" --db "$OUT/search.sqlite" --jobs 2 --threads 1 \
    > "$OUT/search-s$seed.out" 2> "$OUT/search-s$seed.log"
  tail -2 "$OUT/search-s$seed.log"
done
if [[ -x "$BENCH" ]]; then
  "$BENCH" --grid "$OUT/grid.sqlite" --search "$OUT/search.sqlite" | tee "$OUT/summary.txt"
else
  echo "build bench_multi_fidelity (cmake --build build --target bench_multi_fidelity) for the summary"
fi
