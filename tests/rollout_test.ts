/**
 * `SelfPlayRollout` + `computeGae` + `batchFromRollout` against a reference built from what the
 * vector env itself returned (recorded by wrapping `env.step`): which rows are transitions (not
 * NEXT_STEP autoreset rows), and, for every transition, the value target written out as a forward
 * sum of TD errors that bootstraps from V(the observation the env returned) unless the step
 * terminated. Both sides are stored (`trainBothSides`), and the game mixes terminations (a window
 * at z = 0 scores above tau) with truncations (a 3-step limit).
 */
import assert from "node:assert/strict";
import { computeGae } from "../agents/gae.ts";
import { PolicyAgent } from "../agents/policy_agent.ts";
import { PolicyNetwork } from "../agents/policy_network.ts";
import { batchFromRollout } from "../agents/ppo.ts";
import { SelfPlayRollout } from "../agents/rollout.ts";
import { type Case, diagonalAffine, type Vec3, type Volume } from "../data/types.ts";
import type { Scorer } from "../env/scorer.ts";
import { VectorEnv, type VectorReset, type VectorStep } from "../env/vector_env.ts";
import { initBackend } from "../models/backend.ts";

await initBackend("cpu", { quiet: true });

const SHAPE: Vec3 = [8, 16, 16];

function flatCase(): Case {
  const spacing: Vec3 = [1, 1, 1];
  const data = Float32Array.from({ length: 8 * 16 * 16 }, (_, i) => (i % 7) / 7);
  const image: Volume = { id: "flat", shape: SHAPE, spacing, affine: diagonalAffine(spacing), data };
  return { id: "flat", image };
}

/** Scores by corner: 0.9 at z = 0 (>= tau 0.5: the episode terminates), else below tau, varied. */
const CORNER_SCORER: Scorer = {
  id: "corner-test",
  score: (_volume: Volume, corners: Int32Array, _size: Vec3) =>
    Promise.resolve(
      Float32Array.from(
        { length: corners.length / 3 },
        (_, i) => corners[3 * i] === 0 ? 0.9 : 0.1 + 0.02 * corners[3 * i + 1] + 0.01 * corners[3 * i + 2],
      ),
    ),
};

const NETWORK = {
  observationShape: [2, 4, 4] as Vec3,
  channels: 1,
  convChannels: [4],
  hiddenUnits: 8,
  intensityWindow: null,
};

