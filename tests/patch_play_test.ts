/**
 * The patch game played: oracle-greedy segmentation of hand-made images, batched greedy scoring,
 * the self-play view's reward sums, and render.
 */
import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import type { Case, Vec3 } from "../data/types.ts";
import { EnvStateError } from "../env/errors.ts";
import { AGENT_COLORS } from "../env/frame.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import type { RgbaFrame } from "../env/png.ts";
import type { Scorer } from "../env/scorer.ts";
import {
  GreedyPatchAgent,
  type PatchAgent,
  type PatchAgentContext,
  RandomPatchAgent,
} from "../env/patch/agents.ts";
import { PatchGrid } from "../env/patch/grid.ts";
import { PatchEnv } from "../env/patch/patch_env.ts";
import { PatchSelfPlayEnv } from "../env/patch/self_play.ts";
import { envOn, handCase, patchVoxels, scored } from "./_patch_cases.ts";

/** Greedy plays both sides of a parallel env; returns the picks and the final step. */
async function greedyGame(env: PatchEnv, c: Case) {
  const greedy = new GreedyPatchAgent();
  let r = await env.reset({ options: { case: c } });
  const picks: number[] = [];
  let last;
  while (env.agents.length) {
    const who = r.infos.a.to_move;
    const ctx: PatchAgentContext = {
      volume: c.image,
      grid: env.game.grid!,
      scorer: env.scorer,
      actionMask: r.infos[who].action_mask,
      presenceThreshold: env.config.presenceThreshold,
    };
    const [a] = await greedy.act([r.observations[who]], [ctx]);
    last = await env.step({ [who]: a });
    if (last.infos.a.pick >= 0) picks.push(last.infos.a.pick);
    r = last;
  }
  return { picks, last: last! };
}

Deno.test("oracle-greedy segments a hand-made two-blob image exactly at patch resolution", async () => {
  // 16x16, grid 4x4 (patches 4x4). Blob 1 = patches 0 and 1; blob 2 = patches 10 and 14.
  const vox: Vec3[] = [];
  for (const p of [0, 1, 10, 14]) {
    const iy = p >> 2, ix = p & 3;
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) vox.push([0, 4 * iy + y, 4 * ix + x]);
  }
  const c = handCase("blobs", [1, 16, 16], vox);
  const env = new PatchEnv({ scorer: new OracleScorer([c]), cases: [c], grid: [1, 4, 4] });
  const { picks, last } = await greedyGame(env, c);
  assert.deepEqual(picks, [0, 1, 10, 14]); // best first, lowest index on ties
  assert.equal(last.infos.a.terminated_by, "a"); // a moves 5th: nothing left above 0.5
  assert.deepEqual(last.rewards, { a: 100, b: -100 });
  assert.deepEqual(env.segmentation(), c.labels!.data);
});

Deno.test("greedy: one scorer call per patch size for a batch of games; threshold terminates", async () => {
  const c = handCase("g", [1, 8, 8], patchVoxels(6, 3));
  const oracle = new OracleScorer([c]);
  let calls = 0;
  const counting: Scorer = {
    id: "counting",
    score: (v, k, s) => oracle.score(v, k, s),
    scoreBatch: (
      requests,
      s,
    ) => (calls++, Promise.all(requests.map((q) => oracle.score(q.volume, q.corners, s)))),
  };
  const grid = new PatchGrid([1, 8, 8], [1, 4, 4]);
  const ctx = (mask: number[]): PatchAgentContext => ({
    volume: c.image,
    grid,
    scorer: counting,
    actionMask: Uint8Array.from(mask),
    presenceThreshold: 0.5,
  });
  const all = new Array(17).fill(1), without6 = all.map((v, i) => i === 6 ? 0 : v);
  const out = await new GreedyPatchAgent().act([new Float32Array(0), new Float32Array(0)], [
    ctx(all),
    ctx(without6),
  ]);
  assert.equal(calls, 1);
  assert.deepEqual([...out], [6, 16]);
  assert.deepEqual([...await new GreedyPatchAgent(0.8).act([new Float32Array(0)], [ctx(all)])], [16]); // 0.75 <= 0.8
  const rnd = new RandomPatchAgent(1, 0);
  for (let i = 0; i < 50; i++) {
    const [a] = await rnd.act([new Float32Array(0)], [ctx(without6)]);
    assert.ok(a !== 6 && a !== 16);
  }
});

