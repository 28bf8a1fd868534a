/**
 * The game's rules, hand-computed, including the reference code's mistakes shown absent
 * (REFERENCE-NOTES: 1. opponent's score in the learner's window; 3. clamped vs unclamped corner;
 * 4. uint8 observation space for float observations).
 */
import assert from "node:assert/strict";
import { rewardFunction } from "../env/rewards.ts";
import { SparsEnv } from "../env/spars_env.ts";
import { MapScorer } from "../env/map_scorer.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { EnvStateError } from "../env/errors.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { GreedyAgent } from "../env/baseline_agents.ts";
import { boxCase, scoredStrip } from "./_cases.ts";

const ctx = (scoreA: number, scoreB: number) => ({
  scoreA,
  scoreB,
  cornerA: [0, 0, 0] as const,
  cornerB: [0, 0, 0] as const,
  step: 1,
  newA: true,
  newB: true,
});

Deno.test("reward table of every scheme, ties included", () => {
  const adv = rewardFunction("adversarial");
  assert.deepEqual(adv(ctx(0.6, 0.2)), [1, -1]);
  assert.deepEqual(adv(ctx(0.1, 0.2)), [-1, 1]);
  assert.deepEqual(adv(ctx(0.3, 0.3)), [0, 0]);
  assert.deepEqual(rewardFunction("adversarial", "a")(ctx(0.3, 0.3)), [1, -1]);
  assert.deepEqual(rewardFunction("adversarial", "b")(ctx(0.3, 0.3)), [-1, 1]);
  assert.deepEqual(rewardFunction("adversarial", "a")(ctx(0.1, 0.3)), [-1, 1]);
  const [ma, mb] = rewardFunction("margin")(ctx(0.75, 0.25));
  assert.equal(ma, 0.5);
  assert.equal(mb, -0.5);
  assert.deepEqual(rewardFunction("absolute")(ctx(0.75, 0.25)), [0.75, 0.25]);
  assert.deepEqual(rewardFunction(({ step }) => [step, -step])(ctx(0, 0)), [1, -1]);
  assert.throws(() => rewardFunction("nope" as "margin"), InvalidArgumentError);
  assert.throws(() => rewardFunction("adversarial", "c" as "a"), InvalidArgumentError);
});

Deno.test("each agent's OWN score goes into its OWN clamped window (reference bugs 1 and 3 absent)", async () => {
  const { c, scorer } = scoredStrip();
  const env = new SparsEnv({
    scorer,
    cases: [c],
    window: [1, 1, 2],
    stride: 2,
    start: { a: [0, 0, 0], b: [0, 0, 10] },
    tau: 1,
    maxSteps: 10,
    observationShape: [1, 1, 2],
  });
  await env.reset({ seed: 0 });
  // a moves +x to corner 2 (voxels 2,3: score (2+3)/32); b moves +x from the border: clamped, stays at 10 (voxels 10,11).
  const r = await env.step({ a: 4, b: 4 });
  assert.deepEqual(r.infos.a.corner, [0, 0, 2]);
  assert.deepEqual(r.infos.b.corner, [0, 0, 10]);
  const sa = 5 / 32, sb = 21 / 32;
  assert.equal(r.infos.a.score, sa);
  assert.equal(r.infos.b.score, sb);
  const map = Array.from(env.map.toArray());
  assert.deepEqual(map, [0, 0, sa, sa, 0, 0, 0, 0, 0, 0, sb, sb]);
  assert.deepEqual(r.rewards, { a: -1, b: 1 });
  // Next step: the windows approach each other; each score goes into its own window.
  const r2 = await env.step({ a: 4, b: 5 }); // a: 2 -> 4 (voxels 4,5); b: 10 -> 8 (voxels 8,9)
  assert.equal(r2.infos.a.score, 9 / 32);
  assert.equal(r2.infos.b.score, 17 / 32);
  const map2 = Array.from(env.map.toArray());
  assert.deepEqual(map2, [0, 0, sa, sa, 9 / 32, 9 / 32, 0, 0, 17 / 32, 17 / 32, sb, sb]);
  assert.equal(r2.infos.a.mapEvents, 4);
  assert.equal(r2.infos.a.mapScoreSum, sa + sb + 9 / 32 + 17 / 32);
  // Then both reach the SAME window (corner 6, voxels 6,7: score 13/32 each): both scores are added
  // there, and the adversarial tie rule (default "zero") gives 0 / 0.
  const r3 = await env.step({ a: 4, b: 5 }); // a: 4 -> 6; b: 8 -> 6
  assert.deepEqual(r3.infos.a.corner, [0, 0, 6]);
  assert.deepEqual(r3.infos.b.corner, [0, 0, 6]);
  assert.equal(r3.infos.a.score, 13 / 32);
  assert.equal(r3.infos.b.score, 13 / 32);
  assert.deepEqual(r3.rewards, { a: 0, b: 0 });
  const same = 2 * 13 / 32;
  assert.deepEqual(Array.from(env.map.toArray()), [
    0,
    0,
    sa,
    sa,
    9 / 32,
    9 / 32,
    same,
    same,
    17 / 32,
    17 / 32,
    sb,
    sb,
  ]);
  assert.equal(r3.infos.a.mapEvents, 6);
  assert.equal(r3.infos.a.mapScoreSum, sa + sb + 9 / 32 + 17 / 32 + same);
});

