/**
 * Trajectories of inference episodes and their replay into probability maps: the merge of several
 * starts, the cut at a smaller termination threshold (what makes tau sweeps cost one episode), and
 * integration and thresholding restricted to the visited box (an episode touches a small part of a
 * large volume).
 *
 * @module
 */
import type { Vec3 } from "../data/types.ts";
import { type MapMode, ProbabilityMap } from "../env/probability_map.ts";

/**
 * Windows added to a map besides the trajectories' own (e.g. local dense refinement): `corners`
 * packed z,y,x (n x 3, valid clamped corners), `scores` (n, each in [0, 1]).
 */
export interface WindowScores {
  /** Corners, n x 3 packed z,y,x. */
  readonly corners: Int32Array;
  /** One score per corner. */
  readonly scores: Float32Array;
}

/** One start's episode: corners, scores and actions per step. */
export interface Trajectory {
  /** Index of the start: 0 = the configured start rule, i >= 1 = seeded random start i. */
  readonly start: number;
  /** Steps taken (map additions are 2 per step). */
  readonly steps: number;
  /**
   * Corners, `(steps + 1) x 6` packed: row t = [a z, a y, a x, b z, b y, b x] after step t;
   * row 0 holds the start corners (scored, but not added to the map, as in the env).
   */
  readonly corners: Int32Array;
  /** Scores, `(steps + 1) x 2`: row t = [score of a, score of b]; row 0 = start windows. */
  readonly scores: Float32Array;
  /** Actions, `steps x 2`: row t - 1 = [action of a, action of b] leading to row t. */
  readonly actions: Int32Array;
  /** True when a window's score reached tau. */
  readonly terminated: boolean;
  /** True when maxSteps was reached without termination. */
  readonly truncated: boolean;
}

/**
 * The step at which a trajectory ends under termination threshold `tau`: the first step t >= 1 with
 * a score >= tau, else its last step. Start scores (row 0) never terminate, as in the env.
 */
export function stepsUnderTau(t: Trajectory, tau: number): number {
  for (let s = 1; s <= t.steps; s++) {
    if (t.scores[2 * s] >= tau || t.scores[2 * s + 1] >= tau) return s;
  }
  return t.steps;
}

/**
 * Replays trajectories into one {@link ProbabilityMap} (see the module doc for the merge rule).
 * With `tau`, each trajectory is cut at {@link stepsUnderTau}: for agents whose actions do not depend
 * on tau, this is exactly the map a run with that tau would give, if the trajectories were recorded
 * with a tau at least as large and the same maxSteps. `extra` windows are added once each after them.
 * @throws {InvalidArgumentError} when a corner does not fit `shape` with `window`
 */
export function mapFromTrajectories(
  trajectories: readonly Trajectory[],
  shape: Vec3,
  window: Vec3,
  mode: MapMode,
  tau?: number,
  extra?: WindowScores,
): ProbabilityMap {
  const map = new ProbabilityMap(shape, window, mode);
  for (const t of trajectories) {
    const last = tau === undefined ? t.steps : stepsUnderTau(t, tau);
    for (let s = 1; s <= last; s++) {
      const c = t.corners.subarray(6 * s, 6 * s + 6);
      map.add([c[0], c[1], c[2]], t.scores[2 * s]);
      map.add([c[3], c[4], c[5]], t.scores[2 * s + 1]);
    }
  }
  const e = extra?.corners ?? new Int32Array(0);
  for (let i = 0; 3 * i < e.length; i++) map.add([e[3 * i], e[3 * i + 1], e[3 * i + 2]], extra!.scores[i]);
  return map;
}

/**
 * The windows the trajectories add to the map (rows 1..cut of each, a then b, cut at tau when given),
 * then the `extra` windows; repeats kept (see `distinctWindows` in deconvolved_map.ts).
 */
