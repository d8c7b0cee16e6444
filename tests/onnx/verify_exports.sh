#!/usr/bin/env bash
# ONNX export against a real runtime: small networks of every layer kind, trained on real
# Fashion-MNIST, exported with `hybridnet export --checkpoint`, and run in ONNX Runtime
# (run_onnx.js) on the first 5000 test images. Per network: top-1 identical to `hybridnet evaluate` on
# >= 99.9% of the images and accuracy within 0.1 points (max |logit difference| printed); an
# edge-cloud network's edge + cloud give the whole network's logits and the entropy rule gives
# `hybridnet exits`'s exit shares; XNOR ResNet-20's file is at most 2x the cost model's memory;
# a truncated or corrupted model.onnx fails with a one-line error. hybridnet's own runtime
# (`hybridnet infer`) is held to the same agreement.
#   verify_exports.sh HYBRIDNET WORK_DIR
set -euo pipefail
HN=$1
WORK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=/usr/share/datasets/fashion-mnist
RUN_ONNX="$HERE/run_onnx.js"
fail() { echo "FAIL: $*"; exit 1; }
[[ -d $HERE/node_modules/onnxruntime-node ]] ||
  fail "onnxruntime-node is not installed in $HERE: run ./setup.sh test (npm ci there)"
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"

# A field of a JSON file, by a JavaScript expression on `j`.
field() { node -e "const j = JSON.parse(require('fs').readFileSync('$1')); console.log($2)"; }

train() {  # NAME TEST_IMAGES ARGS...: one epoch on 2000 training images
  local name=$1 tests=$2; shift 2
  "$HN" train "$@" --subset 2000 --test-subset "$tests" --epochs 1 --optimizer adam --lr 0.002 --threads 2 \
    --out "run_$name" > "train_$name.log" 2>&1 || { cat "train_$name.log"; fail "training $name"; }
}

# Exports run_NAME, evaluates it (logits of every test image), runs the ONNX file, compares.
check() {
  local name=$1
  "$HN" export --checkpoint "run_$name" --out "exp_$name" > /dev/null
  "$HN" evaluate --checkpoint "run_$name" --json --logits "ref_$name.npy" > "eval_$name.json"
  node "$RUN_ONNX" --model "exp_$name/model.onnx" --data "$DATA" \
    --count "$(field "eval_$name.json" j.test_samples)" \
    --reference "ref_$name.npy" > "ort_$name.json"
  node -e "
    const ort = JSON.parse(require('fs').readFileSync('ort_$name.json'));
    const ev = JSON.parse(require('fs').readFileSync('eval_$name.json'));
    const r = ort.reference, size = require('fs').statSync('exp_$name/model.onnx').size;
    console.log('$name'.padEnd(16), 'evaluate', ev.test_accuracy.toFixed(4), ' onnxruntime',
                ort.accuracy.toFixed(4), ' top-1 agreement', r.top1_agreement.toFixed(4),
                ' max |logit diff|', r.max_abs_logit_diff.toExponential(2), ' model.onnx', size, 'B');
    if (ort.images !== ev.test_samples) throw new Error('not the same images');
    if (r.top1_agreement < 0.999) throw new Error('top-1 agreement below 99.9%');
    if (Math.abs(ort.accuracy - ev.test_accuracy) > 0.001) throw new Error('accuracy differs');
  " || fail "$name: ONNX Runtime disagrees with hybridnet evaluate"
  # hybridnet's own runtime (no LibTorch, no ONNX Runtime) on the same file and images.
  "$HN" infer --model "exp_$name/model.onnx" --count "$(field "eval_$name.json" j.test_samples)" \
    --threads 2 --latency-images 10 --logits "infer_$name.npy" --json > "infer_$name.json"
  node "$HERE/compare_logits.js" "infer_$name.npy" "ref_$name.npy" > "infer_cmp_$name.json"
  node -e "
    const inf = JSON.parse(require('fs').readFileSync('infer_$name.json'));
    const ev = JSON.parse(require('fs').readFileSync('eval_$name.json'));
    const c = JSON.parse(require('fs').readFileSync('infer_cmp_$name.json'));
    console.log('$name'.padEnd(16), 'hybridnet infer', inf.accuracy.toFixed(4), ' top-1 agreement',
                c.top1_agreement.toFixed(4), ' max |logit diff|', c.max_abs_logit_diff.toExponential(2),
                ' kernels', inf.kernels);
    if (c.images !== ev.test_samples || c.top1_agreement < 0.999) throw new Error('top-1 agreement');
    if ('$name' === 'xnor' && !/8 binary conv/.test(inf.kernels))
      throw new Error('the XNOR network\'s binary convolutions did not run as XNOR + popcount');
    if (/^kbit/.test('$name') && !/[1-9][0-9]* k-bit conv/.test(inf.kernels))
      throw new Error('the k-bit network\'s convolutions did not run as bit-serial popcounts');
    if (Math.abs(inf.accuracy - ev.test_accuracy) > 0.001) throw new Error('accuracy differs');
  " || fail "$name: hybridnet infer disagrees with hybridnet evaluate"
}

