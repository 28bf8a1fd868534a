/**
 * The policy exported to ONNX (agents/policy_onnx.ts) gives tfjs cpu's logits and values within
 * 1e-4 on onnxruntime, for the train presets' architectures and for odd sizes (the odd voxel of
 * 'same' padding), pooling and separate trunks; random weights and biases, so every term counts.
 * Skipped visibly when onnxruntime cannot load.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../data/random.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { logSoftmaxRows, OnnxPolicyForward } from "../agents/onnx_policy.ts";
import { PolicyAgent } from "../agents/policy_agent.ts";
import { type PolicyArchitecture, PolicyNetwork } from "../agents/policy_network.ts";
import { PpoLearner } from "../agents/ppo.ts";
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

Deno.test("logSoftmaxRows: each row minus log-sum-exp, by hand", () => {
  const rows = logSoftmaxRows(Float32Array.from([0, 0, Math.log(2), 1000, 1000, 1000]), 3);
  const z = Math.log(4); // exp(0) + exp(0) + 2
  [-z, -z, Math.log(2) - z].forEach((v, i) => assert.ok(Math.abs(rows[i] - v) < 1e-6, `row 0 [${i}]`));
  for (let i = 3; i < 6; i++) assert.ok(Math.abs(rows[i] + Math.log(3)) < 1e-5, `row 1 [${i}] (no overflow)`);
});

Deno.test({
  name:
    "PolicyAgent on onnxruntime: the tfjs agent's log-probs, values and greedy actions, re-exported after every weight change",
  ignore: NO_ORT,
  fn: async () => {
    const arch = {
      observationShape: [4, 8, 8] as [number, number, number],
      channels: 2,
      windowedChannels: [0],
    };
    const net = new PolicyNetwork({ ...arch, intensityWindow: [-100, 100] }, 2);
    const rng = new Rng(3);
    const randomize = async () =>
      net.setWeights((await net.getWeights()).map((w) => ({
        ...w,
        values: Float32Array.from(w.values, () => rng.uniform(-0.4, 0.4)),
      })));
    await randomize();
    // Raw observations: channel 0 in HU (windowed by the network), channel 1 in [0, 1].
    const observations = Array.from(
      { length: 5 },
      () =>
        Float32Array.from(
          { length: net.observationLength },
          (_, i) => i % 2 ? rng.float() : rng.uniform(-150, 150),
        ),
    );
    const onnx = new PolicyAgent(net, { mode: "greedy", runtime: runtime! });
    const tfjs = new PolicyAgent(net, { mode: "greedy" });
    assert.equal(onnx.onOnnx, true);
    assert.equal(tfjs.onOnnx, false);
    const agree = async (what: string) => {
      const [a, b] = [await onnx.step(observations), await tfjs.step(observations)];
      assert.deepEqual(a.actions, b.actions, `${what}: greedy actions`);
      for (let i = 0; i < 5; i++) {
        assert.ok(Math.abs(a.logProbs[i] - b.logProbs[i]) < 1e-4, `${what}: log-prob ${i}`);
        assert.ok(
          Math.abs(a.values[i] - b.values[i]) < 1e-4 * Math.max(1, Math.abs(b.values[i])),
          `${what}: value ${i}`,
        );
      }
      const v = await onnx.value(observations);
      assert.ok(v.every((x, i) => Math.abs(x - b.values[i]) < 1e-4 * Math.max(1, Math.abs(b.values[i]))));
      return a;
    };
    const before = await agree("initial weights");
    await agree("unchanged weights");
    await randomize();
    const after = await agree("after setWeights");
    assert.notDeepEqual(after.values, before.values, "the new weights change the values");
    // A PPO step assigns every variable through the optimiser.
    const ppo = new PpoLearner(net, { minibatchSize: 5, updateEpochs: 1 }, 0);
    const obs = new Float32Array(5 * net.observationLength);
    observations.forEach((o, i) => obs.set(o, i * net.observationLength));
    net.normalizeInPlace(obs);
    await ppo.update({
      size: 5,
      observations: obs,
      actions: after.actions,
      logProbs: after.logProbs,
      values: after.values,
      advantages: Float32Array.from([1, -1, 0.5, -0.5, 2]),
      returns: Float32Array.from([1, 0, 1, 0, 1]),
    }, 0.05);
    const trained = await agree("after a PPO update");
    assert.notDeepEqual(trained.values, after.values, "the update changes the values");
    await assert.rejects(onnx.step([new Float32Array(3)]), InvalidArgumentError);
    await onnx.release();
    ppo.dispose();
    net.dispose();
  },
});

Deno.test({
  name: "OnnxPolicyForward: concurrent calls (agents sharing one export) each get their own batch's outputs",
  ignore: NO_ORT,
  fn: async () => {
    const net = new PolicyNetwork({ observationShape: [4, 8, 8], channels: 1, intensityWindow: null }, 4);
    const rng = new Rng(9);
    net.setWeights((await net.getWeights()).map((w) => ({
      ...w,
      values: Float32Array.from(w.values, () => rng.uniform(-0.5, 0.5)),
    })));
    const batches = Array.from(
      { length: 6 },
      (_, k) =>
        Array.from({ length: 1 + k % 3 }, () => Float32Array.from({ length: 256 }, () => rng.float())),
    );
    const shared = new OnnxPolicyForward(net, runtime!);
    const together = await Promise.all(batches.map((b) => shared.forward(b)));
    assert.equal(shared.exports, 1, "one export for all the calls");
    const tfjs = new PolicyAgent(net);
    for (const [k, b] of batches.entries()) {
      const expected = await tfjs.value(b);
      assert.equal(together[k].values.length, b.length);
      together[k].values.forEach((v, i) =>
        assert.ok(Math.abs(v - expected[i]) < 1e-4, `batch ${k} value ${i}`)
      );
    }
    await shared.release();
    net.dispose();
  },
});
