/**
 * The learning-curve PNG of a run, drawn from `metrics.jsonl`: a grid of panels (two columns),
 * each a Vega-Lite chart (eval/chart.ts) with a title, labelled axes with several "nice" ticks and
 * grid lines, and a legend (lines differ in colour, dash pattern and marker), all against env steps ({@link LEARNING_CURVE_PANELS}, in reading order):
 *
 * 1. mean episode return; 2. mean episode length (training rollouts);
 * 3. win rate and 4. mean per-step score margin of the learner (actions sampled) against FIXED
 *    references, a random and a greedy agent (the progress measure; see `progress_metrics.ts`);
 * 5. win, draw and step win rates against the current self-play opponent (a moving pool: not a
 *    progress measure by itself);
 * 6. distinct windows the learner visits per episode;
 * 7. the learner's windows: on-target share (from VOXEL LABELS, evaluation only) and mean score;
 * 8. validation Dice of the current policy;
 * 9. episode ends: share ended by tau on positive and on negative cases, share of valid rows;
 * 10. policy entropy.
 *
 * All panels share one x range (the run's first to last logged env step). Updates without a value
 * (NaN / null: no episode ended, no reference match or validation at that update) are skipped: the
 * lines join the updates that have a value. A panel without any value says "no data" in its title
 * and draws no line.
 *
 * @module
 */
import { join } from "node:path";
import { fitted, lineChartSpec, renderChart, type VegaLiteSpec } from "../eval/chart.ts";
import type { Series } from "../eval/plot.ts";
import { type RgbaFrame, writePng } from "../env/png.ts";
import { readMetrics, type RunFolder } from "./run_folder.ts";

/** One panel: title, y label, series (legend name and record key) and an optional fixed y range. */
export interface CurvePanel {
  /** Panel title. */
  readonly title: string;
  /** Y axis label. */
  readonly yLabel: string;
  /** Legend name and `metrics.jsonl` key of each line. */
  readonly series: readonly (readonly [string, string])[];
  /** Fixed y range (shares and rates: [0, 1]); default the data's range. */
  readonly yRange?: readonly [number, number];
}

/** The panels of the figure, in reading order (left to right, top to bottom). */
export const LEARNING_CURVE_PANELS: readonly CurvePanel[] = [
  {
    title: "episode return (training)",
    yLabel: "return (reward sum)",
    series: [["mean return", "meanReturn"]],
  },
  {
    title: "episode length (training)",
    yLabel: "length (steps)",
    series: [["mean length", "meanLength"]],
  },
  {
    title: "win rate vs fixed agents",
    yLabel: "win rate",
    series: [["vs random", "vsRandomWinRate"], ["vs greedy", "vsGreedyWinRate"]],
    yRange: [0, 1],
  },
  {
    title: "score margin vs fixed agents",
    yLabel: "score a - b per step",
    series: [["vs random", "vsRandomMargin"], ["vs greedy", "vsGreedyMargin"]],
  },
  {
    title: "vs current opponent (pool)",
    yLabel: "rate",
    series: [["win rate", "winRate"], ["draw rate", "drawRate"], ["step win rate", "stepWinRate"]],
    yRange: [0, 1],
  },
  { title: "distinct windows per episode", yLabel: "windows", series: [["distinct", "distinctWindows"]] },
  {
    title: "learner windows",
    yLabel: "share, score",
    series: [["on target (labels)", "onTargetShareLabels"], ["mean score", "visitedScore"]],
    yRange: [0, 1],
  },
  { title: "validation dice", yLabel: "dice", series: [["dice", "validationDice"]], yRange: [0, 1] },
  {
    title: "episode ends",
    yLabel: "share",
    series: [
      ["tau, positive", "terminatedSharePositive"],
      ["tau, negative", "terminatedShareNegative"],
      ["valid rows", "validShare"],
    ],
    yRange: [0, 1],
  },
  { title: "policy", yLabel: "entropy", series: [["entropy", "entropy"]] },
];

/** Columns of the panel grid. */
export const LEARNING_CURVE_COLUMNS = 2;

function column(records: readonly Record<string, unknown>[], key: string): number[] {
  return records.map((r) => (typeof r[key] === "number" ? r[key] as number : NaN));
}

