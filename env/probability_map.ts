/**
 * The voxel probability map of a SPARS episode: each agent's OWN window score is accumulated into
 * the voxels of its OWN (clamped) window. The reference code added the opponent's score into the
 * learner's window; here `add(corner, score)` takes one window and one score, and the env calls it
 * once per agent with that agent's corner and score.
 *
 * Per-step cost is independent of the window volume: `add` only updates a per-corner record
 * (windows are revisited often on the stride lattice). Voxel values are integrated on demand, for
 * a box or the whole volume, with a 3D difference array (sum, mean) or by painting (max).
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3, Volume } from "../data/types.ts";

/**
 * How scores combine at a voxel: `sum` of all scores of windows covering it, one per visit (the
 * paper); `distinct`: the sum over the distinct windows covering it, each counted once with its
 * mean score (a window revisited k times weighs as one: the map of a set of windows, equal to the
 * dense sliding-window map when every lattice window is added once); `mean` over the visits; or
 * `max`. Voxels never covered are 0 in every mode.
 */
export type MapMode = "sum" | "distinct" | "mean" | "max";

/** The map modes, in help order. */
export const MAP_MODES: readonly MapMode[] = ["sum", "distinct", "mean", "max"];

/**
 * True for the modes whose voxel values are sums over windows (`sum`, `distinct`): their values
 * grow with the windows added, so thresholds scale with coverage; `mean`/`max` hold scores in [0, 1].
 */
export function isSumMode(mode: MapMode): boolean {
  return mode === "sum" || mode === "distinct";
}

/** Accumulates window scores and integrates them into voxel values on demand. */
export class ProbabilityMap {
  /** Volume shape z,y,x. */
  readonly shape: Vec3;
  /** Window size z,y,x. */
  readonly windowSize: Vec3;
  /** Combination rule. */
  readonly mode: MapMode;
  /** The default threshold of {@link mask} (a game's `maskThreshold`). */
  readonly maskThreshold: number;
  #index = new Map<number, number>();
  #corners = new Int32Array(3 * 64);
  #sums = new Float64Array(64);
  #counts = new Int32Array(64);
  #maxima = new Float64Array(64);
  #unique = 0;
  #events = 0;
  #scoreSum = 0;

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @param maskThreshold the default threshold of {@link mask} (default 0.5, the reference)
   * @throws {InvalidArgumentError} when the window does not fit, the mode is unknown or the
   *   threshold is not finite */
  constructor(shape: Vec3, windowSize: Vec3, mode: MapMode = "sum", maskThreshold = 0.5) {
    if (!Number.isFinite(maskThreshold)) {
      throw new InvalidArgumentError("maskThreshold", `is ${maskThreshold}`, "a finite number (default 0.5)");
    }
    if (!MAP_MODES.includes(mode)) {
      throw new InvalidArgumentError("mapMode", `is '${mode}'`, `one of ${MAP_MODES.join(", ")}`);
    }
    for (let a = 0; a < 3; a++) {
      if (!(windowSize[a] >= 1 && windowSize[a] <= shape[a])) {
        throw new InvalidArgumentError(
          "windowSize",
          `${windowSize.join("x")} in ${shape.join("x")}`,
          "1 <= size <= shape",
        );
      }
    }
    this.shape = shape;
    this.windowSize = windowSize;
    this.mode = mode;
    this.maskThreshold = maskThreshold;
  }

  /** Number of `add` calls since the last reset. */
  get events(): number {
    return this.#events;
  }

  /** Number of distinct window corners added since the last reset. */
  get uniqueWindows(): number {
    return this.#unique;
  }

  /** Sum of all added scores (for `sum` mode, the map's voxel total is this times the window volume). */
  get scoreSum(): number {
    return this.#scoreSum;
  }

  /** Number of scores added for the window at `corner` since the last reset (0 when never added). */
  visits(corner: Vec3): number {
    const [, sy, sx] = this.shape;
    const i = this.#index.get((corner[0] * sy + corner[1]) * sx + corner[2]);
    return i === undefined ? 0 : this.#counts[i];
  }

