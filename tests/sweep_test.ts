import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import type { Vec3 } from "../data/types.ts";
import { targetMask } from "../data/tile.ts";
import { GreedyAgent } from "../env/baseline_agents.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { dice } from "../eval/metrics.ts";
import { segment } from "../eval/segment.ts";
import {
  defaultThresholds,
  diceByThreshold,
  runSweep,
  summarizeSweep,
  windowAblation,
} from "../eval/sweep.ts";
import { sweepMarkdown, sweepPlot, sweepPlotSpec } from "../eval/sweep_report.ts";
import { chartSvg } from "../eval/chart.ts";
import { boxCase } from "./_cases.ts";
import { axisLabels, legendLabels, lineStrokes, tickValues, titles as svgTitles } from "./_svg_chart.ts";

// The hand-checked case of segment_test.ts: greedy oracle scores .375, .75, 1 at steps 1..3.
const BOX = boxCase("box", [4, 32, 32], [0, 16, 18], [4, 8, 12], 2);
// No target voxel (label 1 only, target 2): Dice is NaN at every setting.
const EMPTY = boxCase("empty", [4, 32, 32], [0, 4, 4], [4, 8, 8], 1);
const GAME = { window: [4, 8, 8] as Vec3, stride: 4, maxSteps: 6 };

Deno.test("diceByThreshold equals dice() of each thresholded map (unsorted, repeated, negative thresholds)", () => {
  const rng = new Rng(3);
  const map = Float32Array.from({ length: 500 }, () => (rng.float() < 0.3 ? 0 : rng.float() * 4));
  const truth = Uint8Array.from({ length: 500 }, (_, i) => (map[i] > 1.5 !== rng.float() < 0.2 ? 1 : 0));
  const thresholds = [2, 0.5, -1, 0, 3.9, 2, 10];
  const got = diceByThreshold(map, truth, thresholds);
  thresholds.forEach((t, j) => {
    const expected = dice(Uint8Array.from(map, (v) => (v > t ? 1 : 0)), truth);
    assert.ok(Math.abs(got[j] - expected) < 1e-12, `threshold ${t}: ${got[j]} vs ${expected}`);
  });
  assert.ok(diceByThreshold(map, new Uint8Array(500), [0.5]).every(Number.isNaN));
  assert.throws(() => diceByThreshold(map, new Uint8Array(3), [0.5]));
  assert.throws(() => diceByThreshold(map, truth, [NaN]), InvalidArgumentError);
});