/** Lays frames of equal size out in a grid, `columns` wide, left to right then top to bottom (white gaps). */
function grid(frames: readonly RgbaFrame[], columns: number): RgbaFrame {
  const w = frames[0].width, h = frames[0].height, rows = Math.ceil(frames.length / columns);
  const width = w * columns, height = h * rows;
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  frames.forEach((f, k) => {
    const x0 = (k % columns) * w, y0 = Math.floor(k / columns) * h;
    for (let y = 0; y < h; y++) {
      data.set(f.data.subarray(y * w * 4, (y + 1) * w * 4), ((y0 + y) * width + x0) * 4);
    }
  });
  return { width, height, data };
}

/**
 * The Vega-Lite spec of one panel (see {@link lineChartSpec}): `width` x `height` pixels in all (axes,
 * title and legend included), x = env steps over `xRange`, one line per series named in the legend.
 */
export function learningCurvePanelSpec(
  panel: CurvePanel,
  lines: readonly Series[],
  xRange: readonly [number, number] | undefined,
  width: number,
  height: number,
): VegaLiteSpec {
  const empty = lines.every((s) => !s.x.some((x, i) => Number.isFinite(x) && Number.isFinite(s.y[i])));
  const spec = lineChartSpec(lines, {
    title: empty ? `${panel.title} - no data` : panel.title,
    xLabel: "env steps",
    yLabel: panel.yLabel,
    xRange,
    yRange: panel.yRange,
    names: panel.series.map(([name]) => name),
  });
  return fitted(spec, width, height);
}

/**
 * The learning-curve figure of metric records (see the module doc): panels of
 * floor(width / 2) pixels wide and half as tall (at least 64), two columns, five rows, so the figure
 * is `2 * floor(width / 2)` by `5 * max(64, round(floor(width / 2) / 2))` pixels (1280 x 1600 by default).
 * @param records records of `metrics.jsonl` (`globalStep` and the keys of {@link LEARNING_CURVE_PANELS})
 * @param width figure width in pixels (default 1280)
 */
export async function learningCurveFrame(
  records: readonly Record<string, unknown>[],
  width = 1280,
): Promise<RgbaFrame> {
  const steps = column(records, "globalStep");
  // Updates without a value are skipped and their neighbours joined (episodes often end only
  // every few updates; reference matches and validation run every k updates).
  const series = (name: string, key: string): Series => {
    const values = column(records, key);
    const keep = values.map((v, i) => Number.isFinite(v) && Number.isFinite(steps[i]));
    return { name, x: steps.filter((_, i) => keep[i]), y: values.filter((_, i) => keep[i]) };
  };
  // One x axis for all panels (values logged every k updates start and end where the run does).
  const finiteSteps = steps.filter(Number.isFinite);
  const xRange: [number, number] | undefined = finiteSteps.length
    ? [Math.min(...finiteSteps), Math.max(...finiteSteps)]
    : undefined;
  const panelWidth = Math.floor(width / LEARNING_CURVE_COLUMNS);
  const height = Math.max(64, Math.round(panelWidth / 2));
  const frames: RgbaFrame[] = [];
  for (const p of LEARNING_CURVE_PANELS) {
    const lines = p.series.map(([name, key]) => series(name, key));
    const range = xRange && xRange[0] < xRange[1] ? xRange : undefined;
    frames.push(
      fitFrame(
        await renderChart(learningCurvePanelSpec(p, lines, range, panelWidth, height)),
        panelWidth,
        height,
      ),
    );
  }
  return grid(frames, LEARNING_CURVE_COLUMNS);
}

/** The frame cropped or padded (white) to exactly `width` x `height` (Vega's fit can be a pixel off). */
function fitFrame(f: RgbaFrame, width: number, height: number): RgbaFrame {
  if (f.width === width && f.height === height) return f;
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  const w = Math.min(width, f.width);
  for (let y = 0; y < Math.min(height, f.height); y++) {
    data.set(f.data.subarray(y * f.width * 4, (y * f.width + w) * 4), y * width * 4);
  }
  return { width, height, data };
}

/**
 * Writes `<run>/learning_curve.png` (atomically) from the run's metrics.
 * @returns the path written
 */
export async function writeLearningCurve(run: RunFolder): Promise<string> {
  const path = join(run.dir, "learning_curve.png");
  await writePng(path, await learningCurveFrame(await readMetrics(run)));
  return path;
}
