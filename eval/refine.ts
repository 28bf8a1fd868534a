/**
 * Local dense refinement: after the episodes, score every window of the game's stride lattice within
 * +/- `radius` strides (per axis) of the `top` best windows the agents occupied, and add those not
 * already in the map to it (same map mode). The lattice is the game's: the corners the moves reach,
 * `corner + stride * (dz, dy, dx)` with each d in -radius..radius, clamped inside the volume as moves
 * are (so near a border several offsets give one corner, kept once).
 *
 * "Windows the agents occupied" are the rows 0..cut of every trajectory (start windows included),
 * both agents; they are ranked by score, ties broken by first occupation (start order, then step, a
 * before b). Windows already added to the map (rows 1..cut) are not added again; the scorer's cache
 * decides what is scored anew (a start window, or a greedy agent's look-up, is not scored twice).
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3, Volume } from "../data/types.ts";
import { type Scorer, scoreRequests } from "../env/scorer.ts";
import { stepsUnderTau, type Trajectory, type WindowScores } from "./trajectory_map.ts";

/** Default refinement radius in strides per axis (used by the evaluation). */
export const DEFAULT_REFINE_RADIUS = 2;
/**
 * Default refinement radius of the evaluation's `oracle` row (the upper bound). At +/-2 strides every
 * refinement window of the default benchmark (12x24x24, stride 4) still overlaps a 12-20 voxel tumour,
 * so no window scores 0 and the `deconv` rule cannot clear voxels; +/-3 reaches past it. Measured on
 * the default benchmark's runs (oracle + greedy, 4 starts, test Dice %): seed 1 64.2 at +/-2 (`peak`
 * chosen) -> 75.4 at +/-3 (`deconv` chosen on validation), 886 windows per case.
 */
export const DEFAULT_ORACLE_REFINE_RADIUS = 3;
/** Default number of best windows refined around (used by the evaluation; `segment` defaults to 0). */
export const DEFAULT_REFINE_TOP = 1;

/**
 * Checks refinement options: integers >= 0 (either 0 turns refinement off).
 * @param radius strides per axis (`refineRadius`)
 * @param top number of best windows (`refineTop`)
 * @param radiusName the radius's name in errors (default `refineRadius`; e.g. `oracleRefineRadius`)
 * @throws {InvalidArgumentError} naming the radius or `refineTop`
 */
export function checkRefine(radius: number, top: number, radiusName = "refineRadius"): void {
  for (const [name, value] of [[radiusName, radius], ["refineTop", top]] as const) {
    if (!(Number.isInteger(value) && value >= 0)) {
      throw new InvalidArgumentError(name, `is ${value}`, "an integer >= 0 (0 = off)");
    }
  }
}

function cornerKey(shape: Vec3, z: number, y: number, x: number): number {
  return (z * shape[1] + y) * shape[2] + x;
}

/**
 * The `top` best distinct windows the agents occupied (rows 0..cut, see the module doc), best first,
 * packed z,y,x (fewer when fewer were occupied).
 */
export function topOccupiedWindows(
  trajectories: readonly Trajectory[],
  shape: Vec3,
  top: number,
  tau?: number,
): Int32Array {
  const seen = new Map<number, number>();
  const corners: number[] = [], scores: number[] = [];
  for (const t of trajectories) {
    const last = tau === undefined ? t.steps : stepsUnderTau(t, tau);
    for (let k = 0; k < 2 * (last + 1); k++) {
      const z = t.corners[3 * k], y = t.corners[3 * k + 1], x = t.corners[3 * k + 2];
      const key = cornerKey(shape, z, y, x);
      if (seen.has(key)) continue;
      seen.set(key, scores.length);
      corners.push(z, y, x);
      scores.push(t.scores[k]);
    }
  }
  const order = scores.map((_, i) => i).sort((i, j) => scores[j] - scores[i] || i - j).slice(0, top);
  const out = new Int32Array(3 * order.length);
  order.forEach((i, r) => out.set(corners.slice(3 * i, 3 * i + 3), 3 * r));
  return out;
}

/**
 * The distinct lattice corners within +/- `radius` strides of each centre (clamped like moves), in
 * order of centre, then dz, dy, dx from -radius; packed z,y,x.
 */
export function neighbourhoodCorners(
  centres: Int32Array,
  shape: Vec3,
  window: Vec3,
  stride: number,
  radius: number,
): Int32Array {
  const max = [shape[0] - window[0], shape[1] - window[1], shape[2] - window[2]];
  const clamp = (v: number, a: number) => Math.min(max[a], Math.max(0, v));
  const seen = new Set<number>();
  const out: number[] = [];
  for (let c = 0; c < centres.length; c += 3) {
    for (let dz = -radius; dz <= radius; dz++) {
      const z = clamp(centres[c] + dz * stride, 0);
      for (let dy = -radius; dy <= radius; dy++) {
        const y = clamp(centres[c + 1] + dy * stride, 1);
        for (let dx = -radius; dx <= radius; dx++) {
          const x = clamp(centres[c + 2] + dx * stride, 2);
          const key = cornerKey(shape, z, y, x);
          if (seen.has(key)) continue;
          seen.add(key);
          out.push(z, y, x);
        }
      }
    }
  }
  return Int32Array.from(out);
}

/** Options of {@link refineWindows}. */
export interface RefineOptions {
  /** The scorer (a cached one avoids scoring occupied windows twice). */
  readonly scorer: Scorer;
  /** Window size z,y,x. */
  readonly window: Vec3;
  /** The game's stride (voxels). */
  readonly stride: number;
  /** Strides per axis around each best window (0 = off). */
  readonly radius: number;
  /** Number of best windows refined around (0 = off). */
  readonly top: number;
  /** Cut of the trajectories (as `mapFromTrajectories`). */
  readonly tau?: number;
}

/**
 * The refinement windows of trajectories on `volume` (see the module doc) with their scores: the
 * neighbourhood of the best occupied windows minus the windows already added to the map. Empty when
 * `radius` or `top` is 0.
 * @throws {InvalidArgumentError} for bad radius/top, plus the scorer's errors
 */
export async function refineWindows(
  volume: Volume,
  trajectories: readonly Trajectory[],
  options: RefineOptions,
): Promise<WindowScores> {
  checkRefine(options.radius, options.top);
  const none: WindowScores = { corners: new Int32Array(0), scores: new Float32Array(0) };
  if (options.radius === 0 || options.top === 0) return none;
  const shape = volume.shape;
  const centres = topOccupiedWindows(trajectories, shape, options.top, options.tau);
  const around = neighbourhoodCorners(centres, shape, options.window, options.stride, options.radius);
  const inMap = new Set<number>();
  for (const t of trajectories) {
    const last = options.tau === undefined ? t.steps : stepsUnderTau(t, options.tau);
    for (let k = 2; k < 2 * (last + 1); k++) {
      inMap.add(cornerKey(shape, t.corners[3 * k], t.corners[3 * k + 1], t.corners[3 * k + 2]));
    }
  }
  const kept: number[] = [];
  for (let i = 0; i < around.length; i += 3) {
    if (!inMap.has(cornerKey(shape, around[i], around[i + 1], around[i + 2]))) {
      kept.push(around[i], around[i + 1], around[i + 2]);
    }
  }
  if (!kept.length) return none;
  const corners = Int32Array.from(kept);
  const [scores] = await scoreRequests(options.scorer, [{ volume, corners }], options.window);
  return { corners, scores: Float32Array.from(scores) };
}
