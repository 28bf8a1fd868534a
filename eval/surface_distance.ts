/**
 * Surface distances between two binary masks, in millimetres, exact Euclidean with anisotropic
 * spacing, following MONAI's `compute_hausdorff_distance` and `compute_average_surface_distance`.
 *
 * All masks are `Uint8Array`s in z,y,x order, x fastest (nonzero = foreground); `shape` is the voxel
 * count z,y,x and `spacing` the voxel size in mm z,y,x.
 *
 * Method: the surface of each mask is its foreground voxels that have a 6-neighbour in the
 * background or lie on the volume border (as MONAI's `mask ^ binary_erosion(mask)`). The distance
 * from a surface voxel of A to the surface of B is read from an exact Euclidean distance transform
 * of B's surface (a binary 1D pass along x, then the Felzenszwalb-Huttenlocher lower envelope of
 * parabolas along y and z, each axis weighted by its spacing). The transforms run only on the
 * bounding box of the union of both masks: every surface voxel lies in it, so the result is exact.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";
import { checkGrid } from "./mask_grid.ts";

function checkSpacing(spacing: Vec3): void {
  if (spacing.length !== 3 || !spacing.every((s) => Number.isFinite(s) && s > 0)) {
    throw new InvalidArgumentError(
      "spacing",
      `is [${spacing.join(", ")}]`,
      "three positive finite voxel sizes in mm (z,y,x)",
    );
  }
}

/** Voxel box [z0,y0,x0] .. [z1,y1,x1] (inclusive), or undefined when every mask is empty. */
interface Box {
  readonly lo: Vec3;
  readonly hi: Vec3;
}

function unionBox(shape: Vec3, a: Uint8Array, b: Uint8Array): Box | undefined {
  const [nz, ny, nx] = shape;
  let z0 = nz, y0 = ny, x0 = nx, z1 = -1, y1 = -1, x1 = -1;
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        if (a[i] === 0 && b[i] === 0) continue;
        if (z < z0) z0 = z;
        if (z > z1) z1 = z;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
      }
    }
  }
  return z1 < 0 ? undefined : { lo: [z0, y0, x0], hi: [z1, y1, x1] };
}

/**
 * Marks the surface of `mask` (full volume `shape`) inside `box` into `out` (box-sized, x fastest).
 * A neighbour outside the box is background: the box holds all of the mask's foreground.
 */
function markSurface(mask: Uint8Array, shape: Vec3, box: Box, out: Uint8Array): number {
  const [, ny, nx] = shape;
  const [z0, y0, x0] = box.lo;
  const [z1, y1, x1] = box.hi;
  const sliceStride = ny * nx;
  let o = 0, count = 0;
  for (let z = z0; z <= z1; z++) {
    for (let y = y0; y <= y1; y++) {
      let i = (z * ny + y) * nx + x0;
      for (let x = x0; x <= x1; x++, i++, o++) {
        if (mask[i] === 0) {
          out[o] = 0;
          continue;
        }
        const onSurface = x === x0 || x === x1 || y === y0 || y === y1 || z === z0 || z === z1 ||
          mask[i - 1] === 0 || mask[i + 1] === 0 || mask[i - nx] === 0 || mask[i + nx] === 0 ||
          mask[i - sliceStride] === 0 || mask[i + sliceStride] === 0;
        out[o] = onSurface ? 1 : 0;
        if (onSurface) count++;
      }
    }
  }
  return count;
}

/**
 * The surface of a mask: foreground voxels with at least one 6-neighbour in the background or on the
 * volume border. Returns a 0/1 mask of the same shape (z,y,x). An empty mask has an empty surface;
 * a nonempty mask always has a nonempty surface. Throws ShapeMismatchError if `mask` does not hold
 * `shape`'s voxel count.
 */
export function surfaceVoxels(mask: Uint8Array, shape: Vec3): Uint8Array {
  checkGrid(shape, { mask });
  const out = new Uint8Array(mask.length);
  markSurface(mask, shape, { lo: [0, 0, 0], hi: [shape[0] - 1, shape[1] - 1, shape[2] - 1] }, out);
  return out;
}

/**
 * One line of the squared distance transform: out[q] = min_p f[p] + (w (q - p))^2, by the lower
 * envelope of parabolas (Felzenszwalb & Huttenlocher 2012). Entries with f = Infinity are not
 * features and are skipped; a line without any finite entry stays Infinity.
 */
