#!/usr/bin/env bash
# The edge-cloud paper's design points on Fashion-MNIST: ResNet-20 with its edge split after 10
# and 16 body layers, binary and 2-bit edges, one early exit at the end of the edge, joint
# training (lambda 0.6); then each network's exit-threshold curve. Two trainings at a time with
# one thread each (about 20 minutes on 2 cores). Usage: examples/edge_cloud_resnet20.sh [OUTDIR]
set -euo pipefail
HN=$(cd "$(dirname "$0")/.." && pwd)/build/dse/hybridnet
OUT=${1:-runs/edge_cloud}
mkdir -p "$OUT"
train() {
  "$HN" train --model resnet20 --plan "edge-cloud:M=$1,bits=$2" --subset 20000 \
    --test-subset 10000 --epochs 4 --optimizer adam --lr 0.002 --threads 1 \
    --out "$OUT/m$1_b$2" > "$OUT/m$1_b$2.log" 2>&1
}
(train 10 1; train 16 1) &
(train 10 2; train 16 2) &
wait
for run in m10_b1 m10_b2 m16_b1 m16_b2; do
  "$HN" exits --checkpoint "$OUT/$run" --thresholds 0.1:2.0:0.1 | tee "$OUT/$run.exits.txt"
done
