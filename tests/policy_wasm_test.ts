/**
 * The policy on the wasm backend with this package's conv3d kernels equals the tfjs cpu backend:
 * strided conv3d (forward, dL/dx, dL/dw), the whole policy's forward and gradients, and one PPO
 * update, within 1e-4; and PPO updates on wasm leak no tensors. The cpu backend is the reference
 * (tfjs' own pure-JS kernels, independent of `conv3d_im2col.ts`).
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../data/random.ts";
import { PolicyNetwork } from "../agents/policy_network.ts";
import { type PpoBatch, PpoLearner } from "../agents/ppo.ts";
import { initBackend } from "../models/backend.ts";
import { col2imRows, im2colColumns, im2colRows } from "../models/conv3d_im2col.ts";

await initBackend("cpu", { quiet: true });
await initBackend("wasm", { quiet: true });

type Shape5 = [number, number, number, number, number];
type Triple = [number, number, number];

function values(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

/** Largest absolute difference divided by the largest magnitude of the reference (>= 1). */
function relativeError(reference: Float32Array, actual: Float32Array): number {
  assert.equal(actual.length, reference.length);
  let diff = 0, scale = 1;
  for (let i = 0; i < reference.length; i++) {
    diff = Math.max(diff, Math.abs(reference[i] - actual[i]));
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  return diff / scale;
}

/** Conv3D output, dL/dx and dL/dw for L = sum(r * conv3d(x, w)) on a backend. */
async function convAndGrads(
  backend: string,
  xShape: Shape5,
  wShape: Shape5,
  strides: Triple,
  pad: "same" | "valid",
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor5d(values(xShape.reduce((a, b) => a * b), 1), xShape);
    const w = tf.tensor5d(values(wShape.reduce((a, b) => a * b), 2), wShape);
    const y = tf.conv3d(x, w, strides, pad);
    const r = tf.tensor(values(y.size, 3), y.shape);
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, strides, pad), r));
    const [dx, dw] = tf.grads(f)([x, w]);
    return [y.dataSync() as Float32Array, dx.dataSync() as Float32Array, dw.dataSync() as Float32Array];
  });
}

const STRIDED: [string, Shape5, Shape5, Triple, "same" | "valid"][] = [
  ["policy conv1 1x8x16x16x4 -> 8, k2 s2", [2, 8, 16, 16, 4], [2, 2, 2, 4, 8], [2, 2, 2], "same"],
  ["odd depth 2x3x6x6x16 -> 32, k2 s2 (back pad)", [2, 3, 6, 6, 16], [2, 2, 2, 16, 32], [2, 2, 2], "same"],
  ["overlapping 2x5x7x6x3 -> 4, k3 s2 same", [2, 5, 7, 6, 3], [3, 3, 3, 3, 4], [2, 2, 2], "same"],
  ["overlapping 1x7x6x5x2 -> 3, k3 s2 valid", [1, 7, 6, 5, 2], [3, 3, 3, 2, 3], [2, 2, 2], "valid"],
  ["mixed strides 1x4x9x7x2 -> 3, k2x3x2 s1,2,3", [1, 4, 9, 7, 2], [2, 3, 2, 2, 3], [1, 2, 3], "same"],
];

for (const [name, xShape, wShape, strides, pad] of STRIDED) {
  Deno.test(`wasm strided conv3d equals cpu forward and gradients within 1e-4: ${name}`, async () => {
    const reference = await convAndGrads("cpu", xShape, wShape, strides, pad);
    const fast = await convAndGrads("wasm", xShape, wShape, strides, pad);
    ["output", "dL/dx", "dL/dw"].forEach((what, i) => {
      const err = relativeError(reference[i], fast[i]);
      assert.ok(err < 1e-4, `${what}: relative error ${err}`);
    });
  });
}

