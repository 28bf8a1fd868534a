import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";
import { GreedyAgent } from "../env/baseline_agents.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { denseBaseline } from "../eval/dense_baseline.ts";
import {
  bestWindowScore,
  checkGate,
  chooseGate,
  gateCandidates,
  gateObjective,
  type GateSample,
} from "../eval/presence_gate.ts";
import { segment } from "../eval/segment.ts";
import type { Trajectory } from "../eval/trajectory_map.ts";
import { boxCase } from "./_cases.ts";

const BOX = boxCase("box", [4, 32, 32], [0, 16, 18], [4, 8, 12], 2);
const EMPTY = boxCase("empty", [4, 32, 32], [0, 4, 4], [4, 8, 8], 1); // no target voxel

Deno.test("presence gate: best window score over rows 0..cut of every start and the extra windows", () => {
  const t = (scores: number[]): Trajectory => ({
    start: 0,
    steps: scores.length / 2 - 1,
    corners: new Int32Array(3 * scores.length),
    scores: Float32Array.from(scores),
    actions: new Int32Array(scores.length - 2),
    terminated: false,
    truncated: true,
  });
  // Start row scores count (0.6 is a start window), rows after the tau cut do not.
  const a = t([0.6, 0.1, 0.2, 0.3, 0.95, 0.1]);
  const b = t([0.05, 0.5]);
  assert.equal(bestWindowScore([a, b]), Math.fround(0.95));
  assert.equal(bestWindowScore([a, b], 0.25), Math.fround(0.6)); // cut at step 1 (0.3 >= 0.25): row 2 (0.95) is not reached
  const extra = { corners: new Int32Array(3), scores: Float32Array.of(0.7) };
  assert.equal(bestWindowScore([b], undefined, extra), Math.fround(0.7));
  assert.equal(bestWindowScore([]), 0);
  assert.throws(() => checkGate(1.5, "--gate"), InvalidArgumentError);
});

Deno.test("presence gate: the choice on hand-made validation cases (positives and negatives)", () => {
  const samples: GateSample[] = [
    { bestScore: 0.9, positive: true, dice: 0.8, predictedEmpty: false },
    { bestScore: 0.4, positive: true, dice: 0.5, predictedEmpty: false },
    { bestScore: 0.6, positive: false, dice: NaN, predictedEmpty: false },
    { bestScore: 0.2, positive: false, dice: NaN, predictedEmpty: false },
    { bestScore: 0.5, positive: false, dice: NaN, predictedEmpty: true },
  ];
  // Candidates: 0, midpoints of .2 .4 .5 .6 .9, and (0.9 + 1) / 2.
  const c = gateCandidates(samples);
  assert.deepEqual(c.map((g) => Number(g.toFixed(6))), [0, 0.3, 0.45, 0.55, 0.75, 0.95]);
  // By hand: g 0: (.8 + .5 + 0 + 0 + 1) / 5 = .46; .3: + the .2 negative = .66; .45: the .4 positive
  // is lost = .56; .55: .56; .75: + the .6 negative = .76; .95: the .9 positive is lost = .6.
  const expected = [0.46, 0.66, 0.56, 0.56, 0.76, 0.6];
  c.forEach((g, i) => assert.ok(Math.abs(gateObjective(samples, g) - expected[i]) < 1e-12, `gate ${g}`));
  const choice = chooseGate(samples);
  assert.equal(Number(choice.gate.toFixed(6)), 0.75);
  assert.ok(Math.abs(choice.score - 0.76) < 1e-12);
  assert.ok(Math.abs(choice.ungatedScore - 0.46) < 1e-12);
  assert.deepEqual([choice.positives, choice.negatives], [2, 3]);
  // Positives only: no gate helps, so 0 (the smallest) is kept.
  assert.equal(chooseGate(samples.slice(0, 2)).gate, 0);
});

Deno.test("presence gate in segment and the dense baseline: empty mask when the best score < gate", async () => {
  const game = { window: [4, 8, 8] as Vec3, stride: 4, tau: 1, maxSteps: 2 };
  const scorer = new OracleScorer([BOX, EMPTY], { target: 2 });
  // Greedy oracle on BOX, 2 steps: rows .125, .375, .75 (segment_test.ts): best .75.
  const open = await segment(BOX, { ...game, gate: 0.75, agents: new GreedyAgent(), scorer });
  assert.equal(open.bestScore, 0.75);
  assert.equal(open.gated, false);
  assert.ok(open.mask.some((v) => v === 1));
  const closed = await segment(BOX, { ...game, gate: 0.8, agents: new GreedyAgent(), scorer });
  assert.equal(closed.gated, true);
  assert.ok(closed.mask.every((v) => v === 0));
  assert.deepEqual(closed.map, open.map); // the map is kept
  // No tumour: every score 0, so any gate > 0 closes and the threshold -1 mask (all ones) is emptied.
  const none = await segment(EMPTY, {
    ...game,
    threshold: -1,
    gate: 0.01,
    agents: new GreedyAgent(),
    scorer,
  });
  assert.equal(none.bestScore, 0);
  assert.ok(none.gated && none.mask.every((v) => v === 0));
  // Dense: best lattice window of BOX holds 8x8 tumour voxels of 8x8 (y16..23 x20..27): score 1.
  const dense = await denseBaseline(BOX.image, {
    scorer,
    window: [4, 8, 8],
    stride: 4,
    threshold: 0.5,
    gate: 1,
  });
  assert.equal(dense.bestScore, 1);
  assert.equal(dense.gated, false);
  const denseEmpty = await denseBaseline(EMPTY.image, {
    scorer,
    window: [4, 8, 8],
    stride: 4,
    threshold: -1,
    gate: 0.2,
  });
  assert.ok(denseEmpty.gated && denseEmpty.mask.every((v) => v === 0));
  await assert.rejects(
    () => segment(BOX, { ...game, gate: -0.1, agents: new GreedyAgent(), scorer }),
    InvalidArgumentError,
  );
});