Deno.test("self-play: rewards summed over the opponent's replies; opening termination deferred", async () => {
  const sp = new PatchSelfPlayEnv({
    scorer: new OracleScorer([scored]),
    cases: [scored],
    grid: [1, 4, 4],
    learner: "b",
    opponent: new GreedyPatchAgent(),
  });
  const r = await sp.reset();
  assert.equal(r.info.to_move, "b");
  assert.equal(r.info.taken, 1); // greedy a took patch 0 (score 1)
  // b takes 5 (0.75): round a 1 vs b 0.75 -> b -1; greedy a then sees max 0.25 <= 0.5 and terminates:
  // a +100, b -100. Learner reward -101, terminated.
  const s = await sp.step(5);
  assert.equal(s.reward, -101);
  assert.equal(s.terminated, true);
  await assert.rejects(() => sp.step(0), EnvStateError);
  const quitter: PatchAgent = {
    name: "quit",
    act: (_o, c) => Promise.resolve(Int32Array.from(c, (x) => x.grid.count)),
  };
  const q = new PatchSelfPlayEnv({
    scorer: new OracleScorer([scored]),
    cases: [scored],
    grid: [1, 4, 4],
    learner: "b",
    opponent: quitter,
  });
  const r2 = await q.reset();
  assert.equal(r2.info.taken, 0);
  await assert.rejects(() => q.step(99), InvalidArgumentError);
  const s2 = await q.step(3); // ignored: a terminated at once with objects left -> a -101, b +100
  assert.equal(s2.reward, 100);
  assert.equal(s2.terminated, true);
});

function hasColour(f: RgbaFrame, [r, g, b]: readonly number[]): boolean {
  for (let i = 0; i < f.width * f.height; i++) {
    if (f.data[4 * i] === r && f.data[4 * i + 1] === g && f.data[4 * i + 2] === b) return true;
  }
  return false;
}

Deno.test("render: ansi grid and an RGBA frame image | patches | map with both players' colours", async () => {
  const env = envOn(scored, { renderMode: "rgb_array" });
  await env.reset();
  await env.step({ a: 0 });
  await env.step({ b: 15 });
  const f = env.render() as RgbaFrame;
  assert.equal(f.width, 3 * 16 + 2 * 4);
  assert.equal(f.height, 16);
  assert.ok(hasColour(f, AGENT_COLORS.a) && hasColour(f, AGENT_COLORS.b));
  const text = envOn(scored);
  await text.reset();
  await text.step({ a: 0 });
  await text.step({ b: 15 });
  assert.equal((text.render() as string).split("\n").slice(1).join("|"), "  a...|  ....|  ....|  ...b");
});

Deno.test("render: grey levels follow the game's intensity range (value 7 of 0..100 -> 17.85 of 255)", async () => {
  const env = envOn(scored, { renderMode: "rgb_array", intensityRange: [0, 100] });
  await env.reset();
  const f = env.render() as RgbaFrame;
  // The second panel (x from 16 + 4 px): the image with the players' patches, none taken yet.
  const grey = (y: number, x: number) => f.data[((2 * y) * f.width + 20 + 2 * x) * 4];
  assert.equal(grey(0, 0), 255, "a tumour voxel (100 + 0) saturates");
  assert.ok(Math.abs(grey(7, 7) - 7 / 100 * 255) <= 1, `${grey(7, 7)}`);
});
