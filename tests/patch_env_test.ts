/**
 * The patch game ("Competing for pixels"): grid cutting, per-round and termination rewards on
 * hand-made oracle images, action mask, refused illegal moves, observations, union segmentation
 * (brute force), seeding and the package's env checkers (games played: patch_play_test.ts).
 */
import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import { generatePhantom } from "../data/phantom.ts";
import { checkEnv, checkParallelEnv } from "../env/checkers.ts";
import { EnvStateError } from "../env/errors.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { type PatchAgentContext, RandomPatchAgent } from "../env/patch/agents.ts";
import { PatchGrid, splitOffsets } from "../env/patch/grid.ts";
import { PatchEnv, type PatchEnvOptions } from "../env/patch/patch_env.ts";
import { PatchSelfPlayEnv } from "../env/patch/self_play.ts";
import { envOn, handCase, scored } from "./_patch_cases.ts";

Deno.test("grid: array_split remainders, exact cover, size groups, refusal of too many parts", () => {
  assert.deepEqual([...splitOffsets(10, 4)], [0, 3, 6, 8, 10]);
  assert.deepEqual([...splitOffsets(7, 3)], [0, 3, 5, 7]);
  const g = new PatchGrid([3, 10, 7], [2, 4, 3]);
  assert.equal(g.count, 24);
  // patch (iz=1, iy=2, ix=1) = (1*4+2)*3+1 = 19: corner z 2, y 6, x 3; size 1, 2, 2
  assert.deepEqual(g.corner(19), [2, 6, 3]);
  assert.deepEqual(g.size(19), [1, 2, 2]);
  assert.deepEqual(g.corner(0), [0, 0, 0]);
  assert.deepEqual(g.size(0), [2, 3, 3]);
  assert.equal(g.groups.length, 8);
  const cover = new Uint8Array(3 * 10 * 7);
  for (let p = 0; p < g.count; p++) {
    const [cz, cy, cx] = g.corner(p), [sz, sy, sx] = g.size(p);
    for (let z = cz; z < cz + sz; z++) {
      for (let y = cy; y < cy + sy; y++) {
        for (let x = cx; x < cx + sx; x++) {
          cover[(z * 10 + y) * 7 + x]++;
          assert.equal(g.patchOf(z, y, x), p);
        }
      }
    }
  }
  assert.ok(cover.every((v) => v === 1), "every voxel in exactly one patch");
  assert.equal(g.groups.reduce((s, gr) => s + gr.patches.length, 0), 24);
  assert.throws(() => new PatchGrid([1, 8, 8], [2, 4, 4]), InvalidArgumentError);
});

Deno.test("rounds: the higher pick of a round wins +1/-1, ties per rule, turns alternate", async () => {
  const env = envOn(scored);
  const r0 = await env.reset({ seed: 0 });
  assert.equal(r0.infos.a.to_move, "a");
  assert.equal(env.actionSpace("a").n, 17);
  let r = await env.step({ a: 5, b: 0 }); // b's action ignored
  assert.deepEqual(r.rewards, { a: 0, b: 0 });
  assert.equal(r.infos.b.to_move, "b");
  assert.equal(r.infos.a.pick_score, 0.75);
  r = await env.step({ b: 0 }); // a's omitted
  assert.deepEqual(r.rewards, { a: -1, b: 1 });
  r = await env.step({ a: 10 });
  r = await env.step({ b: 15 });
  assert.deepEqual(r.rewards, { a: 1, b: -1 }); // 0.25 > 0
  await env.step({ a: 1 });
  r = await env.step({ b: 2 });
  assert.deepEqual(r.rewards, { a: 0, b: 0 }); // tie 0/0
  const tieA = envOn(scored, { ties: "a" });
  await tieA.reset();
  await tieA.step({ a: 1 });
  assert.deepEqual((await tieA.step({ b: 2 })).rewards, { a: 1, b: -1 });
  // b first: the round is b's pick then a's; rewards still by side
  const bFirst = envOn(scored, { first: "b" });
  assert.equal((await bFirst.reset()).infos.a.to_move, "b");
  await bFirst.step({ b: 3 });
  assert.deepEqual((await bFirst.step({ a: 0 })).rewards, { a: 1, b: -1 });
});

