import assert from "node:assert/strict";
import { join } from "node:path";
import { decodePng, type RgbaFrame } from "../env/png.ts";
import { plotLines, tickLabels } from "../eval/plot.ts";
import { LEARNING_CURVE_PANELS, learningCurveFrame, writeLearningCurve } from "../train/learning_curve.ts";
import { appendMetrics, createRunFolder } from "../train/run_folder.ts";
import { scratchDir } from "./_helpers.ts";

const BLUE = [31, 119, 180], ORANGE = [255, 127, 14]; // first two series colours (tab10)

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

/** The right edge of panel k's axis box: the rightmost long black column (the legend lies right of it). */
function boxRight(f: RgbaFrame, k: number): number {
  const x0 = (k % 2) * 640, y0 = Math.floor(k / 2) * 320;
  for (let x = x0 + 639; x >= x0; x--) {
    let black = 0;
    for (let y = y0; y < y0 + 320; y++) {
      const d = 4 * (y * f.width + x);
      if (f.data[d] === 0 && f.data[d + 1] === 0 && f.data[d + 2] === 0) black++;
    }
    if (black > 150) return x - x0;
  }
  throw new Error(`panel ${k} has no axis box`);
}

/** Pixels of colour `c` in panel k (2 columns of 640x320), inside its axis box's x range. */
function pixels(f: RgbaFrame, k: number, c: readonly number[]): [number, number][] {
  const x0 = (k % 2) * 640, y0 = Math.floor(k / 2) * 320, out: [number, number][] = [];
  const right = boxRight(f, k);
  for (let y = y0; y < y0 + 320; y++) {
    for (let x = x0; x < x0 + right; x++) {
      const d = 4 * (y * f.width + x);
      if (f.data[d] === c[0] && f.data[d + 1] === c[1] && f.data[d + 2] === c[2]) out.push([x - x0, y - y0]);
    }
  }
  return out;
}

Deno.test("learning curve: 10 panels of 640x320 in 2 columns; every panel with data draws its line", () => {
  const f = learningCurveFrame(records());
  assert.equal(LEARNING_CURVE_PANELS.length, 10);
  assert.deepEqual([f.width, f.height], [1280, 1600]);
  const titles = LEARNING_CURVE_PANELS.map((p) => p.title);
  const distinct = titles.indexOf("distinct windows per episode");
  LEARNING_CURVE_PANELS.forEach((_, k) => {
    const n = pixels(f, k, BLUE).length;
    if (k === distinct) assert.equal(n, 0, "a panel without data draws no line");
    else assert.ok(n > 100, `panel ${k} (${titles[k]}): ${n} line pixels`);
  });
});

Deno.test("learning curve: the win-rate panel draws a rising line crossing a flat one in the middle", () => {
  const f = learningCurveFrame(records());
  const k = LEARNING_CURVE_PANELS.findIndex((p) => p.title === "win rate vs fixed agents");
  const flat = pixels(f, k, ORANGE), rising = pixels(f, k, BLUE);
  // vs greedy, constant 0.5: one row, the box's vertical middle.
  const rows = new Set(flat.map(([, y]) => y));
  assert.equal(rows.size, 1, `rows ${[...rows]}`);
  const row = [...rows][0];
  // vs random: from 0 (bottom edge) at the first step up to 1 (top edge) at the last.
  const first = rising.reduce((a, b) => (b[0] < a[0] ? b : a)),
    last = rising.reduce((a, b) => (b[0] > a[0] ? b : a));
  assert.ok(first[1] > row + 50 && last[1] < row - 50, `from ${first} to ${last}, middle row ${row}`);
  assert.ok(Math.abs((first[1] + last[1]) / 2 - row) <= 1, "0.5 lies midway between 0 and 1");
  // They cross at step 550, the middle of the x range: the middle of the flat line.
  const middle = (Math.min(...flat.map(([x]) => x)) + Math.max(...flat.map(([x]) => x))) / 2;
  // (The flat line is drawn last and covers the crossing pixel: look one row above and below.)
  const crossing = rising.filter(([, y]) => Math.abs(y - row) === 1).map(([x]) => x);
  assert.ok(
    crossing.length > 0 && crossing.every((x) => Math.abs(x - middle) <= 4),
    `${crossing} vs ${middle}`,
  );
  // Validation Dice starts at step 500 (update 5): nothing in the left third of its panel.
  const dice = pixels(f, LEARNING_CURVE_PANELS.findIndex((p) => p.title === "validation dice"), BLUE);
  assert.ok(dice.length > 50 && Math.min(...dice.map(([x]) => x)) > 640 / 3, "dice line from update 5 on");
});

Deno.test("learning curve: writeLearningCurve writes the figure of metrics.jsonl (nulls skipped)", async () => {
  const root = await scratchDir("curve");
  const run = await createRunFolder(join(root, "run"), {});
  for (const r of records()) await appendMetrics(run, r);
  const path = await writeLearningCurve(run);
  assert.equal(path, join(run.dir, "learning_curve.png"));
  const png = decodePng(await Deno.readFile(path));
  assert.deepEqual([png.width, png.height], [1280, 1600]);
  assert.deepEqual(png.data, learningCurveFrame(records()).data);
  await Deno.remove(root, { recursive: true });
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
