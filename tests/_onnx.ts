/** Shared by the ONNX tests: the cpu backend, the onnxruntime probe, and tfjs reference helpers. */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { Rng } from "../data/random.ts";
import type { Vec3 } from "../data/types.ts";
import { initBackend } from "../models/backend.ts";
import { BatchNorm3d } from "../models/batch_norm3d.ts";
import { probeOnnxRuntime } from "../models/onnx_runtime.ts";

await initBackend("cpu", { quiet: true });
const probe = await probeOnnxRuntime();
/** The loaded onnxruntime, or undefined (tests that need it are then ignored). */
export const runtime = "runtime" in probe ? probe.runtime : undefined;
/** True when onnxruntime did not load. */
export const NO_ORT: boolean = runtime === undefined;
if ("reason" in probe) console.warn(`SKIP: onnxruntime tests ignored: ${probe.reason}`);
/** Largest accepted difference between ONNX and tfjs outputs. */
export const TOLERANCE = 1e-4;

/** Random batch-norm statistics and scales, so inference differs clearly from the identity. */
export function randomizeBatchNorms(model: tfl.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  for (const layer of model.layers) {
    if (!(layer instanceof BatchNorm3d)) continue;
    const c = layer.getWeights()[0].shape[0];
    const v = (lo: number, hi: number) => tf.tensor1d(Array.from({ length: c }, () => rng.uniform(lo, hi)));
    layer.setWeights([v(0.5, 1.5), v(-0.3, 0.3), v(-0.2, 0.2), v(0.3, 2)]);
  }
}

/** Inputs in [0, 1], each sample at its own contrast so that the outputs differ. */
export function randomInputs(n: number, shape: Vec3, seed: number): Float32Array {
  const rng = new Rng(seed), voxels = shape[0] * shape[1] * shape[2];
  const data = new Float32Array(n * voxels);
  for (let i = 0; i < n; i++) {
    const contrast = 0.2 + 0.8 * i / Math.max(1, n - 1);
    for (let j = 0; j < voxels; j++) data[i * voxels + j] = contrast * rng.float();
  }
  return data;
}

export function tfjsPredict(
  model: tfl.LayersModel,
  data: Float32Array,
  n: number,
  shape: Vec3,
): Float32Array {
  return tf.tidy(() =>
    (model.predict(tf.tensor5d(data, [n, ...shape, 1])) as tf.Tensor).dataSync() as Float32Array
  );
}

/**
 * Rescales the output layer so that the logits of `data` have mean 0 and standard deviation 2:
 * probabilities then spread over (0, 1) and a wrong network cannot hide near one value.
 */
export function spreadOutputs(model: tfl.LayersModel, data: Float32Array, n: number, shape: Vec3): void {
  const logits = Array.from(tfjsPredict(model, data, n, shape), (p) => Math.log(p / (1 - p)));
  const mean = logits.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(logits.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  const out = model.layers[model.layers.length - 1];
  const [kernel, bias] = out.getWeights();
  const s = 2 / std, b = bias.dataSync()[0];
  out.setWeights([tf.mul(kernel, s), tf.tensor1d([-s * (mean - b)])]);
}