Deno.test("termination rewards: object left / not left, early penalty, object-free image", async () => {
  const play = async (moves: [string, number][], options: Partial<PatchEnvOptions> = {}, c = scored) => {
    const env = envOn(c, options);
    await env.reset();
    let r;
    for (const [who, a] of moves) r = await env.step({ [who]: a });
    return { r: r!, env };
  };
  // a: 0, b: 3, a terminates with patch 5 (0.75 > 0.5) left
  let { r, env } = await play([["a", 0], ["b", 3], ["a", 16]]);
  assert.deepEqual(r.rewards, { a: -100, b: 100 });
  assert.deepEqual(r.terminations, { a: true, b: true });
  assert.deepEqual(env.agents, []);
  assert.equal(r.infos.a.terminated_by, "a");
  await assert.rejects(() => env.step({ a: 1 }), EnvStateError);
  // a: 0, b: 5 (round: a +1), a terminates: left max 0.25 <= 0.5 -> +100
  ({ r } = await play([["a", 0], ["b", 5], ["a", 16]]));
  assert.deepEqual(r.rewards, { a: 100, b: -100 });
  // weight and the strict threshold: 0.25 > 0.2 is an object left
  ({ r } = await play([["a", 0], ["b", 5], ["a", 16]], { terminationWeight: 10, presenceThreshold: 0.2 }));
  assert.deepEqual(r.rewards, { a: -10, b: 10 });
  // a terminates before any pick with objects left: -100 - 1
  ({ r } = await play([["a", 16]]));
  assert.deepEqual(r.rewards, { a: -101, b: 100 });
  // b terminates after a's pick (incomplete round: no round reward), b has no pick
  ({ r } = await play([["a", 3], ["b", 16]], { earlyTerminationPenalty: 5 }));
  assert.deepEqual(r.rewards, { a: 100, b: -105 });
  // object-free image: terminating at once is right (+100 - 1)
  ({ r } = await play([["a", 16]], {}, handCase("empty", [1, 8, 8], [])));
  assert.deepEqual(r.rewards, { a: 99, b: -100 });
});

Deno.test("action mask in every info; an illegal pick is refused with a penalty and keeps the turn", async () => {
  const env = envOn(scored, { illegalPenalty: 2.5 });
  const r0 = await env.reset();
  assert.ok(r0.infos.a.action_mask instanceof Uint8Array);
  assert.notEqual(r0.infos.a.action_mask, r0.infos.b.action_mask); // each player owns its mask
  assert.deepEqual([...r0.infos.b.action_mask], new Array(17).fill(1));
  const r1 = await env.step({ a: 3 });
  const expected = new Array(17).fill(1);
  expected[3] = 0;
  assert.deepEqual([...r1.infos.a.action_mask], expected);
  assert.deepEqual([...r1.infos.b.action_mask], expected);
  const r2 = await env.step({ b: 3 });
  assert.deepEqual(r2.rewards, { a: 0, b: -2.5 });
  assert.equal(r2.infos.b.illegal, true);
  assert.equal(r2.infos.b.to_move, "b");
  assert.equal(r2.infos.b.taken, 1);
  assert.equal(r2.infos.b.step, 2);
  assert.deepEqual([...r2.observations.b], [...r1.observations.b]);
  const r3 = await env.step({ b: 0 });
  assert.deepEqual(r3.rewards, { a: -1, b: 1 }); // 0 (patch 3) vs 1 (patch 0)
  await assert.rejects(() => env.step({ a: 17 }), InvalidArgumentError);
  await assert.rejects(() => env.step({ a: -1 }), InvalidArgumentError);
  await assert.rejects(() => env.step({ b: 1 }), InvalidArgumentError); // mover a missing
  // truncation: refused moves count toward maxSteps
  const t = envOn(scored, { maxSteps: 3 });
  await t.reset();
  await t.step({ a: 0 });
  await t.step({ b: 0 });
  const end = await t.step({ b: 0 });
  assert.deepEqual(end.truncations, { a: true, b: true });
  assert.deepEqual(end.terminations, { a: false, b: false });
});

Deno.test("observation: normalised image, taken patches zeroed, mask channel, inside its Box", async () => {
  const env = envOn(scored);
  await env.reset();
  const r = await env.step({ a: 5 });
  const obs = r.observations.a, data = scored.image.data;
  let lo = Infinity, hi = -Infinity;
  for (const v of data) lo = Math.min(lo, v), hi = Math.max(hi, v);
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      const i = y * 8 + x, inPatch5 = y >> 1 === 1 && x >> 1 === 1;
      assert.equal(obs[2 * i + 1], inPatch5 ? 1 : 0);
      assert.ok(Math.abs(obs[2 * i] - (inPatch5 ? 0 : (data[i] - lo) / (hi - lo))) < 1e-6);
    }
  }
  assert.ok(env.observationSpace("a").contains(obs));
  assert.deepEqual(env.observationSpace("a").shape, [1, 8, 8, 2]);
});

