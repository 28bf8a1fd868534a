/**
 * Imitation of the greedy player (train/patch_imitation.ts): the demonstrations of a hand-made case
 * are greedy's picks by hand; training makes the network's masked argmax (played by the package's
 * own PatchPolicyAgent) choose greedy's actions; no tensor leaks.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { generatePhantom } from "../data/phantom.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { PatchEnv } from "../env/patch/patch_env.ts";
import { PatchPolicyNetwork } from "../agents/patch_network.ts";
import { PatchPolicyAgent } from "../agents/patch_policy.ts";
import { greedyDemonstrations, imitateGreedy, imitationAccuracy } from "../train/patch_imitation.ts";
import { envOn, scored } from "./_patch_cases.ts";

Deno.test("greedy demonstrations of the hand-made case: a takes 0 (score 1), b 5 (0.75), a stops (0.25 < 0.5)", async () => {
  const demos = await greedyDemonstrations(envOn(scored), [scored]);
  assert.deepEqual([...demos.actions], [0, 5, 16]);
  assert.deepEqual(demos.masks.map((m) => [m[0], m[5], m[16]]), [[1, 1, 1], [0, 1, 1], [0, 0, 1]]);
  // Observations are copies: the first shows nothing taken, the third patches 0 and 5 taken.
  assert.equal(demos.observations[0][1], 0);
  assert.equal(demos.observations[2][1], 1, "cell (0,0) of patch 0: taken mask");
});

Deno.test("imitateGreedy: the trained network's argmax plays greedy's actions; loss falls; tensors flat", async () => {
  await tf.setBackend("cpu");
  const cases = [1, 2, 3, 4].map((seed) => generatePhantom({ seed, shape: [1, 16, 16] }));
  const env = new PatchEnv({
    scorer: new OracleScorer(cases, { target: 2 }),
    cases,
    grid: [1, 4, 4],
    observationShape: [1, 16, 16],
    presenceThreshold: 0.3,
  });
  const demos = await greedyDemonstrations(env, cases);
  assert.ok(demos.actions.length >= 8, `${demos.actions.length} states`);
  const net = new PatchPolicyNetwork({ observationShape: [1, 16, 16], channels: 2, grid: [1, 4, 4] }, 3);
  const before = tf.memory().numTensors;
  const losses = await imitateGreedy(net, demos, { steps: 150, batchSize: 16, learningRate: 3e-3, seed: 1 });
  assert.equal(tf.memory().numTensors, before, "no tensor leak");
  assert.ok(losses.at(-1)! < losses[0] / 4, `loss ${losses[0]} -> ${losses.at(-1)}`);
  const agent = new PatchPolicyAgent(net, { mode: "greedy" });
  const played = await agent.step(demos.observations, demos.masks);
  const agree = [...played.actions].filter((a, i) => a === demos.actions[i]).length / demos.actions.length;
  assert.ok(agree >= 0.9, `argmax = greedy on ${agree}`);
  assert.ok(Math.abs(imitationAccuracy(net, demos) - agree) < 1e-12);
  net.dispose();
});
