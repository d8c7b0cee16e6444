#!/usr/bin/env bash
# `hybridnet train` with an edge-cloud plan, then `hybridnet exits` over a threshold grid, on
# synthetic data (for speed): exit shares never fall as the threshold grows, a threshold of 0
# sends everything to the cloud at the whole network's energy, one above ln(10) keeps every
# sample on the edge; joint and separate training both run.
# Usage: exits_synthetic.sh HYBRIDNET WORKDIR
set -euo pipefail
HN=$1; W=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$W"; mkdir -p "$W"
common=(--model resnet8 --dataset synthetic --epochs 1 --threads 1 --optimizer adam)
"$HN" train "${common[@]}" --plan edge-cloud:M=2,bits=2 --out "$W/joint" > /dev/null 2>&1 ||
  fail "joint training failed"
"$HN" train "${common[@]}" --plan edge-cloud:M=2 --exit-training separate --exit-epochs 1 \
  --out "$W/separate" 2> "$W/separate.err" > /dev/null || fail "separate training failed"
grep -q "epoch 2/2" "$W/separate.err" || fail "separate training did not add the exits' epoch"

"$HN" exits --checkpoint "$W/joint" --thresholds 0:3:0.25 --threads 1 | tee "$W/exits.txt"
whole=$(sed -n 's/.*no exit taken \([0-9.]*\) uJ.*/\1/p' "$W/exits.txt")
[[ -n $whole ]] || fail "no whole-network energy line"
# Rows: threshold, share%, exit acc, cloud acc, accuracy, edge, cloud, mean, xFP.
awk -v whole="$whole" '
  $1 ~ /^[0-9.]+$/ && $2 ~ /%$/ {
    share = $2 + 0; n++
    if (n == 1 && (share != 0 || $8 != whole)) { print "threshold 0: share " share ", mean " $8; bad = 1 }
    if (share < last) { print "share fell at threshold " $1; bad = 1 }
    last = share; final = share
  }
  END { if (n != 13) { print n " rows, expected 13"; bad = 1 }
        if (final != 100) { print "threshold 3 > ln 10 keeps " final "% on the edge"; bad = 1 }
        exit bad }' "$W/exits.txt" || fail "exit shares"
"$HN" exits --checkpoint "$W/separate" --thresholds 0.5,1 --json --threads 1 > "$W/exits.json"
grep -q '"mean_energy_pj"' "$W/exits.json" || fail "no JSON points"
echo "PASS exits"