Deno.test("tau termination vs maxSteps truncation; errors before reset, after the end, on bad actions", async () => {
  const { c, scorer } = scoredStrip();
  const make = (tau: number, maxSteps: number) =>
    new SparsEnv({
      scorer,
      cases: [c],
      window: [1, 1, 2],
      stride: 1,
      start: [0, 0, 0],
      tau,
      maxSteps,
      observationShape: [1, 1, 2],
    });
  // Scores of windows at x: (2x+1)/32. With tau 0.25 (8/32) a window must reach x >= 4 (9/32).
  const env = make(0.25, 100);
  await assert.rejects(() => env.step({ a: 0, b: 0 }), EnvStateError);
  await env.reset();
  for (let t = 1; t <= 3; t++) {
    const r = await env.step({ a: 4, b: 5 });
    assert.equal(r.terminations.a, false);
    assert.equal(r.truncations.a, false);
  }
  const end = await env.step({ a: 4, b: 5 });
  assert.deepEqual(end.terminations, { a: true, b: true });
  assert.deepEqual(end.truncations, { a: false, b: false });
  assert.deepEqual(env.agents, []);
  await assert.rejects(() => env.step({ a: 0, b: 0 }), EnvStateError);
  const short = make(1, 2);
  await short.reset();
  await short.step({ a: 4, b: 4 });
  const cut = await short.step({ a: 4, b: 4 });
  assert.deepEqual(cut.truncations, { a: true, b: true });
  assert.deepEqual(cut.terminations, { a: false, b: false });
  await short.reset();
  await assert.rejects(() => short.step({ a: 6, b: 0 }), InvalidArgumentError);
  await assert.rejects(() => short.step({ a: 1.5, b: 0 }), InvalidArgumentError);
  await assert.rejects(() => short.step({ a: 0 } as never), InvalidArgumentError);
});

Deno.test("observations are float crops of the clamped window in a float space (reference bug 4 absent)", async () => {
  const c = boxCase("g", [6, 8, 10], [0, 0, 0], [2, 2, 2]);
  const scorer = new OracleScorer([c]);
  const env = new SparsEnv({
    scorer,
    cases: [c],
    window: [2, 4, 4],
    stride: 3,
    start: [4, 4, 6],
    tau: 1,
    observationShape: [2, 4, 4],
  });
  const space = env.observationSpace("a");
  assert.deepEqual(space.shape, [2, 4, 4, 1]);
  assert.equal(space.dtype, "float32");
  const { observations } = await env.reset();
  assert.ok(space.contains(observations.a));
  // Image value z*100 + y*10 + x - 1000 at the window corner (4,4,6): 400 + 40 + 6 - 1000 = -554.
  assert.equal(observations.a[0], -554);
  assert.equal(observations.a[31], (5 * 100 + 7 * 10 + 9) - 1000);
  // Moving +x by 3 from x=6 clamps to x=6 (maxCorner 10-4 = 6): the same crop again.
  const r = await env.step({ a: 4, b: 0 });
  assert.deepEqual(r.infos.a.corner, [4, 4, 6]);
  assert.deepEqual(r.observations.a, observations.a);
  // Resampled observation: 2x4x4 window -> 1x2x2 is the mean of 2x2x2 blocks.
  const small = new SparsEnv({
    scorer,
    cases: [c],
    window: [2, 4, 4],
    stride: 3,
    start: [0, 0, 0],
    observationShape: [1, 2, 2],
  });
  const o = (await small.reset()).observations.a;
  // Block (z 0..1, y 0..1, x 0..1): mean of z*100+y*10+x = 50 + 5 + 0.5 -> -944.5.
  assert.equal(o[0], -944.5);
  assert.equal(o[3], 50 + 25 + 2.5 - 1000);
});

