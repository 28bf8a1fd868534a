/**
 * The policy exported to ONNX (agents/policy_onnx.ts) gives tfjs cpu's logits and values within
 * 1e-4 on onnxruntime, for the train presets' architectures and for odd sizes (the odd voxel of
 * 'same' padding), pooling and separate trunks; random weights and biases, so every term counts.
 * Skipped visibly when onnxruntime cannot load.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../data/random.ts";
import { type PolicyArchitecture, PolicyNetwork } from "../agents/policy_network.ts";
import {
  exportPolicyToOnnx,
  POLICY_ONNX_INPUT,
  POLICY_ONNX_LOGITS,
  POLICY_ONNX_VALUE,
} from "../agents/policy_onnx.ts";
import { NO_ORT, runtime, TOLERANCE } from "./_onnx.ts";

const CASES: [string, Partial<PolicyArchitecture>][] = [
  ["default preset 8x16x16x5", { observationShape: [8, 16, 16], channels: 5 }],
  ["paper preset 12x24x24x1", { observationShape: [12, 24, 24], channels: 1 }],
  ["odd 3x5x7x2, kernel 3", {
    observationShape: [3, 5, 7],
    channels: 2,
    kernelSize: 3,
    convChannels: [4, 6],
  }],
  ["pool, separate trunks, 5x6x7x1", {
    observationShape: [5, 6, 7],
    channels: 1,
    downsample: "pool",
    sharedTrunk: false,
    convChannels: [3, 5],
  }],
];

for (const [name, arch] of CASES) {
  Deno.test({
    name: `policy exported to ONNX equals tfjs cpu logits and values within 1e-4: ${name}`,
    ignore: NO_ORT,
    fn: async () => {
      const net = new PolicyNetwork({ ...arch, intensityWindow: null }, 1);
      const rng = new Rng(7);
      net.setWeights((await net.getWeights()).map((w) => ({
        ...w,
        values: Float32Array.from(w.values, () => rng.uniform(-0.5, 0.5)),
      })));
      const n = 3, input = Float32Array.from({ length: n * net.observationLength }, () => rng.float());
      const [z, y, x] = net.architecture.observationShape;
      const reference = tf.tidy(() => {
        const out = net.forward(tf.tensor5d(input, [n, z, y, x, net.architecture.channels]));
        return [out.logits.dataSync() as Float32Array, out.values.dataSync() as Float32Array];
      });
      const session = await runtime!.createSession(await exportPolicyToOnnx(net));
      try {
        const out = await session.run({
          [POLICY_ONNX_INPUT]: runtime!.tensor(input, [n, z, y, x, net.architecture.channels]),
        });
        assert.deepEqual(out[POLICY_ONNX_LOGITS].dims, [n, net.architecture.actions]);
        assert.deepEqual(out[POLICY_ONNX_VALUE].dims, [n, 1]);
        const outputs = [
          out[POLICY_ONNX_LOGITS].data as Float32Array,
          out[POLICY_ONNX_VALUE].data as Float32Array,
        ];
        outputs.forEach((actual, k) => {
          const scale = Math.max(1, ...reference[k].map(Math.abs));
          for (let i = 0; i < actual.length; i++) {
            assert.ok(
              Math.abs(actual[i] - reference[k][i]) <= TOLERANCE * scale,
              `${k ? "value" : "logit"} ${i}: onnx ${actual[i]} vs tfjs ${reference[k][i]}`,
            );
          }
        });
        // The outputs must depend on the input: a different sample gives different logits.
        assert.notDeepEqual(reference[0].subarray(0, 6), reference[0].subarray(6, 12));
      } finally {
        await session.release();
        net.dispose();
      }
    },
  });
}
