#!/usr/bin/env node
// Compares two logit files (.npy, float32 [images, classes]) image by image: top-1 agreement
// and max |difference|, as JSON. Used to check hybridnet's own runtime (`infer --logits`)
// against LibTorch (`evaluate --logits`).
//   node compare_logits.js A.npy B.npy
'use strict';
const {readNpy, compare} = require('./run_onnx.js');

const [a, b] = process.argv.slice(2).map(readNpy);
if (!a || !b || a.shape.join() !== b.shape.join()) {
  process.stderr.write('compare_logits: two .npy files of the same shape are needed\n');
  process.exit(1);
}
const [n, classes] = a.shape;
const c = compare(a.data, b.data, n, classes, new Array(n).fill(-1));
process.stdout.write(JSON.stringify({images: n, top1_agreement: c.top1_agreement,
                                     max_abs_logit_diff: c.max_abs_logit_diff}) + '\n');