Deno.test("observation modes: position channels in [0,1]; map channel follows the map", async () => {
  const c = boxCase("g", [6, 8, 10], [0, 0, 0], [6, 8, 10]);
  const scorer = new OracleScorer([c]);
  const pos = new SparsEnv({
    scorer,
    cases: [c],
    window: [2, 4, 4],
    start: [0, 0, 0],
    observation: "window+position",
    observationShape: [2, 4, 4],
  });
  const o = (await pos.reset()).observations.a;
  assert.equal(o.length, 2 * 4 * 4 * 4);
  // First voxel centre (0.5, 0.5, 0.5) over shape (6, 8, 10).
  assert.deepEqual(Array.from(o.subarray(1, 4)), [0.5 / 6, 0.5 / 8, 0.5 / 10].map(Math.fround));
  assert.ok(pos.observationSpace("a").contains(o));
  const withMap = new SparsEnv({
    scorer,
    cases: [c],
    window: [2, 4, 4],
    start: [0, 0, 0],
    tau: 1,
    observation: "window+map",
    observationShape: [2, 4, 4],
  });
  const o0 = (await withMap.reset()).observations.a;
  assert.equal(o0[1], 0); // empty map
  const o1 = (await withMap.step({ a: 1, b: 1 })).observations.a;
  // Both windows (score 1, the whole volume is target) at the same corner: sum 2 / (2 x 1 step) = 1.
  assert.equal(o1[1], 1);
  assert.ok(withMap.observationSpace("a").contains(o1));
});

Deno.test("GreedyAgent climbs to the best window and stays there; on a flat landscape it does not stall", async () => {
  const { c, scorer } = scoredStrip();
  const env = new SparsEnv({
    scorer,
    cases: [c],
    window: [1, 1, 2],
    stride: 2,
    start: [0, 0, 0],
    tau: 1,
    maxSteps: 20,
    observationShape: [1, 1, 2],
  });
  let r = await env.reset();
  const greedy = new GreedyAgent(0);
  const corners: number[] = [];
  for (let t = 0; t < 6; t++) {
    const ctx = { volume: c.image, geometry: env.game.geometry!, scorer: env.scorer, info: r.infos.a };
    const [a] = await greedy.act([r.observations.a], [ctx]);
    r = await env.step({ a, b: 5 });
    corners.push(r.infos.a.corner[2]);
  }
  // Scores rise with x: +x up to the border (x = 10); there a clamped move (staying) beats -x.
  assert.deepEqual(corners, [2, 4, 6, 8, 10, 10]);
  // Flat scores: every clamped move ties with staying and loses the tie, so the only real move (+x) is taken.
  const flat = new SparsEnv({
    scorer: new MapScorer().set(c.image, new Float32Array(12)),
    cases: [c],
    window: [1, 1, 2],
    stride: 2,
    start: [0, 0, 0],
    tau: 1,
    observationShape: [1, 1, 2],
  });
  const f = await flat.reset();
  const ctx = { volume: c.image, geometry: flat.game.geometry!, scorer: flat.scorer, info: f.infos.a };
  assert.deepEqual(Array.from(await new GreedyAgent(3).act([f.observations.a], [ctx])), [4]);
});

Deno.test("terminationBonus goes to each agent whose window reached tau, only on the terminating step", async () => {
  const { c, scorer } = scoredStrip();
  const env = new SparsEnv({
    scorer,
    cases: [c],
    window: [1, 1, 2],
    stride: 1,
    start: [0, 0, 3],
    tau: 0.25,
    terminationBonus: 5,
    observationShape: [1, 1, 2],
  });
  await env.reset();
  // a: x 3 -> 4 scores 9/32 >= 0.25 (terminates); b: x 3 -> 2 scores 5/32.
  const r = await env.step({ a: 4, b: 5 });
  assert.equal(r.terminations.a, true);
  assert.deepEqual(r.rewards, { a: 1 + 5, b: -1 });
  assert.throws(() => new SparsEnv({ scorer, terminationBonus: NaN }), InvalidArgumentError);
});