train xnor 5000 --model resnet8 --plan xnor
train fp 5000 --model resnet8 --plan fp
train kbit2 5000 --model resnet8 --plan quantized-k:k=2
train kbit4 5000 --model resnet8 --plan quantized-k:k=4
train weight_binary 5000 --plan "$HERE/plans/weight_binary.json"
train intra 5000 --model resnet8 --plan intra-layer:p=0.25
train hybrid_res_a 5000 --model resnet8 --plan hybrid-res-a
train binary_shortcut_1 5000 --model resnet8 --plan binary-shortcut-1
train mixed_identity 5000 --plan "$HERE/plans/mixed_identity.json"
# VGG (max pools, FC layers, 1x1 residual convs) on 2000 test images: its FC layers are big.
train vgg11 2000 --model vgg11 --plan hybrid-vgg-a:width=0.125 --max-steps 8
train edge 5000 --model resnet8 --plan edge-cloud:M=4,bits=1,exits=2
for n in xnor fp kbit2 kbit4 weight_binary intra hybrid_res_a binary_shortcut_1 mixed_identity \
         vgg11 edge; do
  check "$n"
done

# Edge-cloud: a threshold where the first exit takes part of the images, as `hybridnet exits`
# reports it; the export records it, and edge.onnx + cloud.onnx reproduce the decision.
"$HN" exits --checkpoint run_edge --thresholds 0.05:2.25:0.1 --json > exits.json
threshold=$(field exits.json "(j.points.find(p => p.exit_share[0] >= 0.1) || j.points[j.points.length - 1]).thresholds[0]")
"$HN" exits --checkpoint run_edge --thresholds "$threshold" --json > exits_at.json
"$HN" export --checkpoint run_edge --threshold "$threshold" --out deploy_edge > /dev/null
grep -a -q "exit_thresholds..\[$threshold,$threshold\]" deploy_edge/edge.onnx ||
  fail "edge.onnx metadata lacks the exit thresholds [$threshold,$threshold]"
node "$RUN_ONNX" --model deploy_edge/model.onnx --edge deploy_edge/edge.onnx \
  --cloud deploy_edge/cloud.onnx --thresholds "$threshold" --data "$DATA" --count 5000 > split.json
node -e "
  const s = JSON.parse(require('fs').readFileSync('split.json')).edge_cloud;
  const p = JSON.parse(require('fs').readFileSync('exits_at.json')).points[0];
  console.log('edge-cloud at threshold $threshold: exit shares (onnxruntime)', s.exit_share,
              'cloud', s.cloud_share, '| hybridnet exits', p.exit_share, 'cloud', p.cloud_share,
              '| accuracy', s.accuracy, 'vs', p.accuracy,
              '| edge+cloud vs whole: max |logit diff|', s.max_abs_logit_diff_vs_whole);
  if (s.top1_agreement_vs_whole !== 1 || s.max_abs_logit_diff_vs_whole > 1e-4)
    throw new Error('edge + cloud differ from the whole network');
  if (p.exit_share[0] <= 0) throw new Error('no image leaves at the first exit');
  p.exit_share.forEach((e, k) => {
    if (Math.abs(e - s.exit_share[k]) > 0.001) throw new Error('exit ' + (k + 1) + ' share differs');
  });
  if (Math.abs(p.accuracy - s.accuracy) > 0.001) throw new Error('edge-cloud accuracy differs');
" || fail "edge-cloud export"

# Size: XNOR ResNet-20 at most 2x the cost model's memory (bits / 8).
"$HN" train --model resnet20 --plan xnor --subset 256 --test-subset 256 --epochs 1 --max-steps 1 \
  --threads 2 --out run_xnor20 > /dev/null 2>&1
"$HN" export --checkpoint run_xnor20 --out exp_xnor20 > /dev/null
"$HN" cost --model resnet20 --plan xnor --input 28x28x1 --json > cost20.json
node -e "
  const bytes = require('fs').statSync('exp_xnor20/model.onnx').size;
  const memory = JSON.parse(require('fs').readFileSync('cost20.json')).total.memory_bits / 8;
  console.log('XNOR ResNet-20: model.onnx', bytes, 'B; cost model memory', memory, 'B; ratio',
              (bytes / memory).toFixed(2), '(target <= 2); model.pt',
              require('fs').statSync('exp_xnor20/model.pt').size, 'B');
  if (bytes > 2 * memory) throw new Error('model.onnx is more than 2x the cost model memory');
" || fail "model.onnx size"

# Damaged files: ONNX Runtime refuses them with one line naming the file.
head -c 20000 exp_xnor/model.onnx > truncated.onnx
cp exp_xnor/model.onnx corrupted.onnx
printf '\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff' |
  dd of=corrupted.onnx bs=1 seek=0 conv=notrunc status=none
for bad in truncated.onnx corrupted.onnx; do
  if node "$RUN_ONNX" --model "$bad" --data "$DATA" --count 10 > /dev/null 2> "$bad.err"; then
    fail "ONNX Runtime ran $bad"
  fi
  [[ $(wc -l < "$bad.err") -eq 1 ]] && grep -q "^run_onnx: $bad: ONNX Runtime cannot load it" "$bad.err" ||
    fail "$bad: unclear error: $(cat "$bad.err")"
  echo "$bad: $(cat "$bad.err")"
  if "$HN" infer --model "$bad" --count 10 > /dev/null 2> "$bad.infer.err"; then
    fail "hybridnet infer ran $bad"
  fi
  [[ $(wc -l < "$bad.infer.err") -eq 1 ]] && grep -q "$bad: not an ONNX model" "$bad.infer.err" ||
    fail "$bad: unclear infer error: $(cat "$bad.infer.err")"
  echo "$bad: $(cat "$bad.infer.err")"
done
echo "PASS onnx exports"
