import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { deconvolvedMap, distinctWindows } from "../eval/deconvolved_map.ts";
import { denseBaseline } from "../eval/dense_baseline.ts";
import { applyMaskRule, describeMaskRule, parseMaskRule } from "../eval/mask_rule.ts";
import { dice } from "../eval/metrics.ts";
import type { WindowScores } from "../eval/trajectory_map.ts";
import { mapWindows, type Trajectory } from "../eval/trajectory_map.ts";
import { sweepDenseRules } from "../eval/rule_sweep.ts";
import { boxCase } from "./_cases.ts";

const windowsOf = (corners: number[], scores: number[]): WindowScores => ({
  corners: Int32Array.from(corners),
  scores: Float32Array.from(scores),
});

/** The same iterations written the slow way: every window's voxels visited one by one. */
function naiveDeconvolution(w: WindowScores, shape: Vec3, window: Vec3, iterations: number): Float64Array {
  const n = w.scores.length, voxels = shape[0] * shape[1] * shape[2];
  const voxelsOf = (i: number): number[] => {
    const out: number[] = [];
    const [z0, y0, x0] = w.corners.subarray(3 * i, 3 * i + 3);
    for (let z = z0; z < z0 + window[0]; z++) {
      for (let y = y0; y < y0 + window[1]; y++) {
        for (let x = x0; x < x0 + window[2]; x++) out.push((z * shape[1] + y) * shape[2] + x);
      }
    }
    return out;
  };
  const cover = new Float64Array(voxels), x = new Float64Array(voxels);
  for (let i = 0; i < n; i++) for (const v of voxelsOf(i)) (cover[v] += 1, x[v] += w.scores[i]);
  for (let v = 0; v < voxels; v++) x[v] = cover[v] ? x[v] / cover[v] : 0;
  for (let it = 0; it < iterations; it++) {
    const back = new Float64Array(voxels);
    for (let i = 0; i < n; i++) {
      const vs = voxelsOf(i);
      const predicted = vs.reduce((s, v) => s + x[v], 0) / vs.length;
      const ratio = predicted > 1e-12 ? w.scores[i] / predicted : 0;
      for (const v of vs) back[v] += ratio;
    }
    for (let v = 0; v < voxels; v++) x[v] = cover[v] ? Math.min(1, (x[v] * back[v]) / cover[v]) : 0;
  }
  return x;
}

Deno.test("deconvolvedMap: 0 iterations is the mean per covering window, by hand", () => {
  // 1x1x6 volume, windows of 2 voxels at x = 0..4 scored by the share of target voxels 2, 3.
  const w = windowsOf([0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4], [0, 0.5, 1, 0.5, 0]);
  const x = deconvolvedMap(w, [1, 1, 6], [1, 1, 2], 0);
  assert.deepEqual([...x], [0, 0.25, 0.75, 0.75, 0.25, 0]);
});

Deno.test("deconvolvedMap: recovers a target smaller than the window from its share scores", () => {
  const w = windowsOf([0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4], [0, 0.5, 1, 0.5, 0]);
  const x = deconvolvedMap(w, [1, 1, 6], [1, 1, 2], 200);
  const truth = [0, 0, 1, 1, 0, 0];
  x.forEach((v, i) => assert.ok(Math.abs(v - truth[i]) < 0.02, `voxel ${i}: ${v}`));
});

Deno.test("deconvolvedMap: equals a voxel-by-voxel implementation; 0 outside the windows", () => {
  const shape: Vec3 = [5, 6, 7], window: Vec3 = [2, 3, 3];
  let seed = 12345;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const corners: number[] = [], scores: number[] = [];
  for (let i = 0; i < 25; i++) {
    // Kept inside z 0..3, y 1..5, x 0..6: voxels with y = 0 are covered by no window.
    corners.push(Math.floor(rand() * 4), 1 + Math.floor(rand() * 3), Math.floor(rand() * 5));
    scores.push(i % 5 === 0 ? 0 : rand());
  }
  const w = windowsOf(corners, scores);
  const unique = distinctWindows(w, shape);
  const expected = naiveDeconvolution(unique, shape, window, 7);
  const actual = deconvolvedMap(w, shape, window, 7);
  expected.forEach((v, i) => assert.ok(Math.abs(actual[i] - v) < 1e-5, `voxel ${i}: ${actual[i]} vs ${v}`));
  for (let z = 0; z < 5; z++) for (let x = 0; x < 7; x++) assert.equal(actual[(z * 6 + 0) * 7 + x], 0);
});

Deno.test("deconvolvedMap: zero-score windows far from and across the positive ones: still equal to the voxel-by-voxel map", () => {
  // The map is computed only on the box of the windows scoring > 0; windows scoring 0 that reach into
  // it (or lie far away) must leave the same map as visiting every voxel of every window.
  const shape: Vec3 = [6, 14, 15], window: Vec3 = [2, 3, 4];
  let seed = 99;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const corners: number[] = [], scores: number[] = [];
  for (let i = 0; i < 12; i++) { // positives in a corner region: z 1..3, y 4..7, x 5..9
    corners.push(1 + Math.floor(rand() * 3), 4 + Math.floor(rand() * 4), 5 + Math.floor(rand() * 5));
    scores.push(0.05 + 0.9 * rand());
  }
  for (let i = 0; i < 30; i++) { // zeros anywhere: many overlap the positives' box, some do not
    corners.push(Math.floor(rand() * 5), Math.floor(rand() * 12), Math.floor(rand() * 12));
    scores.push(0);
  }
  const w = windowsOf(corners, scores);
  const expected = naiveDeconvolution(distinctWindows(w, shape), shape, window, 9);
  const actual = deconvolvedMap(w, shape, window, 9);
  let positive = 0;
  expected.forEach((v, i) => {
    assert.ok(Math.abs(actual[i] - v) < 1e-5, `voxel ${i}: ${actual[i]} vs ${v}`);
    if (v > 0) positive++;
  });
  assert.ok(positive > 0);
  // Only zero scores: the map is 0 everywhere (as the reference says too).
  const zeros = windowsOf([0, 0, 0, 2, 3, 4], [0, 0]);
  assert.ok(deconvolvedMap(zeros, shape, window, 5).every((v) => v === 0));
  assert.ok(naiveDeconvolution(zeros, shape, window, 5).every((v) => v === 0));
});

