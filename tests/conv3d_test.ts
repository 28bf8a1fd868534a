/**
 * The wasm conv3d fast path equals tfjs cpu Conv3D (forward and both gradients) within 1e-4, and
 * regression tests document the stock tfjs-backend-wasm 4.22.0 defects it works around: if an
 * upgrade fixes or changes them, these tests fail and say so.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { initBackend } from "../models/backend.ts";
import { buildClassifier } from "../models/classifier.ts";
import { im2colColumns, im2colRows } from "../models/conv3d_im2col.ts";
import {
  installWasmConv3dKernels,
  uninstallWasmConv3dKernels,
  wasmConv3dKernelsInstalled,
} from "../models/wasm_kernels.ts";
import { Rng } from "../data/random.ts";

await initBackend("cpu", { quiet: true });
await initBackend("wasm", { quiet: true });

type Shape5 = [number, number, number, number, number];

function values(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

/** Conv3D output, dL/dx and dL/dw for L = sum(r * conv3d(x, w)) on a backend. */
async function convAndGrads(
  backend: string,
  xShape: Shape5,
  wShape: Shape5,
  pad: "same" | "valid",
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor5d(values(xShape.reduce((a, b) => a * b), 1), xShape);
    const w = tf.tensor5d(values(wShape.reduce((a, b) => a * b), 2), wShape);
    const y = tf.conv3d(x, w, 1, pad);
    const r = tf.tensor(values(y.size, 3), y.shape);
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, 1, pad), r));
    const [dx, dw] = tf.grads(f)([x, w]);
    return [y.dataSync() as Float32Array, dx.dataSync() as Float32Array, dw.dataSync() as Float32Array];
  });
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

const CASES: [string, Shape5, Shape5, "same" | "valid"][] = [
  ["1x4x4x4x1 same (the defect's case)", [1, 4, 4, 4, 1], [3, 3, 3, 1, 1], "same"],
  ["2x5x6x7x3 -> 4 same", [2, 5, 6, 7, 3], [3, 3, 3, 3, 4], "same"],
  ["2x5x6x7x3 -> 4 valid", [2, 5, 6, 7, 3], [3, 3, 3, 3, 4], "valid"],
  ["1x3x5x4x2 -> 3, kernel 1x3x2 same", [1, 3, 5, 4, 2], [1, 3, 2, 2, 3], "same"],
  ["2x6x12x12x8 -> 16 same (classifier block 2 scale)", [2, 6, 12, 12, 8], [3, 3, 3, 8, 16], "same"],
];

for (const [name, xShape, wShape, pad] of CASES) {
  Deno.test(`wasm fast conv3d equals cpu Conv3D forward and gradients within 1e-4: ${name}`, async () => {
    const reference = await convAndGrads("cpu", xShape, wShape, pad);
    installWasmConv3dKernels();
    const fast = await convAndGrads("wasm", xShape, wShape, pad);
    ["output", "dL/dx", "dL/dw"].forEach((what, i) => {
      const err = relativeError(reference[i], fast[i]);
      assert.ok(err < 1e-4, `${what}: relative error ${err}`);
    });
  });
}

Deno.test("the whole classifier on wasm: loss and every weight gradient equal cpu within 1e-4", async () => {
  installWasmConv3dKernels();
  const gradients = async (backend: string) => {
    await tf.setBackend(backend);
    const model = buildClassifier({ inputShape: [6, 8, 8], hiddenUnits: [16, 8] }, 7);
    const x = tf.tensor5d(values(2 * 6 * 8 * 8, 11).map((v) => v + 1), [2, 6, 8, 8, 1]);
    const y = tf.tensor2d([0, 1], [2, 1]);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(
      () =>
        tf.mean(
          tfl.metrics.binaryCrossentropy(y, model.apply(x, { training: true }) as tf.Tensor),
        ) as tf.Scalar,
      variables,
    );
    const out = [
      value.dataSync() as Float32Array,
      ...variables.map((v) => grads[v.name].dataSync() as Float32Array),
    ];
    tf.dispose([x, y, value, ...Object.values(grads)]);
    model.dispose();
    return out;
  };
  const cpu = await gradients("cpu"), wasm = await gradients("wasm");
  assert.equal(wasm.length, cpu.length);
  cpu.forEach((reference, i) => {
    const err = relativeError(reference, wasm[i]);
    assert.ok(err < 1e-4, `${i === 0 ? "loss" : `gradient ${i}`}: relative error ${err}`);
  });
});