Deno.test("col2imRows is the adjoint of im2colRows: <im2col(x), P> = <x, col2im(P)> (float64 sums)", () => {
  const dims: Triple = [3, 5, 4], out: Triple = [2, 3, 2], kernel: Triple = [2, 3, 2];
  const pad: Triple = [0, 1, 0], strides: Triple = [2, 2, 2], C = 2, N = 2;
  const K = 2 * 3 * 2 * C, M = N * 2 * 3 * 2;
  const x = values(N * 3 * 5 * 4 * C, 5), p = values(M * K, 6);
  const rows = new Float32Array(M * K);
  im2colRows(x, dims, C, out, kernel, pad, 0, M, rows, strides);
  const back = new Float32Array(x.length);
  col2imRows(p.subarray(0, 7 * K), dims, C, out, kernel, pad, strides, 0, 7, back);
  col2imRows(p.subarray(7 * K), dims, C, out, kernel, pad, strides, 7, M - 7, back);
  let left = 0, right = 0;
  for (let i = 0; i < rows.length; i++) left += rows[i] * p[i];
  for (let i = 0; i < x.length; i++) right += x[i] * back[i];
  assert.ok(Math.abs(left - right) < 1e-4 * Math.max(1, Math.abs(left)), `${left} vs ${right}`);
  // Every input voxel is read by some tap here, so the adjoint must reach every voxel.
  assert.ok(back.every((v) => v !== 0));
});

Deno.test("tiling windows (stride = kernel, no pad): im2col rows/columns and col2im by the definition, in blocks", () => {
  // 2 batches of 4x6x4 voxels, 3 channels, kernel = stride = 2x3x2: output 2x2x2, every voxel read once.
  const dims: Triple = [4, 6, 4], out: Triple = [2, 2, 2], kernel: Triple = [2, 3, 2], C = 3, N = 2;
  const K = 2 * 3 * 2 * C, M = N * 8;
  const x = Float32Array.from({ length: N * 96 * C }, (_, i) => i + 1);
  const expected = new Float32Array(M * K); // expected[m, k] = x at the voxel tap k of position m reads
  for (let m = 0; m < M; m++) {
    const ow = m % 2, oh = (m >> 1) % 2, od = (m >> 2) % 2, n = m >> 3;
    for (let k = 0; k < K; k++) {
      const c = k % C,
        kw = Math.floor(k / C) % 2,
        kh = Math.floor(k / (2 * C)) % 3,
        kd = Math.floor(k / (6 * C));
      const voxel = ((n * 4 + od * 2 + kd) * 6 + oh * 3 + kh) * 4 + ow * 2 + kw;
      expected[m * K + k] = x[voxel * C + c];
    }
  }
  const rows = new Float32Array(M * K), cols = new Float32Array(K * M), back = new Float32Array(x.length);
  for (const [start, count] of [[0, 3], [3, 6], [9, 7]]) { // blocks that cut output lines
    im2colRows(x, dims, C, out, kernel, [0, 0, 0], start, count, rows.subarray(start * K), kernel);
    const block = new Float32Array(K * count);
    im2colColumns(x, dims, C, out, kernel, [0, 0, 0], start, count, block, kernel);
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < count; j++) cols[k * M + start + j] = block[k * count + j];
    }
    col2imRows(expected.subarray(start * K), dims, C, out, kernel, [0, 0, 0], kernel, start, count, back);
  }
  assert.deepEqual(rows, expected);
  for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) assert.equal(cols[k * M + m], expected[m * K + k]);
  assert.deepEqual(back, x, "col2im of the im2col matrix puts every voxel back once");
});

const ARCH = {
  observationShape: [8, 16, 16] as Triple,
  channels: 4,
  intensityWindow: null,
};