Deno.test("rollout -> GAE -> batch: autoreset rows dropped, truncations bootstrap V(final obs), terminations do not", async () => {
  const n = 3, T = 12, gamma = 0.9, lambda = 0.8;
  const CASE = flatCase();
  const env = new VectorEnv({
    numEnvs: n,
    cases: [CASE],
    scorer: CORNER_SCORER,
    window: [4, 8, 8],
    stride: 4,
    tau: 0.5,
    maxSteps: 3,
    observationShape: NETWORK.observationShape,
  });
  // Record what the env returned, and the actions it was given.
  let first: VectorReset | undefined;
  const steps: VectorStep[] = [], given: { a: Int32Array; b: Int32Array }[] = [];
  const reset = env.reset.bind(env), step = env.step.bind(env);
  env.reset = async (args) => (first = await reset(args));
  env.step = async (actions) => {
    given.push({ a: Int32Array.from(actions.a), b: Int32Array.from(actions.b) });
    const r = await step(actions);
    steps.push(r);
    return r;
  };

  const learnerNet = new PolicyNetwork(NETWORK, 1), opponentNet = new PolicyNetwork(NETWORK, 2);
  const learner = new PolicyAgent(learnerNet, { seed: 3 }),
    opponent = new PolicyAgent(opponentNet, { seed: 4 });
  const rollout = new SelfPlayRollout(env, learnerNet.observationLength, {
    numSteps: T,
    trainBothSides: true,
  });
  await rollout.reset(11);
  const stats = await rollout.collect(learner, opponent);
  assert.equal(steps.length, T);

  // --- the reference, from the recorded env outputs --------------------------------------------
  const sides = ["a", "b"] as const, C = 2 * n;
  const seen = (t: number) => (t === 0 ? first!.observations : steps[t - 1].observations);
  const V = async (obs: Float32Array[]) => Array.from(await learner.value(obs));
  const valuesSeen: number[][][] = [], valuesReturned: number[][][] = []; // [t][side][game]
  for (let t = 0; t < T; t++) {
    valuesSeen.push(await Promise.all(sides.map((s) => V(seen(t)[s]))));
    valuesReturned.push(await Promise.all(sides.map((s) => V(steps[t].observations[s]))));
  }
  const col = (c: number) => ({ side: sides[c < n ? 0 : 1], i: c % n, s: c < n ? 0 : 1 });
  const isValid = (t: number, c: number) => steps[t].autoreset[col(c).i] === 0;
  const ended = (t: number, c: number) => {
    const { side, i } = col(c);
    return steps[t].terminations[side][i] === 1 || steps[t].truncations[side][i] === 1;
  };
  const delta = (t: number, c: number) => {
    const { side, i, s } = col(c);
    const bootstrap = steps[t].terminations[side][i] === 1 ? 0 : gamma * valuesReturned[t][s][i];
    return steps[t].rewards[side][i] + bootstrap - valuesSeen[t][s][i];
  };
  /** A_t = sum_k (gamma lambda)^k delta_{t+k}, to the end of the episode or of the rollout. */
  const advantage = (t: number, c: number) => {
    let a = 0;
    for (let k = t, w = 1; k < T; k++, w *= gamma * lambda) {
      a += w * delta(k, c);
      if (ended(k, c)) break;
    }
    return a;
  };
  const expected = {
    observations: [] as number[],
    actions: [] as number[],
    values: [] as number[],
    returns: [] as number[],
  };
  let terminations = 0, truncations = 0, autoresets = 0;
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) {
      const { side, i, s } = col(c);
      if (!isValid(t, c)) {
        if (s === 0) autoresets++;
        continue;
      }
      if (s === 0) {
        terminations += steps[t].terminations.a[i];
        truncations += steps[t].truncations.a[i];
      }
      expected.observations.push(...seen(t)[side][i]);
      expected.actions.push(given[t][side][i]);
      expected.values.push(valuesSeen[t][s][i]);
      expected.returns.push(advantage(t, c) + valuesSeen[t][s][i]);
    }
  }
  // The seeds give a rollout with every kind of row (else the test could not fail on them).
  assert.ok(
    terminations > 0 && truncations > 0 && autoresets > 0,
    `${terminations} ${truncations} ${autoresets}`,
  );
  assert.equal(stats.transitions, n * T - autoresets);
  assert.equal(stats.episodes.length, terminations + truncations);
  assert.equal(stats.episodes.filter((e) => e.terminated).length, terminations);

  // --- the code under test ---------------------------------------------------------------------
  const b = rollout.buffer;
  const gae = computeGae({
    steps: b.steps,
    columns: b.columns,
    rewards: b.rewards,
    values: b.values,
    terminations: b.terminations,
    truncations: b.truncations,
    valid: b.valid,
    bootstrapValues: b.bootstrapValues,
    gamma,
    lambda,
  });
  const batch = batchFromRollout(b, gae, learnerNet);
  assert.equal(batch.size, expected.actions.length, "one sample per transition, none per autoreset row");
  assert.deepEqual(Array.from(batch.actions), expected.actions);
  assert.deepEqual(Array.from(batch.observations), expected.observations.map(Math.fround));
  const close = (actual: Float32Array, want: number[], what: string) =>
    want.forEach((w, k) => assert.ok(Math.abs(actual[k] - w) <= 1e-5, `${what}[${k}]: ${actual[k]} vs ${w}`));
  close(batch.values, expected.values, "values");
  close(batch.returns, expected.returns, "returns");
  close(batch.advantages, expected.returns.map((r, k) => r - expected.values[k]), "advantages");
  learnerNet.dispose();
  opponentNet.dispose();
});