Deno.test("distinctWindows: each corner once, first score kept; duplicates do not change the map", () => {
  const w = windowsOf([0, 0, 0, 0, 0, 1, 0, 0, 0], [0.2, 0.9, 0.7]);
  const d = distinctWindows(w, [1, 1, 4]);
  assert.deepEqual([...d.corners], [0, 0, 0, 0, 0, 1]);
  assert.deepEqual([...d.scores], [Math.fround(0.2), Math.fround(0.9)]);
  assert.deepEqual(deconvolvedMap(w, [1, 1, 4], [1, 1, 2], 5), deconvolvedMap(d, [1, 1, 4], [1, 1, 2], 5));
});

Deno.test("deconvolvedMap: bad input is a typed error naming it", () => {
  const ok = windowsOf([0, 0, 0], [0.5]);
  assert.throws(() => deconvolvedMap(ok, [1, 1, 4], [1, 1, 2], -1), InvalidArgumentError);
  assert.throws(() => deconvolvedMap(ok, [1, 1, 4], [1, 1, 2], 1.5), /iterations/);
  assert.throws(() => deconvolvedMap(windowsOf([0, 0, 3], [0.5]), [1, 1, 4], [1, 1, 2]), /corners\[0\]/);
  assert.throws(() => deconvolvedMap(windowsOf([0, 0, 0], [1.5]), [1, 1, 4], [1, 1, 2]), /scores\[0\]/);
  assert.throws(() => deconvolvedMap(windowsOf([0, 0], [0.5]), [1, 1, 4], [1, 1, 2]), /3 corner values/);
  assert.deepEqual([...deconvolvedMap(windowsOf([], []), [1, 1, 3], [1, 1, 2])], [0, 0, 0]);
});

Deno.test("deconv mask rule: parsed, described, checked; thresholds its map at a fraction of the peak", () => {
  assert.deepEqual(parseMaskRule("deconv:0.4"), { kind: "deconv", value: 0.4 });
  assert.equal(describeMaskRule({ kind: "deconv", value: 0.4 }), "deconvolved map > 0.4 x peak");
  assert.throws(() => parseMaskRule("deconv:1.2", "--mask-rule"), /--mask-rule/);
  const map = Float32Array.from([9, 9, 9, 9]), deconv = Float32Array.from([0, 0.5, 1, 0.3]);
  assert.deepEqual([
    ...applyMaskRule({ kind: "deconv", value: 0.4 }, map, undefined, undefined, undefined, deconv),
  ], [
    0,
    1,
    1,
    0,
  ]);
  assert.throws(() => applyMaskRule({ kind: "deconv", value: 0.4 }, map), /deconvMap/);
});

Deno.test("mapWindows: rows 1..cut of each trajectory, a then b, then the extra windows", () => {
  const t: Trajectory = {
    start: 0,
    steps: 2,
    corners: Int32Array.from([0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0, 5]),
    scores: Float32Array.from([0.1, 0.2, 0.3, 0.9, 0.5, 0.6]),
    actions: new Int32Array(4),
    terminated: true,
    truncated: false,
  };
  const all = mapWindows([t], undefined, windowsOf([0, 0, 7], [0.25]));
  assert.deepEqual([...all.corners], [0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0, 5, 0, 0, 7]);
  assert.deepEqual([...all.scores], [0.3, 0.9, 0.5, 0.6, 0.25].map(Math.fround));
  // tau 0.8: step 1 already scores 0.9, so the cut is step 1.
  assert.deepEqual([...mapWindows([t], 0.8).corners], [0, 0, 2, 0, 0, 3]);
});

Deno.test("dense baseline, deconv rule, oracle scorer: a lattice-aligned target smaller than the window is found exactly", async () => {
  // 12x20x20 volume, target 2x4x4 at (4, 8, 8), windows 4x8x8 on a stride-2 lattice: zero-scoring
  // windows clear every voxel around the target, and the target's voxels keep all the mass.
  const c = boxCase("deconv", [12, 20, 20], [4, 8, 8], [2, 4, 4]);
  const truth = Uint8Array.from(c.labels!.data, (v) => (v === 1 ? 1 : 0));
  const options = { scorer: new OracleScorer([c], { target: 1 }), window: [4, 8, 8] as Vec3, stride: 2 };
  const deconv = await denseBaseline(c.image, { ...options, rule: { kind: "deconv", value: 0.5 } });
  assert.equal(dice(deconv.mask, truth), 1);
});

Deno.test("sweepDenseRules with a deconv kind: the lattice-aligned target scores Dice 1 at every fraction", async () => {
  const c = boxCase("deconv-sweep", [12, 20, 20], [4, 8, 8], [2, 4, 4]);
  const truth = Uint8Array.from(c.labels!.data, (v) => (v === 1 ? 1 : 0));
  const scorer = new OracleScorer([c], { target: 1 });
  const swept = await sweepDenseRules(c, truth, { scorer, window: [4, 8, 8], stride: 2 }, {
    taus: [NaN],
    rules: [{ kind: "deconv", values: [0.3, 0.5, 0.9] }],
    starts: [1],
  });
  assert.deepEqual(swept.dice[0][0][0], [1, 1, 1]);
});
