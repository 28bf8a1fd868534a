/**
 * Connected components of a binary mask and lesion-level evaluation: which ground-truth lesions a
 * prediction finds, and how well it segments each, split by lesion size (the SPARS paper reports
 * about 24.5% lower Dice on small tumours).
 *
 * Masks are `Uint8Array`s in z,y,x order, x fastest, nonzero = foreground; `shape` is voxels z,y,x,
 * `spacing` is mm z,y,x.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";
import { checkGrid } from "./mask_grid.ts";
import { summarize, type Summary } from "./metrics.ts";

/** Neighbourhood of a voxel: faces (6), faces and edges (18), or faces, edges and corners (26). */
export type Connectivity = 6 | 18 | 26;

/** Neighbour offsets (dz, dy, dx) of a connectivity, as three parallel arrays. */
function neighbourOffsets(connectivity: Connectivity): { dz: Int8Array; dy: Int8Array; dx: Int8Array } {
  const dz: number[] = [], dy: number[] = [], dx: number[] = [];
  for (let z = -1; z <= 1; z++) {
    for (let y = -1; y <= 1; y++) {
      for (let x = -1; x <= 1; x++) {
        const order = Math.abs(z) + Math.abs(y) + Math.abs(x); // 1 face, 2 edge, 3 corner
        if (order === 0 || (connectivity === 6 && order > 1) || (connectivity === 18 && order > 2)) continue;
        dz.push(z);
        dy.push(y);
        dx.push(x);
      }
    }
  }
  return { dz: Int8Array.from(dz), dy: Int8Array.from(dy), dx: Int8Array.from(dx) };
}

/**
 * Labels the connected components of `mask` (z,y,x of `shape`) by breadth-first search with an
 * explicit queue (no recursion, so any component size is safe).
 *
 * Returns `labels` (0 = background, components 1..count numbered in z,y,x raster order of their
 * first voxel), `count`, and `sizes` with `sizes[k - 1]` = voxel count of component k.
 * `connectivity` defaults to 26. Throws ShapeMismatchError / InvalidArgumentError on bad input.
 */
export function connectedComponents(
  mask: Uint8Array,
  shape: Vec3,
  connectivity: Connectivity = 26,
): { labels: Int32Array; count: number; sizes: number[] } {
  checkGrid(shape, { mask });
  if (connectivity !== 6 && connectivity !== 18 && connectivity !== 26) {
    throw new InvalidArgumentError("connectivity", `is ${connectivity}`, "6, 18 or 26");
  }
  const [nz, ny, nx] = shape;
  const { dz, dy, dx } = neighbourOffsets(connectivity);
  const labels = new Int32Array(mask.length);
  let foreground = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) foreground++;
  // Each voxel is labelled when queued, so it is queued at most once.
  const queue = new Int32Array(foreground);
  const sizes: number[] = [];
  let count = 0;
  for (let seed = 0; seed < mask.length; seed++) {
    if (mask[seed] === 0 || labels[seed] !== 0) continue;
    const label = ++count;
    labels[seed] = label;
    let head = 0, tail = 0;
    queue[tail++] = seed;
    while (head < tail) {
      const i = queue[head++];
      const x = i % nx, row = (i - x) / nx, y = row % ny, z = (row - y) / ny;
      for (let k = 0; k < dz.length; k++) {
        const zz = z + dz[k], yy = y + dy[k], xx = x + dx[k];
        if (zz < 0 || zz >= nz || yy < 0 || yy >= ny || xx < 0 || xx >= nx) continue;
        const j = (zz * ny + yy) * nx + xx;
        if (mask[j] === 0 || labels[j] !== 0) continue;
        labels[j] = label;
        queue[tail++] = j;
      }
    }
    sizes.push(tail);
  }
  return { labels, count, sizes };
}

/** One ground-truth lesion (connected component of the truth) and how the prediction covers it. */
export interface LesionResult {
  /** Component label in the truth (1-based, raster order of its first voxel). */
  id: number;
  /** Voxel count. */
  voxels: number;
  /** Volume in millilitres. */
  volumeMl: number;
  /**
   * Dice between this lesion and the union of the predicted components that touch it (overlap at
   * least one voxel); 0 when none does. A predicted component touching two lesions counts in both.
   */
  dice: number;
  /** True when at least `minOverlapVoxels` predicted voxels lie inside the lesion. */
  detected: boolean;
}

