#!/usr/bin/env bash
# The per-layer family against the papers' selectors at about equal epochs: per seed, the
# selectors' space (selectors.json: hybrid-comp-a, pca, partition, combined) and the per-layer
# family's (per_layer.json: 3 generations of 7) searched by successive halving on the same data,
# each front's hypervolume (validation accuracy, the reference of `pareto`) and epochs spent.
# Usage: examples/multi_fidelity/per_layer.sh [OUT_DIR] [SEED...]  (default runs/per_layer, 0 1 2)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
HN=${HN:-$ROOT/build/dse/hybridnet}
OUT=${1:-runs/per_layer}
shift || true
SEEDS=${*:-0 1 2}
mkdir -p "$OUT"
value() { sed -n "s/^ *\"$1\": \([0-9.e+-]*\),*$/\1/p" | head -1; }
printf "%-10s %-12s %12s %8s %6s\n" seed space hypervolume epochs full
for seed in $SEEDS; do
  for space in selectors per_layer; do
    study="${space}-s$seed"
    sed -e "s/\"study\": \"[a-z]*\"/\"study\": \"$study\"/" -e "s/\"seeds\": \[0\]/\"seeds\": [$seed]/" \
      "$HERE/$space.json" > "$OUT/$study.json"
    "$HN" sweep --space "$OUT/$study.json" --db "$OUT/studies.sqlite" --jobs 2 --threads 1 \
      > "$OUT/$study.out" 2> "$OUT/$study.log"
    hv=$("$HN" pareto --db "$OUT/studies.sqlite" --study "$study" --json | value normalized)
    epochs=$("$HN" status --db "$OUT/studies.sqlite" --study "$study" --json | value epochs_spent)
    full=$("$HN" trials --db "$OUT/studies.sqlite" --study "$study" --state done --csv | tail -n +2 | wc -l)
    printf "%-10s %-12s %12.4f %8s %6s\n" "$seed" "$space" "$hv" "$epochs" "$full"
  done
done | tee "$OUT/summary.txt"