/** Forward outputs and every variable's gradient of a scalar loss, on a backend. */
async function policyGradients(backend: string, arch: typeof ARCH & { sharedTrunk?: boolean }) {
  await tf.setBackend(backend);
  const net = new PolicyNetwork(arch, 3);
  const n = 5, input = values(n * net.observationLength, 9).map((v) => v * 0.5 + 0.5);
  const weights = values(n * 6, 10);
  const out = tf.tidy(() => {
    const x = tf.tensor5d(input, [n, 8, 16, 16, 4]);
    const w = tf.tensor2d(weights, [n, 6]);
    const forward = net.forward(x);
    const { value, grads } = tf.variableGrads(() => {
      const o = net.forward(x);
      return tf.add(tf.sum(tf.mul(o.logits, w)), tf.sum(tf.square(o.values))) as tf.Scalar;
    }, net.variables as tf.Variable[]);
    return [
      forward.logits.dataSync() as Float32Array,
      forward.values.dataSync() as Float32Array,
      value.dataSync() as Float32Array,
      ...net.variables.map((v) => grads[v.name].dataSync() as Float32Array),
    ];
  });
  net.dispose();
  return out;
}

for (const shared of [true, false]) {
  Deno.test(`policy on wasm: forward and every gradient equal cpu within 1e-4 (sharedTrunk ${shared})`, async () => {
    const cpu = await policyGradients("cpu", { ...ARCH, sharedTrunk: shared });
    const wasm = await policyGradients("wasm", { ...ARCH, sharedTrunk: shared });
    assert.equal(wasm.length, cpu.length);
    cpu.forEach((reference, i) => {
      const what = i === 0 ? "logits" : i === 1 ? "values" : i === 2 ? "loss" : `gradient ${i - 3}`;
      const err = relativeError(reference, wasm[i]);
      assert.ok(err < 1e-4, `${what}: relative error ${err}`);
      if (i >= 3) assert.ok(reference.some((v) => v !== 0), `${what} is all zero: the test would be empty`);
    });
  });
}

function syntheticBatch(size: number, length: number, seed: number): PpoBatch {
  const rng = new Rng(seed);
  return {
    size,
    observations: Float32Array.from({ length: size * length }, () => rng.float()),
    actions: Int32Array.from({ length: size }, () => rng.int(6)),
    logProbs: Float32Array.from({ length: size }, () => Math.log(1 / 6) + rng.uniform(-0.1, 0.1)),
    values: Float32Array.from({ length: size }, () => rng.uniform(-1, 1)),
    advantages: Float32Array.from({ length: size }, () => rng.uniform(-2, 2)),
    returns: Float32Array.from({ length: size }, () => rng.uniform(-2, 2)),
  };
}

Deno.test("one PPO update on wasm equals cpu within 1e-4: stats and every updated weight", async () => {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const net = new PolicyNetwork(ARCH, 4);
    const learner = new PpoLearner(net, { minibatchSize: 16, updateEpochs: 2 }, 5);
    const stats = await learner.update(syntheticBatch(40, net.observationLength, 6), 1e-3);
    const weights = await net.getWeights();
    learner.dispose();
    net.dispose();
    return { stats, weights };
  };
  const cpu = await run("cpu"), wasm = await run("wasm");
  for (const key of ["loss", "policyLoss", "valueLoss", "entropy", "approxKl", "gradNorm"] as const) {
    const a = cpu.stats[key], b = wasm.stats[key];
    assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(a)), `${key}: cpu ${a}, wasm ${b}`);
  }
  cpu.weights.forEach((w, i) => {
    const err = relativeError(w.values, wasm.weights[i].values);
    assert.ok(err < 1e-4, `${w.name}: relative error ${err}`);
  });
});

Deno.test("PPO updates on wasm leak no tensors (tf.memory().numTensors flat over 1,000 minibatch steps)", async () => {
  await tf.setBackend("wasm");
  const net = new PolicyNetwork(ARCH, 4);
  const learner = new PpoLearner(net, { minibatchSize: 8, updateEpochs: 1 }, 5);
  const batch = syntheticBatch(8, net.observationLength, 6);
  await learner.update(batch, 1e-4); // creates the optimiser's state
  const before = tf.memory().numTensors;
  for (let i = 0; i < 1000; i++) await learner.update(batch, 1e-4);
  assert.equal(tf.memory().numTensors, before);
  learner.dispose();
  net.dispose();
});
