/**
 * A learner that is its own opponent acts for both sides from one forward pass per step: the
 * rollout stores, for both sides, the actions the env was given, their log-probabilities and the
 * values, which must equal those of separate forward passes over each side's observations.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { PolicyAgent } from "../agents/policy_agent.ts";
import { PolicyNetwork } from "../agents/policy_network.ts";
import { SelfPlayRollout } from "../agents/rollout.ts";
import { type Case, diagonalAffine, type Vec3, type Volume } from "../data/types.ts";
import type { Scorer } from "../env/scorer.ts";
import { VectorEnv } from "../env/vector_env.ts";
import { initBackend } from "../models/backend.ts";

await initBackend("cpu", { quiet: true });

const SHAPE: Vec3 = [8, 16, 16];
const SCORER: Scorer = {
  id: "shared-test",
  score: (_v: Volume, corners: Int32Array) =>
    Promise.resolve(Float32Array.from({ length: corners.length / 3 }, (_, i) => 0.01 * corners[3 * i + 2])),
};

Deno.test("learner as its own opponent: one forward per step for both sides; stored log-probs and values match separate passes", async () => {
  const spacing: Vec3 = [1, 1, 1];
  const data = Float32Array.from({ length: 8 * 16 * 16 }, (_, i) => (i % 11) / 11);
  const image: Volume = { id: "c", shape: SHAPE, spacing, affine: diagonalAffine(spacing), data };
  const cases: Case[] = [{ id: "c", image }];
  const n = 3, T = 5;
  const env = new VectorEnv({
    numEnvs: n,
    cases,
    scorer: SCORER,
    window: [4, 8, 8],
    stride: 4,
    tau: 1,
    maxSteps: 50,
    observationShape: [2, 4, 4],
  });
  const net = new PolicyNetwork(
    { observationShape: [2, 4, 4], channels: 1, convChannels: [4], hiddenUnits: 8, intensityWindow: null },
    1,
  );
  const learner = new PolicyAgent(net, { seed: 3 });
  const batches: number[] = [];
  const step = learner.step.bind(learner);
  learner.step = (obs) => {
    batches.push(obs.length);
    return step(obs);
  };
  const seen: { a: Float32Array[]; b: Float32Array[] }[] = [], given: { a: Int32Array; b: Int32Array }[] = [];
  const reset = env.reset.bind(env), envStep = env.step.bind(env);
  let current: { a: Float32Array[]; b: Float32Array[] } | undefined;
  const copy = (o: { a: Float32Array[]; b: Float32Array[] }) => ({
    a: o.a.map((x) => new Float32Array(x)),
    b: o.b.map((x) => new Float32Array(x)),
  });
  env.reset = async (args) => {
    const r = await reset(args);
    current = copy(r.observations);
    return r;
  };
  env.step = async (actions) => {
    seen.push(current!);
    given.push({ a: Int32Array.from(actions.a), b: Int32Array.from(actions.b) });
    const r = await envStep(actions);
    current = copy(r.observations);
    return r;
  };
  const rollout = new SelfPlayRollout(env, net.observationLength, { numSteps: T, trainBothSides: true });
  await rollout.reset(7);
  await rollout.collect(learner, learner);
  assert.deepEqual(batches, Array(T).fill(2 * n), "one forward of both sides per step");
  const buffer = rollout.buffer;
  for (let t = 0; t < T; t++) {
    for (const [s, side] of [[0, "a"], [1, "b"]] as const) {
      const [logProbs, values] = tf.tidy(() => {
        const out = net.forward(net.observationTensor(seen[t][side]));
        return [tf.logSoftmax(out.logits).dataSync(), out.values.dataSync()];
      });
      for (let i = 0; i < n; i++) {
        const k = t * buffer.columns + s * n + i, action = given[t][side][i];
        assert.equal(buffer.actions[k], action, `action t=${t} ${side}${i}`);
        assert.ok(
          Math.abs(buffer.logProbs[k] - logProbs[i * 6 + action]) < 1e-6,
          `logProb t=${t} ${side}${i}`,
        );
        assert.ok(Math.abs(buffer.values[k] - values[i]) < 1e-6, `value t=${t} ${side}${i}`);
      }
    }
  }
  net.dispose();
});
