import assert from "node:assert/strict";
import { type Case, diagonalAffine, type Vec3 } from "../data/types.ts";
import type { AgentInfo } from "../env/game.ts";
import type { VectorReset, VectorStep } from "../env/vector_env.ts";
import { RolloutTracker } from "../train/rollout_tracker.ts";

/** A 4x4x4 case; `target` voxels get label 2, voxel (0,0,0) label 1 (not the target). */
function cube(id: string, presence: 0 | 1, target: readonly Vec3[]): Case {
  const shape = [4, 4, 4] as const, spacing = [1, 1, 1] as const, affine = diagonalAffine(spacing);
  const labels = new Uint8Array(64);
  labels[0] = 1;
  for (const [z, y, x] of target) labels[(z * 4 + y) * 4 + x] = 2;
  return {
    id,
    presence,
    image: { id, shape, spacing, affine, data: new Float32Array(64) },
    labels: { id, shape, spacing, affine, data: labels },
  };
}

const info = (corner: Vec3, score: number): AgentInfo => ({
  score,
  opponentScore: 0,
  corner,
  opponentCorner: [0, 0, 0],
  step: 0,
  caseId: "",
  mapEvents: 0,
  mapWindows: 0,
  mapScoreSum: 0,
});

/** One hand-made vector step of 2 games: per game [corner, score, flag], flag "" | "term" | "trunc" | "reset". */
function step(games: readonly [Vec3, number, string][]): VectorStep {
  const flags = (f: string) => Uint8Array.from(games, (g) => (g[2] === f ? 1 : 0));
  const infos = games.map(([c, s]) => info(c, s));
  return {
    observations: { a: [], b: [] },
    infos: { a: infos, b: infos },
    rewards: { a: new Float32Array(games.length), b: new Float32Array(games.length) },
    terminations: { a: flags("term"), b: flags("term") },
    truncations: { a: flags("trunc"), b: flags("trunc") },
    autoreset: flags("reset"),
  };
}

Deno.test("rollout tracker: visited score, distinct windows, terminated share by presence, valid share, on-target (labels)", () => {
  const positive = cube("p", 1, [[3, 3, 3]]), negative = cube("n", 0, []);
  const tracker = new RolloutTracker({
    numEnvs: 2,
    window: [2, 2, 2],
    caseOf: (i) => (i === 0 ? positive : negative),
    target: 2,
  });
  const reset: VectorReset = {
    observations: { a: [], b: [] },
    infos: { a: [info([0, 0, 0], 0), info([0, 0, 0], 0)], b: [] },
  };
  tracker.reset(reset);
  // game 0 (positive): start 000, then 222 (touches (3,3,3)), 222 again, 022 (does not) and truncated.
  // game 1 (negative): 002 terminated; autoreset to 200; 200; 222 terminated.
  tracker.step(step([[[2, 2, 2], 0.5, ""], [[0, 0, 2], 0.1, "term"]]));
  tracker.step(step([[[2, 2, 2], 0.5, ""], [[2, 0, 0], 0.9, "reset"]]));
  tracker.step(step([[[0, 2, 2], 0.25, "trunc"], [[2, 0, 0], 0, ""]]));
  tracker.step(step([[[0, 0, 0], 0.9, "reset"], [[2, 2, 2], 0.3, "term"]]));
  const p = tracker.take();
  // 8 rows, 2 autoreset rows (their scores 0.9 are not visits of a transition)
  assert.equal(p.validShare, 6 / 8);
  assert.ok(Math.abs(p.visitedScore - (0.5 + 0.1 + 0.5 + 0.25 + 0 + 0.3) / 6) < 1e-12, `${p.visitedScore}`);
  // episodes: game 1 {000, 002} = 2; game 0 {000, 222, 022} = 3; game 1 {200, 222} = 2
  assert.ok(Math.abs(p.distinctWindows - 7 / 3) < 1e-12, `${p.distinctWindows}`);
  assert.equal(p.terminatedSharePositive, 0); // 0 of 1
  assert.equal(p.terminatedShareNegative, 1); // 2 of 2
  // only the positive case holds the target: its 3 valid steps, 2 of them on 222
  assert.equal(p.onTargetShareLabels, 2 / 3);
  // taken: the counts start again
  const empty = tracker.take();
  for (const v of Object.values(empty)) assert.ok(Number.isNaN(v));
});

Deno.test("rollout tracker: episodes span rollouts; no target means no on-target share; label 1 is not target 2", () => {
  const c = cube("p", 1, [[3, 3, 3]]);
  const untargeted = new RolloutTracker({ numEnvs: 1, window: [2, 2, 2], caseOf: () => c });
  const labelOne = new RolloutTracker({ numEnvs: 1, window: [2, 2, 2], caseOf: () => c, target: 1 });
  for (const t of [untargeted, labelOne]) {
    t.reset({ observations: { a: [], b: [] }, infos: { a: [info([2, 2, 2], 0)], b: [] } });
    t.step(step([[[0, 0, 0], 0.2, ""]]));
  }
  assert.ok(Number.isNaN(untargeted.take().onTargetShareLabels));
  const first = labelOne.take();
  assert.equal(first.onTargetShareLabels, 1); // window 000 holds the label-1 voxel
  assert.ok(Number.isNaN(first.distinctWindows)); // no episode ended yet
  labelOne.step(step([[[0, 0, 2], 0.2, "trunc"]]));
  const second = labelOne.take();
  assert.equal(second.distinctWindows, 3); // 222 (start, previous rollout), 000, 002
  assert.equal(second.onTargetShareLabels, 0);
  assert.throws(
    () => new RolloutTracker({ numEnvs: 1, window: [2, 2, 2], caseOf: () => c, target: 0 }),
    /evalTarget/,
  );
});