Deno.test("REGRESSION tfjs-backend-wasm 4.22.0: stock Conv3DBackpropInputV2 is wrong for 'same' padding", async () => {
  const reference = await convAndGrads("cpu", [1, 4, 4, 4, 1], [3, 3, 3, 1, 1], "same");
  uninstallWasmConv3dKernels();
  assert.equal(wasmConv3dKernelsInstalled(), false);
  try {
    const stock = await convAndGrads("wasm", [1, 4, 4, 4, 1], [3, 3, 3, 1, 1], "same");
    assert.ok(relativeError(reference[0], stock[0]) < 1e-4, "stock forward is correct");
    assert.ok(relativeError(reference[2], stock[2]) < 1e-4, "stock filter gradient is correct");
    const err = relativeError(reference[1], stock[1]);
    assert.ok(
      err > 0.1,
      `stock wasm Conv3DBackpropInputV2 now matches cpu (relative error ${err}): the defect is fixed; ` +
        "re-measure and consider dropping the replacement kernels",
    );
  } finally {
    installWasmConv3dKernels();
  }
});

Deno.test("REGRESSION tfjs-backend-wasm 4.22.0: stock MaxPool3D starts its max at FLT_MIN, not -Infinity", async () => {
  await tf.setBackend("wasm");
  const pooled = tf.tidy(() =>
    tf.maxPool3d(tf.fill([1, 2, 2, 2, 1], -5) as tf.Tensor5D, 2, 2, "valid").dataSync()
  );
  assert.equal(pooled.length, 1);
  assert.ok(
    pooled[0] > 0 && pooled[0] < 1.2e-38,
    `stock wasm MaxPool3D of all -5 gave ${pooled[0]} (was FLT_MIN 1.1755e-38): the defect changed`,
  );
  await tf.setBackend("cpu");
  const cpu = tf.tidy(() =>
    tf.maxPool3d(tf.fill([1, 2, 2, 2, 1], -5) as tf.Tensor5D, 2, 2, "valid").dataSync()
  );
  assert.equal(cpu[0], -5);
});

Deno.test("REGRESSION tfjs-backend-wasm 4.22.0: no Conv2DBackpropFilter kernel", () => {
  assert.equal(
    tf.getKernel("Conv2DBackpropFilter", "wasm"),
    undefined,
    "wasm now has Conv2DBackpropFilter: conv2d training on wasm may work without a replacement",
  );
  assert.ok(tf.getKernel("Conv2DBackpropFilter", "cpu"));
});

Deno.test("im2col rows and columns hold the same matrix, transposed, with zero padding", () => {
  // x: 1 batch, 2x3x2 voxels, 2 channels; kernel 2x2x2, pads (1, 0, 1): output dims 3x2x3.
  const src = Float32Array.from({ length: 24 }, (_, i) => i + 1);
  const dims = [2, 3, 2] as const,
    out = [3, 2, 3] as const,
    kernel = [2, 2, 2] as const,
    pad = [1, 0, 1] as const;
  const K = 16, M = 18;
  const rows = new Float32Array(M * K), cols = new Float32Array(K * M);
  // Rows in two blocks, columns in three: the block boundaries must not matter.
  im2colRows(src, dims, 2, out, kernel, pad, 0, 7, rows);
  im2colRows(src, dims, 2, out, kernel, pad, 7, 11, rows.subarray(7 * K));
  const colBlocks = [[0, 5], [5, 8], [13, 5]];
  const blocks = colBlocks.map(([start, count]) => {
    const b = new Float32Array(K * count);
    im2colColumns(src, dims, 2, out, kernel, pad, start, count, b);
    return { start, count, b };
  });
  for (const { start, count, b } of blocks) {
    for (let k = 0; k < K; k++) for (let j = 0; j < count; j++) cols[k * M + start + j] = b[k * count + j];
  }
  for (let m = 0; m < M; m++) {
    const ow = m % 3, oh = Math.floor(m / 3) % 2, od = Math.floor(m / 6);
    for (let k = 0; k < K; k++) {
      const c = k % 2, kw = (k >> 1) % 2, kh = (k >> 2) % 2, kd = k >> 3;
      const id = od + kd - 1, ih = oh + kh, iw = ow + kw - 1;
      const inside = id >= 0 && id < 2 && ih >= 0 && ih < 3 && iw >= 0 && iw < 2;
      const expected = inside ? src[((id * 3 + ih) * 2 + iw) * 2 + c] : 0;
      assert.equal(rows[m * K + k], expected, `rows[${m}, ${k}]`);
      assert.equal(cols[k * M + m], expected, `cols[${k}, ${m}]`);
    }
  }
});
