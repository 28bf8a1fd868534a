/**
 * `--backend webgpu` is correct: the policy's forward and gradients, and the classifier's
 * forward, equal the tfjs cpu backend within 1e-4 (relative to the largest magnitude). Without a
 * WebGPU adapter (a CPU-only machine) every test is registered as ignored, with the reason in its
 * name, so the skip shows in the test report.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { PolicyNetwork } from "../agents/policy_network.ts";
import { Rng } from "../data/random.ts";
import { BackendError, initBackend } from "../models/backend.ts";
import { buildClassifier } from "../models/classifier.ts";

await initBackend("cpu", { quiet: true });
let unavailable: string | undefined;
try {
  await initBackend("webgpu", { quiet: true });
} catch (e) {
  if (!(e instanceof BackendError)) throw e;
  unavailable = e.message;
}
await tf.setBackend("cpu");
const skip = unavailable ? ` (SKIPPED: ${unavailable})` : "";

function values(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(0, 1));
}

function relativeError(reference: Float32Array, actual: Float32Array): number {
  assert.equal(actual.length, reference.length);
  let diff = 0, scale = 1;
  for (let i = 0; i < reference.length; i++) {
    diff = Math.max(diff, Math.abs(reference[i] - actual[i]));
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  return diff / scale;
}

/** Logits, values and every gradient of sum(logits * w) + sum(values^2), read with await data(). */
async function policyOutputs(backend: string): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const net = new PolicyNetwork({ observationShape: [8, 16, 16], channels: 4, intensityWindow: null }, 3);
  const x = tf.tensor5d(values(4 * net.observationLength, 1), [4, 8, 16, 16, 4]);
  const w = tf.tensor2d(values(4 * 6, 2), [4, 6]);
  const out = net.forward(x);
  const { value, grads } = tf.variableGrads(() => {
    const o = net.forward(x);
    return tf.add(tf.sum(tf.mul(o.logits, w)), tf.sum(tf.square(o.values))) as tf.Scalar;
  }, net.variables as tf.Variable[]);
  const tensors = [out.logits, out.values, value, ...net.variables.map((v) => grads[v.name])];
  const result = await Promise.all(tensors.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([x, w, ...tensors]);
  net.dispose();
  return result;
}

Deno.test({
  name: `webgpu: the policy's forward and every gradient equal cpu within 1e-4${skip}`,
  ignore: unavailable !== undefined,
  fn: async () => {
    const cpu = await policyOutputs("cpu"), gpu = await policyOutputs("webgpu");
    cpu.forEach((reference, i) => {
      const err = relativeError(reference, gpu[i]);
      assert.ok(err < 1e-4, `output ${i}: relative error ${err}`);
    });
  },
});

Deno.test({
  name: `webgpu: the classifier's forward equals cpu within 1e-4${skip}`,
  ignore: unavailable !== undefined,
  fn: async () => {
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const model = buildClassifier({ inputShape: [12, 24, 24] }, 5);
      const x = tf.tensor5d(values(3 * 12 * 24 * 24, 4), [3, 12, 24, 24, 1]);
      const p = model.predict(x) as tf.Tensor;
      const out = await p.data() as Float32Array;
      tf.dispose([x, p]);
      model.dispose();
      return out;
    };
    const cpu = await run("cpu"), gpu = await run("webgpu");
    assert.ok(relativeError(cpu, gpu) < 1e-4, `relative error ${relativeError(cpu, gpu)}`);
  },
});