Deno.test("score channel: each cell holds its patch's oracle share by hand, 0 once taken; 3-channel Box", async () => {
  const env = envOn(scored, { observeScores: true });
  const plain = envOn(scored);
  const r0 = await env.reset();
  assert.deepEqual(env.observationSpace("a").shape, [1, 8, 8, 3]);
  // Hand-made shares (see _patch_cases.ts): patch 0 holds 4/4, patch 5 3/4, patch 10 1/4, others 0.
  const share = (p: number): number => p === 0 ? 1 : p === 5 ? 0.75 : p === 10 ? 0.25 : 0;
  await plain.reset();
  const p1 = await plain.step({ a: 5 });
  const r1 = await env.step({ a: 5 });
  for (const [r, taken] of [[r0, -1], [r1, 5]] as const) {
    const obs = r.observations.a;
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const i = y * 8 + x, p = (y >> 1) * 4 + (x >> 1);
        assert.equal(obs[3 * i + 2], p === taken ? 0 : share(p), `cell ${y},${x} after taking ${taken}`);
      }
    }
    assert.ok(env.observationSpace("a").contains(obs));
  }
  // Channels 0 and 1 are those of the 2-channel observation.
  for (let i = 0; i < 64; i++) {
    assert.equal(r1.observations.a[3 * i], p1.observations.a[2 * i]);
    assert.equal(r1.observations.a[3 * i + 1], p1.observations.a[2 * i + 1]);
  }
  assert.throws(() => envOn(scored, { observeScores: 1 as unknown as boolean }), InvalidArgumentError);
});

Deno.test("segmentation = union of picked patches (brute force), score map = their scores", async () => {
  const c = generatePhantom({ seed: 3, shape: [5, 23, 19] });
  const oracle = new OracleScorer([c], { target: [1, 2] });
  const env = new PatchEnv({ scorer: oracle, cases: [c], grid: [2, 3, 4], observationShape: [2, 8, 8] });
  const agent = new RandomPatchAgent(7, 0.05);
  let r = await env.reset({ seed: 1 });
  const picks: number[] = [];
  while (env.agents.length) {
    const who = r.infos.a.to_move;
    const ctx: PatchAgentContext = {
      volume: c.image,
      grid: env.game.grid!,
      scorer: env.scorer,
      actionMask: r.infos[who].action_mask,
      presenceThreshold: 0.5,
    };
    const [a] = await agent.act([r.observations[who]], [ctx]);
    r = await env.step({ [who]: a });
    if (r.infos.a.pick >= 0) picks.push(r.infos.a.pick);
  }
  assert.ok(picks.length >= 2, `picks ${picks.length}`);
  const [nz, ny, nx] = c.image.shape;
  const want = new Uint8Array(nz * ny * nx), wantMap = new Float32Array(want.length);
  const grid = new PatchGrid(c.image.shape, [2, 3, 4]);
  for (const p of picks) {
    const [s] = await oracle.score(c.image, Int32Array.from(grid.corner(p)), grid.size(p));
    const [cz, cy, cx] = grid.corner(p), [sz, sy, sx] = grid.size(p);
    for (let z = cz; z < cz + sz; z++) {
      for (let y = cy; y < cy + sy; y++) {
        for (let x = cx; x < cx + sx; x++) {
          want[(z * ny + y) * nx + x] = 1;
          wantMap[(z * ny + y) * nx + x] = s;
        }
      }
    }
  }
  assert.deepEqual(env.segmentation(), want);
  assert.deepEqual(env.scoreMap(), wantMap);
});

Deno.test("checkParallelEnv passes on PatchEnv; checkEnv on the self-play view (both sides)", async () => {
  const cases = [1, 2, 3].map((seed) => generatePhantom({ seed, shape: [1, 32, 32] }));
  const oracle = new OracleScorer(cases, { target: 2 });
  for (const first of ["a", "b", "random"] as const) {
    await checkParallelEnv(() => new PatchEnv({ scorer: oracle, cases, first }), { seed: 4 });
  }
  await checkParallelEnv(() => new PatchEnv({ scorer: oracle, cases, observeScores: true }), { seed: 4 });
  for (const learner of ["a", "b"] as const) {
    await checkEnv(() =>
      new PatchSelfPlayEnv({
        scorer: oracle,
        cases,
        learner,
        first: "random",
        observeScores: learner === "b",
        opponent: new RandomPatchAgent(3),
      })
    );
  }
});

Deno.test("seeding: same seed, same case, first mover and trajectory", async () => {
  const cases = [1, 2, 3, 4].map((seed) => generatePhantom({ seed, shape: [1, 24, 24] }));
  const run = async () => {
    const env = new PatchSelfPlayEnv({
      scorer: new OracleScorer(cases, { target: 2 }),
      cases,
      first: "random",
      opponent: new RandomPatchAgent(5),
    });
    const me = new RandomPatchAgent(6), trace: unknown[] = [];
    for (let e = 0; e < 3; e++) {
      let r = await env.reset({ seed: e === 0 ? 11 : undefined });
      trace.push(env.env.game.case!.id, r.info.to_move);
      let done = false;
      while (!done) {
        const [a] = await me.act([r.observation], [env.context()]);
        const s = await env.step(a);
        trace.push(a, s.reward, Array.from(s.observation.subarray(0, 64)));
        done = s.terminated || s.truncated;
        r = s;
      }
    }
    return trace;
  };
  assert.deepEqual(await run(), await run());
});
