/**
 * The classifier on 2D images (volumes of depth 1) equals a direct 2D CNN written here with plain
 * loops (conv2d 3x3 'same' without bias, batch norm with running statistics, ReLU, max-pool 2x2
 * 'same', global max or flatten, dense layers, sigmoid), on the cpu and wasm backends; and its
 * kernels have depth 1 (no tap reads the zero padding along z).
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { initBackend } from "../models/backend.ts";
import { buildClassifier, type ClassifierArchitecture } from "../models/classifier.ts";
import { Rng } from "../data/random.ts";

await initBackend("cpu", { quiet: true });
await initBackend("wasm", { quiet: true });

/** A feature map [H, W, C], channels fastest. */
interface Map2d {
  h: number;
  w: number;
  c: number;
  v: Float64Array;
}

function conv2dSame(x: Map2d, k: Float32Array, co: number): Map2d {
  // k: [3, 3, ci, co] (tfjs filter layout with the depth axis of size 1 dropped).
  const out: Map2d = { h: x.h, w: x.w, c: co, v: new Float64Array(x.h * x.w * co) };
  for (let y = 0; y < x.h; y++) {
    for (let xx = 0; xx < x.w; xx++) {
      for (let o = 0; o < co; o++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const sy = y + dy, sx = xx + dx;
            if (sy < 0 || sy >= x.h || sx < 0 || sx >= x.w) continue;
            for (let i = 0; i < x.c; i++) {
              s += x.v[(sy * x.w + sx) * x.c + i] * k[(((dy + 1) * 3 + (dx + 1)) * x.c + i) * co + o];
            }
          }
        }
        out.v[(y * x.w + xx) * co + o] = s;
      }
    }
  }
  return out;
}

function batchNormRelu(
  x: Map2d,
  gamma: Float32Array,
  beta: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
) {
  for (let p = 0; p < x.h * x.w; p++) {
    for (let c = 0; c < x.c; c++) {
      const v = (x.v[p * x.c + c] - mean[c]) / Math.sqrt(variance[c] + 1e-5) * gamma[c] + beta[c];
      x.v[p * x.c + c] = Math.max(0, v);
    }
  }
}

/** Max-pool 2x2 stride 2, 'same' (TensorFlow: output ceil(n / 2), the window clipped at the end). */
function maxPool2dSame(x: Map2d): Map2d {
  const h = Math.ceil(x.h / 2), w = Math.ceil(x.w / 2);
  const out: Map2d = { h, w, c: x.c, v: new Float64Array(h * w * x.c).fill(-Infinity) };
  for (let y = 0; y < x.h; y++) {
    for (let xx = 0; xx < x.w; xx++) {
      for (let c = 0; c < x.c; c++) {
        const o = ((y >> 1) * w + (xx >> 1)) * x.c + c;
        out.v[o] = Math.max(out.v[o], x.v[(y * x.w + xx) * x.c + c]);
      }
    }
  }
  return out;
}

/** The direct 2D reference of a depth-1 classifier, reading the model's weights. */
function reference2d(model: tfl.LayersModel, arch: ClassifierArchitecture, image: Map2d): number {
  const values = model.getWeights().map((w) => w.dataSync() as Float32Array);
  // tfjs suffixes names of later models (`_1`, `_2`): key by the name as built.
  const byName = new Map(model.weights.map((w, i) => [w.name.replace(/_\d+$/, ""), values[i]]));
  const weight = (name: string): Float32Array => {
    const w = byName.get(name);
    if (!w) throw new Error(`no weight ${name} in ${[...byName.keys()]}`);
    return w;
  };
  let x = image;
  arch.channels.forEach((co, i) => {
    const b = `block${i + 1}`;
    x = conv2dSame(x, weight(`${b}_conv/kernel`), co);
    const bn = (k: string) => weight(`${b}_bn/${k}`);
    batchNormRelu(x, bn("gamma"), bn("beta"), bn("running_mean"), bn("running_variance"));
    x = maxPool2dSame(x);
  });
  let features: Float64Array;
  if (arch.head === "globalMax") {
    features = new Float64Array(x.c).fill(-Infinity);
    for (let p = 0; p < x.h * x.w; p++) {
      for (let c = 0; c < x.c; c++) features[c] = Math.max(features[c], x.v[p * x.c + c]);
    }
  } else features = x.v; // flatten of [1, h, w, c] = flatten of [h, w, c]
  const dense = [...arch.hiddenUnits.map((_, i) => `fc${i + 1}`), "presence"];
  dense.forEach((name, i) => {
    const w = weight(`${name}/kernel`), b = weight(`${name}/bias`), units = b.length;
    const out = new Float64Array(units);
    for (let u = 0; u < units; u++) {
      let s = b[u];
      for (let j = 0; j < features.length; j++) s += features[j] * w[j * units + u];
      out[u] = i < dense.length - 1 ? Math.max(0, s) : 1 / (1 + Math.exp(-s));
    }
    features = out;
  });
  return features[0];
}