function envelopeLine(
  f: Float64Array,
  n: number,
  w: number,
  out: Float64Array,
  v: Int32Array,
  cut: Float64Array,
): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[q];
    if (fq === Infinity) continue;
    const xq = q * w;
    const hq = fq + xq * xq;
    if (k < 0) {
      k = 0;
      v[0] = q;
      cut[0] = -Infinity;
      cut[1] = Infinity;
      continue;
    }
    let s: number;
    for (;;) {
      const xv = v[k] * w;
      s = (hq - (f[v[k]] + xv * xv)) / (2 * (xq - xv));
      if (s > cut[k]) break;
      k--; // cut[0] is -Infinity, so k never drops below 0.
    }
    k++;
    v[k] = q;
    cut[k] = s;
    cut[k + 1] = Infinity;
  }
  if (k < 0) {
    out.fill(Infinity, 0, n);
    return;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    const x = q * w;
    while (cut[k + 1] < x) k++;
    const d = x - v[k] * w;
    out[q] = d * d + f[v[k]];
  }
}

/**
 * Exact squared Euclidean distance transform, in mm^2: for every voxel, the squared distance to the
 * nearest nonzero voxel of `features` (Infinity when there is none). Three separable passes.
 */
function squaredDistanceTransform(features: Uint8Array, shape: Vec3, spacing: Vec3): Float64Array {
  const [nz, ny, nx] = shape;
  const [sz, sy, sx] = spacing;
  const d2 = new Float64Array(nz * ny * nx);
  // Pass 1 (x): distance to the nearest feature in the row, from a left and a right sweep.
  for (let row = 0; row < nz * ny; row++) {
    const base = row * nx;
    let last = -1;
    for (let x = 0; x < nx; x++) {
      if (features[base + x] !== 0) last = x;
      d2[base + x] = last < 0 ? Infinity : x - last;
    }
    last = -1;
    for (let x = nx - 1; x >= 0; x--) {
      if (features[base + x] !== 0) last = x;
      let d = d2[base + x];
      if (last >= 0 && last - x < d) d = last - x;
      d2[base + x] = d === Infinity ? Infinity : d * sx * (d * sx);
    }
  }
  const longest = Math.max(ny, nz);
  const f = new Float64Array(longest), out = new Float64Array(longest);
  const v = new Int32Array(longest), cut = new Float64Array(longest + 1);
  // Pass 2 (y): lines of stride nx.
  if (ny > 1) {
    for (let z = 0; z < nz; z++) {
      for (let x = 0; x < nx; x++) {
        const base = z * ny * nx + x;
        for (let y = 0; y < ny; y++) f[y] = d2[base + y * nx];
        envelopeLine(f, ny, sy, out, v, cut);
        for (let y = 0; y < ny; y++) d2[base + y * nx] = out[y];
      }
    }
  }
  // Pass 3 (z): lines of stride ny*nx.
  if (nz > 1) {
    const stride = ny * nx;
    for (let base = 0; base < stride; base++) {
      for (let z = 0; z < nz; z++) f[z] = d2[base + z * stride];
      envelopeLine(f, nz, sz, out, v, cut);
      for (let z = 0; z < nz; z++) d2[base + z * stride] = out[z];
    }
  }
  return d2;
}

/**
 * Exact Euclidean distance transform in mm: for every voxel (z,y,x order, x fastest), the distance
 * to the centre of the nearest nonzero voxel of `features`, with anisotropic `spacing` (mm z,y,x).
 * Feature voxels get 0; every voxel gets Infinity when `features` is empty. Time O(voxels).
 * Throws ShapeMismatchError / InvalidArgumentError on a wrong length, shape or spacing.
 */
export function distanceTransform(features: Uint8Array, shape: Vec3, spacing: Vec3): Float64Array {
  checkGrid(shape, { features });
  checkSpacing(spacing);
  const d = squaredDistanceTransform(features, shape, spacing);
  for (let i = 0; i < d.length; i++) d[i] = Math.sqrt(d[i]);
  return d;
}

/** Copies the values of `d2` (box-sized) at the nonzero voxels of `where` as distances (sqrt). */
function gatherDistances(d2: Float64Array, where: Uint8Array, count: number): Float64Array {
  const out = new Float64Array(count);
  let j = 0;
  for (let i = 0; i < where.length; i++) if (where[i] !== 0) out[j++] = Math.sqrt(d2[i]);
  return out;
}

/**
 * Directed surface distances in mm. `aToB[k]` is the distance from the k-th surface voxel of `a`
 * (in z,y,x raster order) to the nearest surface voxel of `b`; `bToA` likewise from `b` to `a`.
 * An empty `a` gives an empty `aToB`; an empty `b` makes every entry of `aToB` Infinity (as MONAI).
 * Throws ShapeMismatchError if a mask does not hold `shape`'s voxel count, InvalidArgumentError on a
 * bad shape or spacing.
 */
