import assert from "node:assert/strict";
import { join } from "node:path";
import UPNG from "upng-js";
import { chartSvg } from "../eval/chart.ts";
import { plotLines, tickLabels } from "../eval/plot.ts";
import {
  LEARNING_CURVE_PANELS,
  learningCurvePanelSpec,
  writeLearningCurve,
} from "../train/learning_curve.ts";
import { appendMetrics, createRunFolder } from "../train/run_folder.ts";
import { scratchDir } from "./_helpers.ts";
import {
  axisLabels,
  axisTitles,
  legendLabels,
  lineStrokes,
  niceTicks,
  tickValues,
  titles as svgTitles,
} from "./_svg_chart.ts";

const BLUE = [0x4c, 0x78, 0xa8]; // first series colour (Tableau 10, Vega's default)

/**
 * Ten hand-made updates (env steps 100..1000). vs random's win rate rises linearly from 0 to 1 and
 * vs greedy's stays 0.5, so the two lines cross at the middle step (550), in the middle of the box.
 * Validation Dice exists at updates 5 and 10 only; distinct windows never (its panel stays empty).
 */
function records(): Record<string, unknown>[] {
  return Array.from({ length: 10 }, (_, i) => ({
    update: i + 1,
    globalStep: 100 * (i + 1),
    meanReturn: i - 3,
    meanLength: 5,
    vsRandomWinRate: i / 9,
    vsGreedyWinRate: 0.5,
    vsRandomMargin: 0.1 * i - 0.3,
    vsGreedyMargin: -0.2,
    winRate: 0.5,
    drawRate: 0.1,
    stepWinRate: 0.4,
    distinctWindows: null,
    onTargetShareLabels: 0.1 * i,
    visitedScore: 0.3,
    validationDice: i === 4 ? 0.2 : i === 9 ? 0.6 : null,
    terminatedSharePositive: 0.7,
    terminatedShareNegative: null,
    validShare: 0.9,
    entropy: 1.79 - 0.05 * i,
  }));
}

/**
 * Pixels of panel k (2 columns of 640x320) within `tolerance` of RGB `c` per channel (lines are
 * anti-aliased), above the legend (the panel's last 40 rows).
 */
function near(
  f: { width: number; data: Uint8Array },
  k: number,
  c: readonly number[],
  tolerance = 12,
): number {
  const x0 = (k % 2) * 640, y0 = Math.floor(k / 2) * 320;
  let n = 0;
  for (let y = y0; y < y0 + 280; y++) {
    for (let x = x0; x < x0 + 640; x++) {
      const d = 4 * (y * f.width + x);
      if ([0, 1, 2].every((i) => Math.abs(f.data[d + i] - c[i]) <= tolerance)) n++;
    }
  }
  return n;
}

/** The SVG of panel k of {@link records}, laid out as learningCurveFrame lays it out. */
function panelSvg(k: number): Promise<string> {
  const r = records(), p = LEARNING_CURVE_PANELS[k];
  const lines = p.series.map(([name, key]) => {
    const keep = r.filter((x) => typeof x[key] === "number");
    return { name, x: keep.map((x) => x.globalStep as number), y: keep.map((x) => x[key] as number) };
  });
  return chartSvg(learningCurvePanelSpec(p, lines, [100, 1000], 640, 320));
}

Deno.test("learning curve: 10 panels of 640x320 in 2 columns (read back by upng-js); lines where data is", async () => {
  const root = await scratchDir("curve");
  const run = await createRunFolder(join(root, "run"), {});
  for (const r of records()) await appendMetrics(run, r);
  const path = await writeLearningCurve(run);
  assert.equal(path, join(run.dir, "learning_curve.png"));
  const bytes = await Deno.readFile(path);
  const png = UPNG.decode(bytes.buffer);
  assert.deepEqual([png.width, png.height], [1280, 1600]);
  const f = { width: png.width, data: new Uint8Array(UPNG.toRGBA8(png)[0]) };
  assert.equal(LEARNING_CURVE_PANELS.length, 10);
  const titles = LEARNING_CURVE_PANELS.map((p) => p.title);
  LEARNING_CURVE_PANELS.forEach((_, k) => {
    const n = near(f, k, BLUE);
    if (titles[k] === "distinct windows per episode") {
      assert.equal(n, 0, "a panel without data draws no line");
    } else assert.ok(n > 100, `panel ${k} (${titles[k]}): ${n} line pixels`);
  });
  await Deno.remove(root, { recursive: true });
});

Deno.test("learning curve panels: title, axis titles with units, >= 4 nice ticks per axis, a legend", async () => {
  for (let k = 0; k < LEARNING_CURVE_PANELS.length; k++) {
    const p = LEARNING_CURVE_PANELS[k], svg = await panelSvg(k);
    const empty = p.title === "distinct windows per episode";
    assert.deepEqual(svgTitles(svg), [empty ? `${p.title} - no data` : p.title]);
    assert.deepEqual(axisTitles(svg, "X"), ["env steps"]);
    assert.deepEqual(axisTitles(svg, "Y"), [p.yLabel]);
    const xs = tickValues(axisLabels(svg, "X")[0]);
    // x from 100 to 1000: ticks 200, 400, ..., 1000 (Vega's nice step 200 for ~6 ticks).
    assert.deepEqual(xs, [200, 400, 600, 800, 1000], p.title);
    if (!empty) {
      const ys = tickValues(axisLabels(svg, "Y")[0]);
      assert.ok(ys.length >= 4 && niceTicks(ys), `${p.title}: y ticks ${ys}`);
      assert.deepEqual(legendLabels(svg), p.series.map(([name]) => name));
    }
  }
  // Return and length are separate panels with their own unit.
  assert.deepEqual(LEARNING_CURVE_PANELS.slice(0, 2).map((p) => p.yLabel), [
    "return (reward sum)",
    "length (steps)",
  ]);
  // Rates on a fixed [0, 1] axis: ticks 0, 0.2, ..., 1.
  const win = LEARNING_CURVE_PANELS.findIndex((p) => p.title === "win rate vs fixed agents");
  assert.deepEqual(tickValues(axisLabels(await panelSvg(win), "Y")[0]), [0, 0.2, 0.4, 0.6, 0.8, 1]);
});

Deno.test("learning curve panels: lines of one panel differ in colour and dash", async () => {
  const k = LEARNING_CURVE_PANELS.findIndex((p) => p.title === "vs current opponent (pool)");
  const strokes = lineStrokes(await panelSvg(k));
  assert.deepEqual(strokes.map((s) => s.series), ["win rate", "draw rate", "step win rate"]);
  assert.equal(new Set(strokes.map((s) => s.stroke)).size, 3);
  assert.equal(new Set(strokes.map((s) => s.dash)).size, 3);
});

Deno.test("plotLines xRange: validated like yRange", () => {
  assert.throws(() => plotLines([], { xRange: [1, 1] }), /xRange/);
  assert.throws(() => plotLines([], { xRange: [0, NaN] }), /xRange/);
});

Deno.test("tick labels: more digits while min and max would read the same", () => {
  assert.deepEqual(tickLabels(0, 1), ["0", "1"]);
  assert.deepEqual(tickLabels(256, 4096), ["256", "4100"]); // 3 significant digits suffice
  assert.deepEqual(tickLabels(1.7912, 1.7938), ["1.791", "1.794"]);
  assert.deepEqual(tickLabels(-0.0275, -0.00798), ["-0.0275", "-0.00798"]);
  assert.deepEqual(tickLabels(0.50001, 0.50002), ["0.50001", "0.50002"]);
});