  /** Forgets every score. */
  reset(): void {
    this.#index.clear();
    this.#unique = 0;
    this.#events = 0;
    this.#scoreSum = 0;
  }

  /**
   * Adds one window's score. `corner` must be a valid (already clamped) corner: the map never
   * clamps, so a caller's unclamped corner is an error rather than a silently shifted window.
   * @throws {InvalidArgumentError} for an invalid corner or a score outside [0, 1]
   */
  add(corner: Vec3, score: number): void {
    const [sz, sy, sx] = this.shape, [wz, wy, wx] = this.windowSize;
    const [z, y, x] = corner;
    if (
      !(z >= 0 && y >= 0 && x >= 0 && z + wz <= sz && y + wy <= sy && x + wx <= sx &&
        Number.isInteger(z + y + x))
    ) {
      throw new InvalidArgumentError(
        "corner",
        `${corner.join(",")} with window ${this.windowSize.join("x")}`,
        `a window inside ${this.shape.join("x")}`,
      );
    }
    if (!(score >= 0 && score <= 1)) {
      throw new InvalidArgumentError("score", `is ${score}`, "a value in [0, 1]");
    }
    const key = (z * sy + y) * sx + x;
    let i = this.#index.get(key);
    if (i === undefined) {
      i = this.#unique++;
      if (i === this.#sums.length) this.#grow();
      this.#index.set(key, i);
      this.#corners[3 * i] = z;
      this.#corners[3 * i + 1] = y;
      this.#corners[3 * i + 2] = x;
      this.#sums[i] = 0;
      this.#counts[i] = 0;
      this.#maxima[i] = 0;
    }
    this.#sums[i] += score;
    this.#counts[i]++;
    if (score > this.#maxima[i]) this.#maxima[i] = score;
    this.#events++;
    this.#scoreSum += score;
  }

  /**
   * Map values in the box `[corner, corner + size)` (z,y,x), written into `out` (allocated when
   * omitted). Cost: O(unique windows + box volume).
   */
  region(
    corner: Vec3,
    size: Vec3,
    out: Float32Array = new Float32Array(size[0] * size[1] * size[2]),
  ): Float32Array {
    if (out.length !== size[0] * size[1] * size[2]) {
      throw new InvalidArgumentError("out", `has ${out.length} values`, `${size.join("x")} values`);
    }
    if (this.mode === "max") return this.#paintMax(corner, size, out);
    if (this.mode === "distinct") {
      const means = new Float64Array(this.#unique);
      for (let i = 0; i < this.#unique; i++) means[i] = this.#sums[i] / this.#counts[i];
      const values = this.#integrate(corner, size, means);
      for (let i = 0; i < out.length; i++) out[i] = values[i];
      return out;
    }
    const sums = this.#integrate(corner, size, this.#sums);
    if (this.mode === "sum") {
      for (let i = 0; i < out.length; i++) out[i] = sums[i];
      return out;
    }
    const counts = this.#integrate(corner, size, this.#counts);
    for (let i = 0; i < out.length; i++) out[i] = counts[i] > 0 ? sums[i] / counts[i] : 0;
    return out;
  }

  /** The whole map (z,y,x, x fastest). */
  toArray(): Float32Array {
    return this.region([0, 0, 0], this.shape);
  }

  /**
   * The segmentation: 1 where the map is strictly greater than `threshold` (the reference uses
   * `map > 0.5`), else 0. Without an argument the threshold is {@link maskThreshold}: for an env's
   * map, its config's `maskThreshold`.
   */
  mask(threshold: number = this.maskThreshold): Uint8Array {
    const map = this.toArray();
    const out = new Uint8Array(map.length);
    for (let i = 0; i < map.length; i++) out[i] = map[i] > threshold ? 1 : 0;
    return out;
  }

  /** The map as a {@link Volume} on the grid of `like` (same shape, spacing and affine). */
  toVolume(like: Volume, id = `${like.id}/map`): Volume {
    if (like.shape.some((d, a) => d !== this.shape[a])) {
      throw new InvalidArgumentError(
        "like",
        `has shape ${like.shape.join("x")}`,
        `the map's shape ${this.shape.join("x")}`,
      );
    }
    return { id, shape: like.shape, spacing: like.spacing, affine: like.affine, data: this.toArray() };
  }

  // Difference array over the box: +v at the window's low corner, alternating signs at the other
  // 7 corners (skipped where they fall outside the box), then prefix sums along x, y and z.
  #integrate(corner: Vec3, size: Vec3, values: Float64Array | Int32Array): Float64Array {
    const [bz, by, bx] = size;
    const d = new Float64Array(bz * by * bx);
    const [wz, wy, wx] = this.windowSize;
    const c = this.#corners;
    for (let i = 0; i < this.#unique; i++) {
      const v = values[i];
      const z0 = Math.max(c[3 * i] - corner[0], 0), z1 = Math.min(c[3 * i] + wz - corner[0], bz);
      const y0 = Math.max(c[3 * i + 1] - corner[1], 0), y1 = Math.min(c[3 * i + 1] + wy - corner[1], by);
      const x0 = Math.max(c[3 * i + 2] - corner[2], 0), x1 = Math.min(c[3 * i + 2] + wx - corner[2], bx);
      if (z0 >= z1 || y0 >= y1 || x0 >= x1) continue;
      const zs = [z0, z1], ys = [y0, y1], xs = [x0, x1];
      for (let a = 0; a < 2; a++) {
        if (zs[a] >= bz) continue;
        for (let b = 0; b < 2; b++) {
          if (ys[b] >= by) continue;
          for (let e = 0; e < 2; e++) {
            if (xs[e] >= bx) continue;
            d[(zs[a] * by + ys[b]) * bx + xs[e]] += (a + b + e) % 2 === 0 ? v : -v;
          }
        }
      }
    }
    for (let r = 0; r < bz * by; r++) {
      const o = r * bx;
      for (let x = 1; x < bx; x++) d[o + x] += d[o + x - 1];
    }
    for (let z = 0; z < bz; z++) {
      for (let y = 1; y < by; y++) {
        const o = (z * by + y) * bx, p = o - bx;
        for (let x = 0; x < bx; x++) d[o + x] += d[p + x];
      }
    }
    const plane = by * bx;
    for (let z = 1; z < bz; z++) {
      const o = z * plane, p = o - plane;
      for (let k = 0; k < plane; k++) d[o + k] += d[p + k];
    }
    return d;
  }

  #paintMax(corner: Vec3, size: Vec3, out: Float32Array): Float32Array {
    out.fill(0);
    const [bz, by, bx] = size;
    const [wz, wy, wx] = this.windowSize;
    const c = this.#corners;
    for (let i = 0; i < this.#unique; i++) {
      const v = this.#maxima[i];
      const z0 = Math.max(c[3 * i] - corner[0], 0), z1 = Math.min(c[3 * i] + wz - corner[0], bz);
      const y0 = Math.max(c[3 * i + 1] - corner[1], 0), y1 = Math.min(c[3 * i + 1] + wy - corner[1], by);
      const x0 = Math.max(c[3 * i + 2] - corner[2], 0), x1 = Math.min(c[3 * i + 2] + wx - corner[2], bx);
      for (let z = z0; z < z1; z++) {
        for (let y = y0; y < y1; y++) {
          const o = (z * by + y) * bx;
          for (let x = x0; x < x1; x++) if (v > out[o + x]) out[o + x] = v;
        }
      }
    }
    return out;
  }

  #grow(): void {
    const n = this.#sums.length * 2;
    const corners = new Int32Array(3 * n),
      sums = new Float64Array(n),
      counts = new Int32Array(n),
      maxima = new Float64Array(n);
    corners.set(this.#corners);
    sums.set(this.#sums);
    counts.set(this.#counts);
    maxima.set(this.#maxima);
    this.#corners = corners;
    this.#sums = sums;
    this.#counts = counts;
    this.#maxima = maxima;
  }
}
