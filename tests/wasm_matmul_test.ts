/**
 * The wasm BatchMatMul replacement (models/wasm_matmul.ts) equals a brute-force product for every
 * transpose combination, with batch axes and broadcasting, and frees its copies. (Why it exists,
 * the stock kernel's slow transposed products, is measured by `deno task bench:matmul`, not timed here.)
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../data/random.ts";
import { initBackend } from "../models/backend.ts";
import { installWasmConv3dKernels } from "../models/wasm_kernels.ts";

await initBackend("wasm", { quiet: true });

function values(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

/** C[b] = op(A[b]) @ op(B[b]) by the definition, batch axes broadcast (a size-1 batch repeats). */
function bruteForce(
  a: Float32Array,
  aShape: number[],
  b: Float32Array,
  bShape: number[],
  transposeA: boolean,
  transposeB: boolean,
): Float32Array {
  const [ba, ra, ca] = aShape.length === 3 ? aShape : [1, ...aShape];
  const [bb, rb, cb] = bShape.length === 3 ? bShape : [1, ...bShape];
  const m = transposeA ? ca : ra, k = transposeA ? ra : ca, n = transposeB ? rb : cb;
  const batch = Math.max(ba, bb);
  const out = new Float32Array(batch * m * n);
  for (let p = 0; p < batch; p++) {
    const oa = (ba === 1 ? 0 : p) * ra * ca, ob = (bb === 1 ? 0 : p) * rb * cb;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) {
          const av = transposeA ? a[oa + t * ca + i] : a[oa + i * ca + t];
          const bv = transposeB ? b[ob + j * cb + t] : b[ob + t * cb + j];
          s += av * bv;
        }
        out[(p * m + i) * n + j] = s;
      }
    }
  }
  return out;
}

const CASES: [string, number[], number[]][] = [
  ["8x576 @ 576x64 (a dense layer's shapes)", [8, 576], [576, 64]],
  ["5x3 @ 3x7", [5, 3], [3, 7]],
  ["batched 3x4x6 @ 3x6x2", [3, 4, 6], [3, 6, 2]],
  ["broadcast 1x4x6 @ 3x6x2", [1, 4, 6], [3, 6, 2]],
  ["broadcast 3x4x6 @ 6x2", [3, 4, 6], [6, 2]],
];

for (const [name, aLogical, bLogical] of CASES) {
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      Deno.test(`wasm BatchMatMul equals the brute-force product: ${name}, transposeA ${transposeA}, transposeB ${transposeB}`, () => {
        installWasmConv3dKernels();
        const swap = (s: number[]) => [...s.slice(0, -2), s.at(-1)!, s.at(-2)!];
        const aShape = transposeA ? swap(aLogical) : aLogical;
        const bShape = transposeB ? swap(bLogical) : bLogical;
        const a = values(aShape.reduce((x, y) => x * y), 1), b = values(bShape.reduce((x, y) => x * y), 2);
        const expected = bruteForce(a, aShape, b, bShape, transposeA, transposeB);
        const tensors = tf.memory().numTensors;
        const actual = tf.tidy(() =>
          tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), transposeA, transposeB).dataSync()
        );
        assert.equal(tf.memory().numTensors, tensors, "tensor count");
        assert.equal(actual.length, expected.length);
        for (let i = 0; i < expected.length; i++) {
          assert.ok(Math.abs(actual[i] - expected[i]) < 1e-4, `element ${i}: ${actual[i]} vs ${expected[i]}`);
        }
      });
    }
  }
}

Deno.test("wasm BatchMatMul with a transposed operand frees the copies it makes (wasm data count flat)", () => {
  installWasmConv3dKernels();
  const backend = tf.engine().backend as unknown as { numDataIds(): number };
  const a = tf.tensor(values(12, 3), [4, 3]), b = tf.tensor(values(20, 4), [4, 5]);
  const c = tf.tensor(values(15, 5), [5, 3]);
  tf.matMul(a, c, false, true).dispose();
  const before = backend.numDataIds();
  for (let i = 0; i < 100; i++) {
    tf.matMul(a, b, true, false).dispose();
    tf.matMul(a, c, false, true).dispose();
    tf.matMul(c, b, true, true).dispose();
  }
  assert.equal(backend.numDataIds(), before);
  tf.dispose([a, b, c]);
});
