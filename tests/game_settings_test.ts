/**
 * The benchmark's game settings, checked against hand-computed values: the map-tied `novelty` and
 * the shaped `adversarial+score` rewards, the fixed horizon (`termination: "none"`), and tau
 * calibrated as a quantile of tumour-free window scores.
 */
import assert from "node:assert/strict";
import { rewardFunction } from "../env/rewards.ts";
import { SparsEnv } from "../env/spars_env.ts";
import { MapScorer } from "../env/map_scorer.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import { calibrateTau, scoreQuantile } from "../eval/tau_calibration.ts";
import { boxCase, scoredStrip } from "./_cases.ts";

const ctx = (scoreA: number, scoreB: number, newA: boolean, newB: boolean) => ({
  scoreA,
  scoreB,
  cornerA: [0, 0, 0] as const,
  cornerB: [0, 0, 0] as const,
  step: 1,
  newA,
  newB,
});

Deno.test("adversarial+score adds the weighted own score to +/-1; novelty pays only new windows", () => {
  assert.deepEqual(rewardFunction("adversarial+score")(ctx(0.75, 0.25, true, true)), [1.75, -0.75]);
  assert.deepEqual(
    rewardFunction("adversarial+score", { shapingWeight: 2, ties: "a" })(ctx(0.5, 0.5, true, true)),
    [2, 0],
  );
  assert.deepEqual(rewardFunction("novelty")(ctx(0.75, 0.25, true, false)), [0.75, 0]);
  assert.deepEqual(rewardFunction("novelty")(ctx(0.75, 0.25, false, true)), [0, 0.25]);
  assert.throws(() => rewardFunction("absolute", { shapingWeight: NaN }), InvalidArgumentError);
});

Deno.test("novelty in the env: a revisited window earns 0, a new one its score", async () => {
  const { c, scorer } = scoredStrip();
  const env = new SparsEnv({
    scorer,
    cases: [c],
    window: [1, 1, 2],
    stride: 1,
    start: [0, 0, 4],
    reward: "novelty",
    termination: "none",
    maxSteps: 3,
  });
  await env.reset({ seed: 0 });
  // a: +x to corner 5 (new: (5/16 + 6/16) / 2), b: -x to 3 (new).
  let r = await env.step({ a: 4, b: 5 });
  assert.equal(r.rewards.a, (5 / 16 + 6 / 16) / 2);
  assert.equal(r.rewards.b, (3 / 16 + 4 / 16) / 2);
  // a back to 4 (new: the start window is not in the map), b back to 4 too (new for both).
  r = await env.step({ a: 5, b: 4 });
  assert.equal(r.rewards.a, (4 / 16 + 5 / 16) / 2);
  assert.equal(r.rewards.b, (4 / 16 + 5 / 16) / 2);
  // a to 5 again (visited at step 1: 0), b to 3 again (visited: 0).
  r = await env.step({ a: 4, b: 5 });
  assert.deepEqual([r.rewards.a, r.rewards.b], [0, 0]);
});

Deno.test("termination none: a window scoring above tau does not end the episode; maxSteps truncates", async () => {
  const { c, scorer } = scoredStrip();
  const env = new SparsEnv({
    scorer,
    cases: [c],
    window: [1, 1, 2],
    stride: 1,
    start: [0, 0, 9],
    tau: 0.1,
    termination: "none",
    maxSteps: 2,
    terminationBonus: 5,
  });
  await env.reset({ seed: 0 });
  let r = await env.step({ a: 4, b: 4 });
  assert.deepEqual([r.terminations.a, r.truncations.a], [false, false]);
  assert.equal(r.rewards.a, 0); // a tie of the adversarial scheme, no termination bonus
  r = await env.step({ a: 4, b: 5 });
  assert.deepEqual([r.terminations.a, r.truncations.a], [false, true]);
  assert.deepEqual(env.agents, []);
  assert.throws(
    () => new SparsEnv({ scorer, cases: [c], termination: "never" as "none" }),
    InvalidArgumentError,
  );
});

Deno.test("scoreQuantile is numpy's linear quantile (values by hand)", () => {
  const s = [0.9, 0.1, 0.5, 0.3, 0.7]; // sorted 0.1 0.3 0.5 0.7 0.9
  assert.equal(scoreQuantile(s, 0), 0.1);
  assert.equal(scoreQuantile(s, 1), 0.9);
  assert.equal(scoreQuantile(s, 0.5), 0.5);
  // position 0.9 * 4 = 3.6 -> 0.7 + 0.6 * (0.9 - 0.7) = 0.82
  assert.ok(Math.abs(scoreQuantile(s, 0.9) - 0.82) < 1e-12);
  assert.throws(() => scoreQuantile([], 0.5), InvalidArgumentError);
  assert.throws(() => scoreQuantile(s, 1.5), InvalidArgumentError);
  assert.throws(() => scoreQuantile([0.1, NaN], 0.5), InvalidArgumentError);
});

Deno.test("calibrateTau: the requested quantile of every window of the tumour-free cases only", async () => {
  // Window 1x1x1, stride 1 on 1x1x10 strips: 10 windows per case, scores = voxel values.
  const neg = { ...boxCase("neg", [1, 1, 10], [0, 0, 0], [1, 1, 1]), presence: 0 as const };
  const pos = { ...boxCase("pos", [1, 1, 10], [0, 0, 0], [1, 1, 1]), presence: 1 as const };
  const scorer = new MapScorer("mean")
    .set(neg.image, Float32Array.from({ length: 10 }, (_, x) => x / 10))
    .set(pos.image, new Float32Array(10).fill(1));
  const c = await calibrateTau([pos, neg], scorer, {
    window: [1, 1, 1],
    stride: 1,
    quantile: 0.9,
    windowsPerCase: 100,
    rng: new Rng(3),
  });
  // Scores 0, 0.1, ..., 0.9: position 0.9 * 9 = 8.1 -> 0.8 + 0.1 * 0.1 = 0.81 (the positive's 1s unused).
  assert.ok(Math.abs(c.tau - 0.81) < 1e-6, `tau ${c.tau}`);
  assert.equal(c.windows, 10);
  assert.deepEqual(c.cases, ["neg"]);
  await assert.rejects(
    () =>
      calibrateTau([pos], scorer, {
        window: [1, 1, 1],
        stride: 1,
        quantile: 0.9,
        windowsPerCase: 5,
        rng: new Rng(1),
      }),
    InvalidArgumentError,
  );
});
