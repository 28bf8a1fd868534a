/**
 * Threshold sweeps on a validation split: the termination threshold tau and the mask threshold,
 * chosen by mean Dice (cases with an empty ground truth give NaN Dice and are left out of the mean,
 * and counted). Also the window-size ablation (the paper's Fig. 3) and the Dice-vs-tau table
 * (Fig. 4) as data (its markdown table and PNG plot: sweep_report.ts).
 *
 * Cost: each case is played ONCE per method, with the largest tau; the map of every smaller tau is
 * the replay of each trajectory cut at its first score >= tau (see `mapFromTrajectories`), and all
 * mask thresholds of one map are scored in one pass over the voxels.
 *
 * @module
 */
import { InvalidArgumentError, ShapeMismatchError } from "../data/errors.ts";
import type { Case, Vec3 } from "../data/types.ts";
import { targetMask } from "../data/tile.ts";
import { isSumMode, type MapMode } from "../env/probability_map.ts";
import { denseBaseline, type DenseBaselineOptions } from "./dense_baseline.ts";
import { SCORE_THRESHOLDS } from "./mask_rule.ts";
import { summarize } from "./metrics.ts";
import { segment, type SegmentOptions } from "./segment.ts";
import { trajectoryMapArray } from "./trajectory_map.ts";

/** The values swept. Dense sweeps use only `thresholds` (their tau list is `[NaN]`). */
export interface SweepGrid {
  /** Termination thresholds in [0, 1]. */
  readonly taus: readonly number[];
  /** Mask thresholds (finite; the mask is `map > threshold`). */
  readonly thresholds: readonly number[];
}

/** Default taus: 0.1 .. 0.9, 0.95, 0.99 (a calibrated tau is often near 0.9). */
export const DEFAULT_TAUS: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 0.9, 0.95, 0.99];

/**
 * Default mask thresholds for a map mode. `sum` maps of agents grow with steps: a geometric grid
 * 2^(k/2), k = -6..14 (0.125 .. 128). `mean` / `max` maps hold scores: {@link SCORE_THRESHOLDS}. `scale`
 * multiplies the grid (the dense `sum` map uses its window coverage, see `denseCoverage`).
 */
export function defaultThresholds(mode: MapMode, scale = 1): number[] {
  const base = isSumMode(mode) && scale === 1
    ? Array.from({ length: 21 }, (_, k) => 2 ** ((k - 6) / 2))
    : SCORE_THRESHOLDS;
  return base.map((t) => Number((t * scale).toPrecision(4)));
}

/**
 * Dice of `map > thresholds[j]` against `truth` for every j, in one pass (O(voxels * log T)).
 * Empty truth: NaN for every threshold (MONAI's `ignoreEmpty`).
 * @throws {ShapeMismatchError} when the lengths differ; {@link InvalidArgumentError} for a non-finite threshold
 */
export function diceByThreshold(
  map: Float32Array,
  truth: Uint8Array,
  thresholds: readonly number[],
): number[] {
  if (map.length !== truth.length) {
    throw new ShapeMismatchError("map", `has ${map.length} voxels, truth ${truth.length}`, "equal lengths");
  }
  if (!thresholds.every(Number.isFinite)) {
    throw new InvalidArgumentError("thresholds", `are ${thresholds.join(",")}`, "finite numbers");
  }
  const order = thresholds.map((t, j) => [t, j] as const).sort((p, q) => p[0] - q[0]);
  const sorted = Float64Array.from(order, (p) => p[0]);
  const T = sorted.length;
  // hist[k]: voxels above exactly the k smallest thresholds (k = 0..T); tpHist the same inside truth.
  const hist = new Float64Array(T + 1), tpHist = new Float64Array(T + 1);
  let truthCount = 0;
  for (let i = 0; i < map.length; i++) {
    const v = map[i];
    if (truth[i]) truthCount++;
    if (!(T && v > sorted[0])) continue;
    let lo = 1, hi = T; // v > sorted[k - 1] for k = lo; find the largest such k
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (v > sorted[mid - 1]) lo = mid;
      else hi = mid - 1;
    }
    hist[lo]++;
    if (truth[i]) tpHist[lo]++;
  }
  const out = new Array<number>(T);
  let pred = 0, tp = 0;
  for (let k = T; k >= 1; k--) {
    pred += hist[k];
    tp += tpHist[k];
    out[order[k - 1][1]] = truthCount === 0 ? NaN : (2 * tp) / (pred + truthCount);
  }
  return out;
}

