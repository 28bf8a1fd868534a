/**
 * The learning-curve PNG of a run, drawn from `metrics.jsonl`: two panels stacked, both against
 * env steps:
 *
 * - top: the learner's episode win rate and draw rate against its current opponent, and its step
 *   win rate (share of steps won), all in [0, 1];
 * - bottom: mean episode return and mean episode length (steps).
 *
 * Updates in which no episode ended (NaN / null values) are skipped: the lines join the updates
 * that have a value.
 *
 * @module
 */
import { join } from "node:path";
import { plotLines, type Series } from "../eval/plot.ts";
import { type RgbaFrame, writePng } from "../env/png.ts";
import { readMetrics, type RunFolder } from "./run_folder.ts";

function column(records: readonly Record<string, unknown>[], key: string): number[] {
  return records.map((r) => (typeof r[key] === "number" ? r[key] as number : NaN));
}

/** Stacks frames of equal width top to bottom. */
function stack(frames: readonly RgbaFrame[]): RgbaFrame {
  const width = frames[0].width, height = frames.reduce((h, f) => h + f.height, 0);
  const data = new Uint8ClampedArray(width * height * 4);
  let offset = 0;
  for (const f of frames) {
    data.set(f.data, offset);
    offset += f.data.length;
  }
  return { width, height, data };
}

/**
 * The two-panel learning curve of metric records (see the module doc).
 * @param records records of `metrics.jsonl` (`globalStep`, `winRate`, `drawRate`, `stepWinRate`, `meanReturn`, `meanLength`)
 * @param width frame width in pixels (default 640; each panel is 0.5 x width tall)
 */
export function learningCurveFrame(records: readonly Record<string, unknown>[], width = 640): RgbaFrame {
  const steps = column(records, "globalStep");
  // Updates without a finished episode have no value: join the points around them instead of
  // leaving isolated dots (episodes often end only every few updates).
  const series = (name: string, key: string): Series => {
    const values = column(records, key);
    const keep = values.map((v, i) => Number.isFinite(v) && Number.isFinite(steps[i]));
    return { name, x: steps.filter((_, i) => keep[i]), y: values.filter((_, i) => keep[i]) };
  };
  const height = Math.max(64, Math.round(width / 2));
  const top = plotLines(
    [series("win rate", "winRate"), series("draw rate", "drawRate"), series("step win rate", "stepWinRate")],
    { width, height, title: "learner vs opponent", xLabel: "env steps", yLabel: "rate", yRange: [0, 1] },
  );
  const bottom = plotLines(
    [series("mean return", "meanReturn"), series("mean length", "meanLength")],
    { width, height, title: "episodes", xLabel: "env steps", yLabel: "steps" },
  );
  return stack([top, bottom]);
}

/**
 * Writes `<run>/learning_curve.png` (atomically) from the run's metrics.
 * @returns the path written
 */
export async function writeLearningCurve(run: RunFolder): Promise<string> {
  const path = join(run.dir, "learning_curve.png");
  await writePng(path, learningCurveFrame(await readMetrics(run)));
  return path;
}