export function mapWindows(
  trajectories: readonly Trajectory[],
  tau?: number,
  extra?: WindowScores,
): WindowScores {
  const cuts = trajectories.map((t) => (tau === undefined ? t.steps : stepsUnderTau(t, tau)));
  const e = extra ?? { corners: new Int32Array(0), scores: new Float32Array(0) };
  const n = cuts.reduce((sum, cut) => sum + 2 * cut, 0) + e.scores.length;
  const corners = new Int32Array(3 * n), scores = new Float32Array(n);
  let k = 0;
  trajectories.forEach((t, i) => {
    corners.set(t.corners.subarray(6, 6 * (cuts[i] + 1)), 3 * k);
    scores.set(t.scores.subarray(2, 2 * (cuts[i] + 1)), k);
    k += 2 * cuts[i];
  });
  corners.set(e.corners, 3 * k);
  scores.set(e.scores, k);
  return { corners, scores };
}

/**
 * The voxel map of trajectories (as {@link mapFromTrajectories}) as a z,y,x array, integrated only
 * over the bounding box of the windows added (the rest is 0, as in the full map): an episode touches
 * a small part of a large volume, so this is much cheaper than `toArray()`.
 */
export function trajectoryMapArray(
  trajectories: readonly Trajectory[],
  shape: Vec3,
  window: Vec3,
  mode: MapMode,
  tau?: number,
  extra?: WindowScores,
): Float32Array {
  const map = mapFromTrajectories(trajectories, shape, window, mode, tau, extra);
  const out = new Float32Array(shape[0] * shape[1] * shape[2]);
  const visited = visitedBox(trajectories, window, tau, extra);
  if (!visited) return out;
  const { lo, size } = visited;
  const box = map.region(lo, size);
  for (let z = 0; z < size[0]; z++) {
    for (let y = 0; y < size[1]; y++) {
      const from = (z * size[1] + y) * size[2];
      out.set(box.subarray(from, from + size[2]), ((lo[0] + z) * shape[1] + lo[1] + y) * shape[2] + lo[2]);
    }
  }
  return out;
}

/**
 * The bounding box (first voxel `lo` and `size`, z,y,x) of the windows the trajectories add to the map
 * (cut at tau when given) and of the `extra` windows; undefined when they add none.
 */
export function visitedBox(
  trajectories: readonly Trajectory[],
  window: Vec3,
  tau?: number,
  extra?: WindowScores,
): { lo: Vec3; size: Vec3 } | undefined {
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (const t of trajectories) {
    const last = tau === undefined ? t.steps : stepsUnderTau(t, tau);
    for (let k = 6; k < 6 * (last + 1); k++) {
      const a = k % 3;
      lo[a] = Math.min(lo[a], t.corners[k]);
      hi[a] = Math.max(hi[a], t.corners[k] + window[a]);
    }
  }
  const e = extra?.corners ?? new Int32Array(0);
  for (let k = 0; k < e.length; k++) {
    const a = k % 3;
    lo[a] = Math.min(lo[a], e[k]);
    hi[a] = Math.max(hi[a], e[k] + window[a]);
  }
  if (!(lo[0] < hi[0])) return undefined;
  return { lo: [lo[0], lo[1], lo[2]], size: [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]] };
}

/** `map > threshold` as a 0/1 mask. */
export function thresholdMap(map: Float32Array, threshold: number): Uint8Array {
  const out = new Uint8Array(map.length);
  for (let i = 0; i < map.length; i++) out[i] = map[i] > threshold ? 1 : 0;
  return out;
}

/** `map > threshold` inside `box` (z,y,x first voxel and size), 0 outside. */
export function thresholdBox(
  map: Float32Array,
  shape: Vec3,
  box: { lo: Vec3; size: Vec3 },
  threshold: number,
): Uint8Array {
  const out = new Uint8Array(map.length);
  const { lo, size } = box;
  for (let z = lo[0]; z < lo[0] + size[0]; z++) {
    for (let y = lo[1]; y < lo[1] + size[1]; y++) {
      const row = (z * shape[1] + y) * shape[2];
      for (let i = row + lo[2]; i < row + lo[2] + size[2]; i++) out[i] = map[i] > threshold ? 1 : 0;
    }
  }
  return out;
}