/** Lesion-level evaluation of one case. */
export interface LesionDetection {
  /** Number of ground-truth components. */
  truthCount: number;
  /** Number of those detected. */
  detected: number;
  /** detected / truthCount; NaN when the truth has no lesion. */
  detectionRate: number;
  /** Number of predicted components. */
  predCount: number;
  /** Predicted components that overlap no ground-truth lesion (false-positive lesions). */
  falsePositives: number;
  /** One entry per ground-truth component, in id order. */
  perLesion: LesionResult[];
}

/**
 * Lesion-level detection of `pred` against `truth` (z,y,x masks of `shape`, voxel size `spacing` mm
 * z,y,x). Lesions are the 26-connected (or `options.connectivity`) components of each mask. A truth
 * lesion is detected when the prediction has at least `options.minOverlapVoxels` (default 1)
 * voxels inside it; its Dice is taken against the predicted components that touch it (see
 * {@link LesionResult.dice}), so a prediction far from the lesion does not lower it.
 * Throws ShapeMismatchError / InvalidArgumentError on bad input.
 */
export function lesionDetection(
  pred: Uint8Array,
  truth: Uint8Array,
  shape: Vec3,
  spacing: Vec3,
  options?: { minOverlapVoxels?: number; connectivity?: Connectivity },
): LesionDetection {
  checkGrid(shape, { pred, truth });
  if (spacing.length !== 3 || !spacing.every((s) => Number.isFinite(s) && s > 0)) {
    throw new InvalidArgumentError(
      "spacing",
      `is [${spacing.join(", ")}]`,
      "three positive finite mm (z,y,x)",
    );
  }
  const minOverlap = options?.minOverlapVoxels ?? 1;
  if (!(Number.isInteger(minOverlap) && minOverlap >= 1)) {
    throw new InvalidArgumentError("options.minOverlapVoxels", `is ${minOverlap}`, "an integer >= 1");
  }
  const connectivity = options?.connectivity ?? 26;
  const t = connectedComponents(truth, shape, connectivity);
  const p = connectedComponents(pred, shape, connectivity);
  const overlap = new Float64Array(t.count + 1);
  const predTouchesTruth = new Uint8Array(p.count + 1);
  // Distinct (truth, pred) label pairs; keys t * (p.count + 1) + p stay below 2^53.
  const pairs = new Set<number>();
  let lastKey = -1;
  for (let i = 0; i < truth.length; i++) {
    const tl = t.labels[i], pl = p.labels[i];
    if (tl === 0 || pl === 0) continue;
    overlap[tl]++;
    const key = tl * (p.count + 1) + pl;
    if (key !== lastKey) {
      pairs.add(key);
      lastKey = key;
    }
  }
  const touchingPredVoxels = new Float64Array(t.count + 1);
  for (const key of pairs) {
    const pl = key % (p.count + 1), tl = (key - pl) / (p.count + 1);
    touchingPredVoxels[tl] += p.sizes[pl - 1];
    predTouchesTruth[pl] = 1;
  }
  const voxelMl = (spacing[0] * spacing[1] * spacing[2]) / 1000;
  const perLesion: LesionResult[] = [];
  let detected = 0;
  for (let id = 1; id <= t.count; id++) {
    const voxels = t.sizes[id - 1];
    const isDetected = overlap[id] >= minOverlap;
    if (isDetected) detected++;
    perLesion.push({
      id,
      voxels,
      volumeMl: voxels * voxelMl,
      dice: (2 * overlap[id]) / (voxels + touchingPredVoxels[id]),
      detected: isDetected,
    });
  }
  let falsePositives = 0;
  for (let pl = 1; pl <= p.count; pl++) if (predTouchesTruth[pl] === 0) falsePositives++;
  return {
    truthCount: t.count,
    detected,
    detectionRate: t.count === 0 ? NaN : detected / t.count,
    predCount: p.count,
    falsePositives,
    perLesion,
  };
}

/**
 * Per-lesion Dice summarised separately for small lesions (volume < `thresholdMl` millilitres) and
 * large ones (>= `thresholdMl`). Summaries follow {@link summarize} (an empty group has n = 0 and
 * NaN statistics). Throws InvalidArgumentError unless `thresholdMl` is finite and >= 0.
 */
export function diceBySize(
  detection: LesionDetection,
  thresholdMl: number,
): { small: Summary; large: Summary } {
  if (!(Number.isFinite(thresholdMl) && thresholdMl >= 0)) {
    throw new InvalidArgumentError("thresholdMl", `is ${thresholdMl}`, "a finite volume in ml >= 0");
  }
  const small: number[] = [], large: number[] = [];
  for (const lesion of detection.perLesion) (lesion.volumeMl < thresholdMl ? small : large).push(lesion.dice);
  return { small: summarize(small), large: summarize(large) };
}
