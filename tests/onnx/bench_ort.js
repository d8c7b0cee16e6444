#!/usr/bin/env node
// Times ONNX Runtime (npm onnxruntime-node, CPU, one intra-op thread) on ONNX files, for the
// runtime benchmarks of tests/bench: each argument is FILE:N,C,H,W (a model and its input
// shape); prints one JSON line per file, {"model", "shape", "ms": median ms per run, "runs"}.
//   node bench_ort.js conv_64.onnx:1,64,56,56 model.onnx:32,3,32,32
'use strict';
const ort = require('onnxruntime-node');

async function time(file, shape) {
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; ++i) data[i] = Math.sin(i * 12.9898) * 0.5;  // deterministic, signed
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data, shape)};
  await session.run(feeds);  // warm-up: allocations, kernel choice
  const times = [];
  const start = process.hrtime.bigint();
  // At least 5 runs and about a second.
  while (times.length < 5 || (times.length < 200 && Number(process.hrtime.bigint() - start) < 1e9)) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return {model: file, shape, ms: times[Math.floor(times.length / 2)], runs: times.length};
}

(async () => {
  for (const arg of process.argv.slice(2)) {
    const colon = arg.lastIndexOf(':');
    const shape = arg.slice(colon + 1).split(',').map(Number);
    if (colon < 0 || shape.some(d => !(d > 0))) {
      process.stderr.write(`bench_ort: ${arg}: expected FILE:N,C,H,W\n`);
      process.exit(2);
    }
    try {
      console.log(JSON.stringify(await time(arg.slice(0, colon), shape)));
    } catch (e) {
      process.stderr.write(`bench_ort: ${arg.slice(0, colon)}: ${String(e.message).split('\n')[0]}\n`);
      process.exit(1);
    }
  }
})();