/** Per-case Dice table: `dice[tauIndex][thresholdIndex]`. */
export interface SweepCase {
  /** Case id. */
  readonly id: string;
  /** Dice per (tau, threshold). */
  readonly dice: readonly (readonly number[])[];
}

/** Result of a sweep of one method. */
export interface SweepResult {
  /** Method name (for tables and file names). */
  readonly method: string;
  /** The taus swept (`[NaN]` for the dense baseline, which has none). */
  readonly taus: readonly number[];
  /** The mask thresholds swept. */
  readonly thresholds: readonly number[];
  /** Mean Dice over cases with a finite Dice, `[tau][threshold]`; NaN where no case had one. */
  readonly meanDice: readonly (readonly number[])[];
  /** Cases left out of each mean (NaN Dice: empty ground truth). */
  readonly nanCounts: readonly (readonly number[])[];
  /** The argmax of mean Dice; ties go to the earlier tau, then the earlier threshold. */
  readonly best: {
    readonly tau: number;
    readonly threshold: number;
    readonly dice: number;
    readonly tauIndex: number;
    readonly thresholdIndex: number;
  };
  /** Per-case tables. */
  readonly cases: readonly SweepCase[];
  /**
   * True when the sweep cannot choose: every finite mean Dice is the same (e.g. all 0) or none is
   * finite, so `best` is only the tie-break (the first cell); reports say so.
   */
  readonly uninformative: boolean;
}

/** True when every finite value of `table` is equal, or none is finite. */
export function isUninformative(table: readonly (readonly number[])[]): boolean {
  const finite = table.flat().filter(Number.isFinite);
  return finite.every((v) => v === finite[0]);
}

/**
 * Summarises per-case tables into means and picks the argmax (ties: earliest tau, then earliest
 * threshold; when every mean is NaN the first cell is chosen and `best.dice` is NaN).
 * @throws {InvalidArgumentError} for an empty grid or tables of the wrong size
 */
export function summarizeSweep(
  method: string,
  grid: SweepGrid,
  cases: readonly SweepCase[],
): SweepResult {
  const { taus, thresholds } = grid;
  if (!taus.length || !thresholds.length) {
    throw new InvalidArgumentError("grid", "has no taus or no thresholds", "at least one of each");
  }
  for (const c of cases) {
    if (c.dice.length !== taus.length || c.dice.some((row) => row.length !== thresholds.length)) {
      throw new InvalidArgumentError(
        `sweep case ${c.id}`,
        "has a table of the wrong size",
        "taus x thresholds",
      );
    }
  }
  const meanDice = taus.map((_, i) =>
    thresholds.map((_, j) => summarize(cases.map((c) => c.dice[i][j])).mean)
  );
  const nanCounts = taus.map((_, i) =>
    thresholds.map((_, j) => cases.filter((c) => Number.isNaN(c.dice[i][j])).length)
  );
  let bi = 0, bj = 0;
  for (let i = 0; i < taus.length; i++) {
    for (let j = 0; j < thresholds.length; j++) {
      const best = meanDice[bi][bj];
      if (meanDice[i][j] > best || (Number.isNaN(best) && !Number.isNaN(meanDice[i][j]))) [bi, bj] = [i, j];
    }
  }
  return {
    method,
    taus: [...taus],
    thresholds: [...thresholds],
    meanDice,
    nanCounts,
    best: {
      tau: taus[bi],
      threshold: thresholds[bj],
      dice: meanDice[bi][bj],
      tauIndex: bi,
      thresholdIndex: bj,
    },
    cases,
    uninformative: isUninformative(meanDice),
  };
}

function checkTaus(grid: SweepGrid): void {
  if (!grid.taus.length || !grid.taus.every((t) => t >= 0 && t <= 1)) {
    throw new InvalidArgumentError(
      "taus",
      `are ${grid.taus.join(",")}`,
      "at least one value, each in [0, 1]",
    );
  }
}