/** Gives the batch norms non-trivial statistics so the reference checks them too. */
function perturbBatchNorms(model: tfl.LayersModel, rng: Rng): void {
  model.setWeights(
    model.getWeights().map((w, i) => {
      const name = model.weights[i].name;
      if (!name.includes("_bn")) return w;
      const positive = /gamma|variance/.test(name);
      const v = Float32Array.from(
        { length: w.size },
        () => positive ? rng.uniform(0.5, 1.5) : rng.uniform(-0.2, 0.2),
      );
      return tf.tensor(v, w.shape);
    }),
  );
}

for (const backend of ["cpu", "wasm"]) {
  for (const head of ["globalMax", "flatten"] as const) {
    Deno.test(`depth-1 classifier (${backend}, ${head}) equals a direct 2D conv/pool reference`, async () => {
      await tf.setBackend(backend);
      const arch: ClassifierArchitecture = {
        inputShape: [1, 10, 12],
        channels: [3, 5],
        hiddenUnits: [4],
        batchNormMomentum: 0.9,
        head,
      };
      const model = buildClassifier(arch, 3);
      const rng = new Rng(11);
      perturbBatchNorms(model, rng);
      // Kernels of depth 1 and pools of depth 1: the same path as volumes, no padding taps along z.
      const convs = model.layers.filter((l) => l.getClassName() === "Conv3D");
      assert.deepEqual(convs.map((l) => l.getWeights()[0].shape), [[1, 3, 3, 1, 3], [1, 3, 3, 3, 5]]);
      const pools = model.layers.filter((l) => l.getClassName() === "MaxPooling3D");
      assert.deepEqual(pools[0].outputShape, [null, 1, 5, 6, 3]);
      assert.deepEqual(pools[1].outputShape, [null, 1, 3, 3, 5]);
      const n = 3, px = 10 * 12;
      const input = Float32Array.from({ length: n * px }, () => rng.float());
      const got = tf.tidy(() =>
        (model.predict(tf.tensor5d(input, [n, 1, 10, 12, 1])) as tf.Tensor).dataSync()
      );
      for (let i = 0; i < n; i++) {
        const image: Map2d = {
          h: 10,
          w: 12,
          c: 1,
          v: Float64Array.from(input.subarray(i * px, (i + 1) * px)),
        };
        const want = reference2d(model, arch, image);
        assert.ok(Math.abs(got[i] - want) < 1e-5, `sample ${i}: model ${got[i]} vs reference ${want}`);
      }
      // The reference is not trivially constant: different images give different scores.
      assert.ok(Math.abs(got[0] - got[1]) > 1e-4 || Math.abs(got[1] - got[2]) > 1e-4);
      model.dispose();
    });
  }
}

Deno.test("volumes deeper than 1 keep the 3x3x3 kernels and 2x2x2 pools", () => {
  const model = buildClassifier({ inputShape: [2, 8, 8], channels: [2], hiddenUnits: [2] }, 0);
  const conv = model.layers.find((l) => l.getClassName() === "Conv3D")!;
  assert.deepEqual(conv.getWeights()[0].shape, [3, 3, 3, 1, 2]);
  const pool = model.layers.find((l) => l.getClassName() === "MaxPooling3D")!;
  assert.deepEqual(pool.outputShape, [null, 1, 4, 4, 2]);
  model.dispose();
});