export function surfaceDistances(
  a: Uint8Array,
  b: Uint8Array,
  shape: Vec3,
  spacing: Vec3,
): { aToB: Float64Array; bToA: Float64Array } {
  checkGrid(shape, { a, b });
  checkSpacing(spacing);
  const box = unionBox(shape, a, b);
  if (box === undefined) return { aToB: new Float64Array(0), bToA: new Float64Array(0) };
  const boxShape: Vec3 = [box.hi[0] - box.lo[0] + 1, box.hi[1] - box.lo[1] + 1, box.hi[2] - box.lo[2] + 1];
  const boxCount = boxShape[0] * boxShape[1] * boxShape[2];
  const surfaceA = new Uint8Array(boxCount), surfaceB = new Uint8Array(boxCount);
  const countA = markSurface(a, shape, box, surfaceA);
  const countB = markSurface(b, shape, box, surfaceB);
  const infinite = (n: number): Float64Array => new Float64Array(n).fill(Infinity);
  const aToB = countB === 0
    ? infinite(countA)
    : gatherDistances(squaredDistanceTransform(surfaceB, boxShape, spacing), surfaceA, countA);
  const bToA = countA === 0
    ? infinite(countB)
    : gatherDistances(squaredDistanceTransform(surfaceA, boxShape, spacing), surfaceB, countB);
  return { aToB, bToA };
}

/**
 * The q-th percentile (0..100) of `values` with numpy's default linear interpolation between the
 * closest ranks: position (n - 1) q / 100 in the sorted values. NaN for an empty array. Sorts a copy.
 */
export function percentile(values: Float64Array, q: number): number {
  if (!(q >= 0 && q <= 100)) throw new InvalidArgumentError("q", `is ${q}`, "a percentile in [0, 100]");
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const position = (sorted.length - 1) * q / 100;
  const lo = Math.floor(position), hi = Math.ceil(position);
  if (lo === hi || sorted[lo] === sorted[hi]) return sorted[lo];
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo);
}

function hasForeground(mask: Uint8Array): boolean {
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) return true;
  return false;
}

/** NaN when both masks are empty, Infinity when exactly one is, undefined otherwise. */
function emptyCase(pred: Uint8Array, truth: Uint8Array): number | undefined {
  const p = hasForeground(pred), t = hasForeground(truth);
  if (!p && !t) return NaN;
  if (p !== t) return Infinity;
  return undefined;
}

/** Surface-distance scores of one prediction, in mm. */
export interface SurfaceScores {
  /** 95th-percentile Hausdorff distance (see {@link hausdorff95}). */
  hd95: number;
  /** Average symmetric surface distance (see {@link averageSurfaceDistance}). */
  assd: number;
}

/**
 * HD95 and ASSD from one pair of distance transforms (half the work of calling
 * {@link hausdorff95} and {@link averageSurfaceDistance} separately); same rules and errors.
 */
export function surfaceScores(
  pred: Uint8Array,
  truth: Uint8Array,
  shape: Vec3,
  spacing: Vec3,
): SurfaceScores {
  checkGrid(shape, { pred, truth });
  checkSpacing(spacing);
  const special = emptyCase(pred, truth);
  if (special !== undefined) return { hd95: special, assd: special };
  const { aToB, bToA } = surfaceDistances(pred, truth, shape, spacing);
  let sum = 0;
  for (let i = 0; i < aToB.length; i++) sum += aToB[i];
  for (let i = 0; i < bToA.length; i++) sum += bToA[i];
  return {
    hd95: Math.max(percentile(aToB, 95), percentile(bToA, 95)),
    assd: sum / (aToB.length + bToA.length),
  };
}

/**
 * 95th-percentile Hausdorff distance in mm, as MONAI's `compute_hausdorff_distance(percentile=95)`
 * (symmetric, not directed): `max(P95(pred -> truth), P95(truth -> pred))`, each directed P95 taken
 * over that mask's surface voxels with numpy's linear-interpolation percentile. (This is the max of
 * the two directed percentiles, not the percentile of the pooled distances; the two differ.)
 * Both masks empty: NaN. Exactly one empty: Infinity (MONAI gives inf or nan there, with a warning).
 * Same errors as {@link surfaceDistances}.
 */
export function hausdorff95(pred: Uint8Array, truth: Uint8Array, shape: Vec3, spacing: Vec3): number {
  return surfaceScores(pred, truth, shape, spacing).hd95;
}

/**
 * Average symmetric surface distance (ASSD) in mm, as MONAI's
 * `compute_average_surface_distance(symmetric=True)`: the mean of the pred->truth and truth->pred
 * surface distances concatenated (so each surface voxel weighs the same). Both masks empty: NaN.
 * Exactly one empty: Infinity. Same errors as {@link surfaceDistances}.
 */
export function averageSurfaceDistance(
  pred: Uint8Array,
  truth: Uint8Array,
  shape: Vec3,
  spacing: Vec3,
): number {
  return surfaceScores(pred, truth, shape, spacing).assd;
}