/**
 * Sweeps one agent method on one case: plays it once with tau = max(taus), then scores every
 * (tau, threshold). `truth` is the binary target mask (z,y,x) of the case.
 */
export async function sweepSegmentCase(
  c: Case,
  truth: Uint8Array,
  options: SegmentOptions,
  grid: SweepGrid,
): Promise<SweepCase> {
  checkTaus(grid);
  const played = await segment(c, { ...options, tau: Math.max(...grid.taus) });
  const { window, mapMode } = played.config;
  const dice = grid.taus.map((tau) => {
    const map = trajectoryMapArray(played.trajectories, c.image.shape, window, mapMode, tau);
    return diceByThreshold(map, truth, grid.thresholds);
  });
  return { id: c.id, dice };
}

/** Sweeps the dense baseline's mask threshold on one case (its table has one row, tau NaN). */
export async function sweepDenseCase(
  c: Case,
  truth: Uint8Array,
  options: DenseBaselineOptions,
  thresholds: readonly number[],
): Promise<SweepCase> {
  const result = await denseBaseline(c.image, options);
  return { id: c.id, dice: [diceByThreshold(result.map, truth, thresholds)] };
}

/** What {@link runSweep} sweeps: an agent method (segment options) or the dense baseline. */
export type SweepMethod =
  | { readonly kind: "segment"; readonly name: string; readonly options: SegmentOptions }
  | { readonly kind: "dense"; readonly name: string; readonly options: DenseBaselineOptions };

/** Options of {@link runSweep}. */
export interface SweepOptions {
  /** Validation cases (with labels). */
  readonly cases: readonly Case[] | AsyncIterable<Case>;
  /** Label values of the target. */
  readonly target: number | readonly number[];
  /** The method. */
  readonly method: SweepMethod;
  /** Taus (default {@link DEFAULT_TAUS}; ignored for dense). */
  readonly taus?: readonly number[];
  /** Mask thresholds (default {@link defaultThresholds} of the method's map mode). */
  readonly thresholds?: readonly number[];
}

/**
 * Sweeps one method over validation cases and picks the best (tau, threshold) by mean Dice.
 * @throws {InvalidArgumentError} when a case has no labels, plus the errors of the method
 */
export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const m = options.method;
  const mode = m.options.mapMode ?? "sum";
  const grid: SweepGrid = {
    taus: m.kind === "dense" ? [NaN] : options.taus ?? DEFAULT_TAUS,
    thresholds: options.thresholds ?? defaultThresholds(mode),
  };
  const cases: SweepCase[] = [];
  for await (const c of options.cases) {
    if (!c.labels) {
      throw new InvalidArgumentError(`case ${c.id}`, "has no voxel labels", "labelled validation cases");
    }
    const truth = targetMask(c.labels, options.target);
    cases.push(
      m.kind === "dense"
        ? await sweepDenseCase(c, truth, m.options, grid.thresholds)
        : await sweepSegmentCase(c, truth, m.options, grid),
    );
  }
  return summarizeSweep(m.name, grid, cases);
}

/** One row of the window-size ablation. */
export interface WindowAblationRow {
  /** Window size z,y,x. */
  readonly window: Vec3;
  /** The threshold sweep at that window size (one tau). */
  readonly sweep: SweepResult;
}

/**
 * Window-size ablation (the paper's Fig. 3): for each window size, the mask-threshold sweep of an
 * agent method at a fixed tau (`options.tau`, default 0.3), best threshold chosen per size (the map's
 * scale changes with the window). The scorer must accept every size.
 */
export async function windowAblation(
  cases: readonly Case[],
  target: number | readonly number[],
  options: SegmentOptions,
  windows: readonly Vec3[],
  thresholds?: readonly number[],
): Promise<WindowAblationRow[]> {
  const rows: WindowAblationRow[] = [];
  for (const window of windows) {
    rows.push({
      window,
      sweep: await runSweep({
        cases,
        target,
        method: { kind: "segment", name: `window ${window.join("x")}`, options: { ...options, window } },
        taus: [options.tau ?? 0.3],
        thresholds,
      }),
    });
  }
  return rows;
}
