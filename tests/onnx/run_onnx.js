#!/usr/bin/env node
// Runs a model.onnx written by `hybridnet export` in ONNX Runtime (npm onnxruntime-node) on the
// first --count Fashion-MNIST / MNIST test images, and prints a JSON summary. The example of
// the README's "Deploying a network", and the tests' check that the export computes what
// training's evaluation does.
//
//   node run_onnx.js --model DIR/model.onnx --data /usr/share/datasets/fashion-mnist
//        [--count N] [--reference logits.npy]       top-1 agreement and max |logit difference|
//                                                   against `hybridnet evaluate --logits`
//        [--edge DIR/edge.onnx --cloud DIR/cloud.onnx --thresholds T1[,T2...]]
//                                                   edge + cloud against the whole model, and
//                                                   the exit shares of the entropy rule
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const ort = require('onnxruntime-node');

function fail(message) {
  process.stderr.write(`run_onnx: ${message.split('\n')[0]}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = {count: 1000, batch: 250};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (i + 1 >= argv.length) fail(`--${key} needs a value`);
    args[key] = argv[i + 1];
  }
  if (!args.model || !args.data) fail('usage: run_onnx.js --model FILE --data DIR [--count N] ...');
  args.count = Number(args.count);
  args.batch = Number(args.batch);
  return args;
}

// An IDX file of the dataset directory, plain or gzipped.
function readIdx(dir, name) {
  for (const file of [name, name + '.gz']) {
    const p = path.join(dir, file);
    if (fs.existsSync(p)) {
      const bytes = fs.readFileSync(p);
      return file.endsWith('.gz') ? zlib.gunzipSync(bytes) : bytes;
    }
  }
  fail(`${path.join(dir, name)}[.gz]: missing`);
}

// Raw pixels in [0, 1], float32 [N, 1, H, W], and the labels.
function loadTestImages(dir, count) {
  const images = readIdx(dir, 't10k-images-idx3-ubyte');
  const labels = readIdx(dir, 't10k-labels-idx1-ubyte');
  const n = Math.min(count, images.readUInt32BE(4));
  const h = images.readUInt32BE(8), w = images.readUInt32BE(12);
  const pixels = new Float32Array(n * h * w);
  for (let i = 0; i < pixels.length; ++i) pixels[i] = images[16 + i] / 255;
  return {n, h, w, pixels, labels: Array.from(labels.subarray(8, 8 + n))};
}

// A float32 .npy file (C order) as {shape, data}.
function readNpy(file) {
  const bytes = fs.readFileSync(file);
  if (bytes.toString('latin1', 1, 6) !== 'NUMPY') fail(`${file}: not a .npy file`);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.toString('latin1', 10, 10 + headerLength);
  if (!header.includes("'<f4'")) fail(`${file}: not float32`);
  const shape = header.match(/\(([^)]*)\)/)[1].split(',').filter(s => s.trim()).map(Number);
  const start = 10 + headerLength;
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + start,
                                                   bytes.byteOffset + bytes.length));
  return {shape, data};
}

async function open(file) {
  try {
    return await ort.InferenceSession.create(file);
  } catch (e) {
    fail(`${file}: ONNX Runtime cannot load it: ${e.message}`);
  }
}

// Runs `session` over the images in batches; returns every output, concatenated.
async function runAll(session, feedName, batches) {
  const outputs = {};
  for (const feed of batches) {
    const result = await session.run({[feedName]: feed});
    for (const [name, t] of Object.entries(result)) {
      (outputs[name] = outputs[name] || {dims: t.dims.slice(1), parts: []}).parts.push(t.data);
    }
  }
  for (const o of Object.values(outputs)) {
    const total = o.parts.reduce((s, p) => s + p.length, 0);
    o.data = new Float32Array(total);
    let at = 0;
    for (const p of o.parts) { o.data.set(p, at); at += p.length; }
    delete o.parts;
  }
  return outputs;
}

function imageBatches(images, batch) {
  const size = images.h * images.w;
  const out = [];
  for (let i = 0; i < images.n; i += batch) {
    const b = Math.min(batch, images.n - i);
    out.push(new ort.Tensor('float32', images.pixels.subarray(i * size, (i + b) * size),
                            [b, 1, images.h, images.w]));
  }
  return out;
}

const argmax = (v, i, c) => {
  let best = 0;
  for (let k = 1; k < c; ++k) if (v[i * c + k] > v[i * c + best]) best = k;
  return best;
};

// Softmax entropy (natural log) of row i, as models/early_exit.cpp computes it.
function entropy(v, i, c) {
  let m = -Infinity;
  for (let k = 0; k < c; ++k) m = Math.max(m, v[i * c + k]);
  let sum = 0, pz = 0;
  for (let k = 0; k < c; ++k) sum += Math.exp(v[i * c + k] - m);
  for (let k = 0; k < c; ++k) pz += Math.exp(v[i * c + k] - m) / sum * (v[i * c + k] - m);
  return Math.max(0, Math.log(sum) - pz);
}

// Top-1 agreement, max |difference| and accuracy of `a` against `b` ([n, c] each).
function compare(a, b, n, c, labels) {
  let agree = 0, correct = 0, maxDiff = 0;
  for (let i = 0; i < n; ++i) {
    const top = argmax(a, i, c);
    if (top === argmax(b, i, c)) ++agree;
    if (top === labels[i]) ++correct;
    for (let k = 0; k < c; ++k) maxDiff = Math.max(maxDiff, Math.abs(a[i * c + k] - b[i * c + k]));
  }
  return {top1_agreement: agree / n, max_abs_logit_diff: maxDiff, accuracy: correct / n};
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const images = loadTestImages(args.data, args.count);
  const batches = imageBatches(images, args.batch);
  const model = await open(args.model);
  const whole = await runAll(model, 'input', batches);
  const logits = whole.logits;
  if (!logits) fail(`${args.model}: no output called logits`);
  const classes = logits.dims[0];
  const summary = {model: args.model, images: images.n, accuracy: 0};
  let correct = 0;
  for (let i = 0; i < images.n; ++i) if (argmax(logits.data, i, classes) === images.labels[i]) ++correct;
  summary.accuracy = correct / images.n;

  if (args.reference) {
    const ref = readNpy(args.reference);
    if (ref.shape[0] !== images.n || ref.shape[1] !== classes)
      fail(`${args.reference}: shape [${ref.shape}] is not [${images.n}, ${classes}]`);
    const c = compare(logits.data, ref.data, images.n, classes, images.labels);
    let refCorrect = 0;
    for (let i = 0; i < images.n; ++i) if (argmax(ref.data, i, classes) === images.labels[i]) ++refCorrect;
    summary.reference = {accuracy: refCorrect / images.n, top1_agreement: c.top1_agreement,
                         max_abs_logit_diff: c.max_abs_logit_diff};
  }

  if (args.edge) {
    if (!args.cloud || !args.thresholds) fail('--edge needs --cloud and --thresholds');
    const edge = await runAll(await open(args.edge), 'input', batches);
    const features = edge.features;
    if (!features) fail(`${args.edge}: no output called features`);
    const perImage = features.dims.reduce((a, b) => a * b, 1);
    const featureBatches = [];
    for (let i = 0; i < images.n; i += args.batch) {
      const b = Math.min(args.batch, images.n - i);
      featureBatches.push(new ort.Tensor('float32', features.data.subarray(i * perImage, (i + b) * perImage),
                                         [b, ...features.dims]));
    }
    const cloud = await runAll(await open(args.cloud), 'features', featureBatches);
    const split = compare(cloud.logits.data, logits.data, images.n, classes, images.labels);
    // Algorithm 1 of the edge-cloud paper: leave at the first exit with entropy < threshold.
    const exits = Object.keys(edge).filter(k => /^exit\d+_logits$/.test(k)).sort();
    const thresholds = String(args.thresholds).split(',').map(Number);
    while (thresholds.length < exits.length) thresholds.push(thresholds[thresholds.length - 1]);
    const taken = new Array(exits.length + 1).fill(0);
    let rightAnswers = 0;
    for (let i = 0; i < images.n; ++i) {
      let k = exits.findIndex((name, j) => entropy(edge[name].data, i, classes) < thresholds[j]);
      if (k < 0) k = exits.length;
      ++taken[k];
      const out = k < exits.length ? edge[exits[k]].data : cloud.logits.data;
      if (argmax(out, i, classes) === images.labels[i]) ++rightAnswers;
    }
    summary.edge_cloud = {
      max_abs_logit_diff_vs_whole: split.max_abs_logit_diff,
      top1_agreement_vs_whole: split.top1_agreement,
      thresholds,
      exit_share: taken.slice(0, exits.length).map(t => t / images.n),
      cloud_share: taken[exits.length] / images.n,
      accuracy: rightAnswers / images.n,
    };
  }
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
}

if (require.main === module) main().catch(e => fail(e.message));
module.exports = {readNpy, compare};