Deno.test("sweep picks the hand-computed argmax over (tau, threshold) on a constructed case", async () => {
  const scorer = new OracleScorer([BOX, EMPTY], { target: 2 });
  const result = await runSweep({
    cases: [BOX, EMPTY],
    target: 2,
    method: { kind: "segment", name: "greedy", options: { ...GAME, agents: new GreedyAgent(), scorer } },
    taus: [0.5, 1],
    thresholds: [0.5, 1, 1.75],
  });
  // tau 0.5 stops at step 2: map .75 on y12..15 x16..23, 2.25 on y16..19, 1.5 on y20..23 (x16..23).
  //   > 0.5: 96 px/slice, 48 in the truth: 2*192/(384+384) = .5; > 1: 64, 48: 384/640 = .6;
  //   > 1.75: 32, 24: 192/512 = .375.
  // tau 1 plays all 3 steps (see segment_test.ts): 5/7, 5/6, and > 1.75: 80 px/slice, 72 in: 576/704.
  const expected = [[0.5, 0.6, 0.375], [640 / 896, 640 / 768, 576 / 704]];
  result.meanDice.forEach((row, i) => row.forEach((d, j) => assert.ok(Math.abs(d - expected[i][j]) < 1e-12)));
  assert.deepEqual(result.nanCounts, [[1, 1, 1], [1, 1, 1]]);
  assert.deepEqual(result.best, {
    tau: 1,
    threshold: 1,
    dice: result.meanDice[1][1],
    tauIndex: 1,
    thresholdIndex: 1,
  });
  assert.equal(result.cases.length, 2);
  assert.ok(result.cases[1].dice.flat().every(Number.isNaN));
  // The tau-0.5 row is exactly what a run with tau 0.5 gives.
  const run = await segment(BOX, { ...GAME, tau: 0.5, agents: new GreedyAgent(), scorer });
  assert.equal(
    result.cases[0].dice[0][1],
    dice(Uint8Array.from(run.map, (v) => (v > 1 ? 1 : 0)), targetMask(BOX.labels!, 2)),
  );
  // Report forms.
  const md = sweepMarkdown(result);
  assert.match(md, /\*\*0\.833\*\*/);
  assert.match(md, /1 with an empty ground truth left out/);
  // Plots: one line per tau, told apart by colour and dash, named in a legend; Dice on a 0..1 axis.
  const svg = await chartSvg(sweepPlotSpec(result));
  assert.deepEqual(svgTitles(svg), ["greedy: Dice vs mask threshold", "greedy: Dice vs tau"]);
  assert.deepEqual(legendLabels(svg), ["tau 0.5", "tau 1", "best threshold", "chosen threshold (1)"]);
  const byThreshold = lineStrokes(svg).filter((l) => l.series.startsWith("tau"));
  assert.deepEqual(byThreshold.map((l) => l.series), ["tau 0.5", "tau 1"]);
  assert.notEqual(byThreshold[0].stroke, byThreshold[1].stroke);
  assert.notEqual(byThreshold[0].dash, byThreshold[1].dash);
  assert.deepEqual(tickValues(axisLabels(svg, "Y")[0]), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.ok(axisLabels(svg, "X").every((ticks) => ticks.length >= 4), JSON.stringify(axisLabels(svg, "X")));
  const png = await sweepPlot(result);
  assert.ok(png.width > 600 && png.height > 200, `${png.width}x${png.height}`);
});

Deno.test("summarizeSweep: ties go to the earlier tau then threshold; NaN means never win", () => {
  const grid = { taus: [0.1, 0.2], thresholds: [1, 2, 3] };
  const r = summarizeSweep("m", grid, [
    { id: "a", dice: [[NaN, 0.5, 0.7], [0.7, 0.2, 0.1]] },
    { id: "b", dice: [[NaN, 0.5, 0.7], [0.7, NaN, 0.1]] },
  ]);
  assert.deepEqual([r.best.tauIndex, r.best.thresholdIndex, r.best.dice], [0, 2, 0.7]);
  assert.ok(Number.isNaN(r.meanDice[0][0]));
  assert.deepEqual(r.nanCounts, [[2, 0, 0], [0, 1, 0]]);
  const allNaN = summarizeSweep("m", { taus: [0.1], thresholds: [1, 2] }, [{ id: "a", dice: [[NaN, NaN]] }]);
  assert.ok(Number.isNaN(allNaN.best.dice));
  assert.throws(() => summarizeSweep("m", grid, [{ id: "a", dice: [[1, 2]] }]), InvalidArgumentError);
  assert.throws(() => summarizeSweep("m", { taus: [], thresholds: [1] }, []), InvalidArgumentError);
});

Deno.test("dense sweep and window-size ablation", async () => {
  const scorer = new OracleScorer([BOX], { target: 2 });
  const thresholds = [0.5, 2, 4, 8];
  const dense = await runSweep({
    cases: [BOX],
    target: 2,
    method: { kind: "dense", name: "dense", options: { scorer, window: [4, 8, 8], stride: 4 } },
    thresholds,
  });
  assert.equal(dense.taus.length, 1);
  assert.ok(Number.isNaN(dense.best.tau));
  // Brute force: every 4x8x8 window on the lattice (z 0; y, x 0, 4, .., 24) adds its share of target
  // voxels to each voxel it covers; Dice of map > t against the target box, voxel by voxel.
  const [nz, ny, nx] = BOX.image.shape,
    truth = targetMask(BOX.labels!, 2),
    map = new Float64Array(nz * ny * nx);
  const at = (z: number, y: number, x: number) => (z * ny + y) * nx + x;
  for (let cy = 0; cy <= 24; cy += 4) {
    for (let cx = 0; cx <= 24; cx += 4) {
      let inside = 0;
      for (let z = 0; z < 4; z++) {
        for (let y = cy; y < cy + 8; y++) for (let x = cx; x < cx + 8; x++) inside += truth[at(z, y, x)];
      }
      for (let z = 0; z < 4; z++) {
        for (let y = cy; y < cy + 8; y++) for (let x = cx; x < cx + 8; x++) map[at(z, y, x)] += inside / 256;
      }
    }
  }
  const bruteDice = thresholds.map((t) => {
    let both = 0, predicted = 0, target = 0;
    map.forEach((v, i) => {
      predicted += v > t ? 1 : 0;
      target += truth[i];
      both += v > t && truth[i] ? 1 : 0;
    });
    return (2 * both) / (predicted + target);
  });
  const values = dense.meanDice[0];
  values.forEach((v, j) => assert.ok(Math.abs(v - bruteDice[j]) < 1e-12, `threshold ${thresholds[j]}: ${v}`));
  const bestIndex = bruteDice.indexOf(Math.max(...bruteDice)); // the first of equal maxima
  assert.ok(bruteDice.filter((d) => d === bruteDice[bestIndex]).length === 1, "a unique best threshold");
  assert.equal(dense.best.threshold, thresholds[bestIndex]);
  assert.equal(dense.best.dice, bruteDice[bestIndex]);
  // A voxel is covered by up to (8/4)^2 = 4 windows, so the map stays <= 4: threshold 4 (strict >) is
  // empty, Dice 0.
  assert.equal(bruteDice[2], 0);
  assert.deepEqual(defaultThresholds("mean"), [
    0.05,
    0.1,
    0.2,
    0.3,
    0.4,
    0.5,
    0.6,
    0.7,
    0.8,
    0.9,
    0.95,
    0.98,
    0.99,
  ]);
  assert.equal(defaultThresholds("sum", 864)[0], Number((0.05 * 864).toPrecision(4)));
  assert.equal(defaultThresholds("sum").length, 21);
  const rows = await windowAblation([BOX], 2, { ...GAME, tau: 1, agents: new GreedyAgent(), scorer }, [
    [4, 8, 8],
    [4, 12, 12],
  ], [0.5, 1, 1.75]);
  assert.equal(rows.length, 2);
  assert.deepEqual(rows[0].sweep.meanDice[0], [640 / 896, 640 / 768, 576 / 704]);
  assert.equal(rows[1].sweep.method, "window 4x12x12");
});
