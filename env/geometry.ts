/**
 * Window geometry of the SPARS game: a window of fixed size (z,y,x voxels) moves over a volume by
 * `stride` voxels along one axis per step, and is clamped so that it always lies inside the volume.
 * One clamped corner is used for the crop, the map and the score (the reference code used a clipped
 * corner for the crop and an unclipped one for the map).
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Rng } from "../data/random.ts";
import type { Vec3 } from "../data/types.ts";

/** Number of moves: +z, -z, +y, -y, +x, -x (actions 0..5 in this order). */
export const MOVE_COUNT = 6;

/** Human-readable names of the 6 actions, index = action. */
export const MOVE_NAMES: readonly string[] = ["+z", "-z", "+y", "-y", "+x", "-x"];

/** How a window's first corner is chosen: the centred corner, a seeded random corner, or explicit. */
export type StartRule = "center" | "random" | Vec3;

/**
 * Window geometry on one volume: validates sizes, clamps corners, applies moves.
 * Corners are voxel indices (z,y,x) of the window's first voxel; valid corners satisfy
 * `0 <= corner[a] <= shape[a] - size[a]`.
 */
export class WindowGeometry {
  /** Volume shape z,y,x. */
  readonly shape: Vec3;
  /** Window size z,y,x (each between 1 and the volume's extent). */
  readonly size: Vec3;
  /** Move length in voxels (>= 1). */
  readonly stride: number;
  /** Largest valid corner per axis: `shape - size`. */
  readonly maxCorner: Vec3;

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @throws {InvalidArgumentError} when the window does not fit in the volume or stride is not a positive integer
   */
  constructor(shape: Vec3, size: Vec3, stride: number) {
    for (let a = 0; a < 3; a++) {
      if (!Number.isInteger(size[a]) || size[a] < 1 || size[a] > shape[a]) {
        throw new InvalidArgumentError(
          "window",
          `size ${size.join("x")} does not fit in volume ${shape.join("x")}`,
          "integers 1 <= window <= volume shape on every axis (z,y,x)",
        );
      }
    }
    if (!Number.isInteger(stride) || stride < 1) {
      throw new InvalidArgumentError("stride", `is ${stride}`, "a positive integer number of voxels");
    }
    this.shape = shape;
    this.size = size;
    this.stride = stride;
    this.maxCorner = [shape[0] - size[0], shape[1] - size[1], shape[2] - size[2]];
  }

  /** True when `corner` is a valid, integer corner. */
  isValidCorner(corner: Vec3): boolean {
    for (let a = 0; a < 3; a++) {
      if (!Number.isInteger(corner[a]) || corner[a] < 0 || corner[a] > this.maxCorner[a]) return false;
    }
    return true;
  }

  /** The corner reached by `action` (0..5) from `corner`, clamped inside the volume. */
  move(corner: Vec3, action: number): Vec3 {
    const axis = action >> 1;
    const delta = (action & 1) === 0 ? this.stride : -this.stride;
    const next: [number, number, number] = [corner[0], corner[1], corner[2]];
    next[axis] = Math.min(this.maxCorner[axis], Math.max(0, next[axis] + delta));
    return next;
  }

  /**
   * The first corner under a start rule. `"center"`: `floor(maxCorner / 2)`; `"random"`: uniform over
   * valid corners drawn from `rng`; an explicit corner must be valid.
   * @throws {InvalidArgumentError} for an invalid explicit corner, or `"random"` without an rng
   */
  start(rule: StartRule, rng?: Rng): Vec3 {
    if (rule === "center") return this.maxCorner.map((m) => Math.floor(m / 2)) as unknown as Vec3;
    if (rule === "random") {
      if (!rng) throw new InvalidArgumentError("start", "is 'random' but no rng was given", "an Rng");
      return [rng.int(this.maxCorner[0] + 1), rng.int(this.maxCorner[1] + 1), rng.int(this.maxCorner[2] + 1)];
    }
    if (!this.isValidCorner(rule)) {
      throw new InvalidArgumentError(
        "start",
        `corner ${rule.join(",")} is outside 0..${this.maxCorner.join(",")}`,
        "a corner with 0 <= corner <= volume shape - window on every axis",
      );
    }
    return [rule[0], rule[1], rule[2]];
  }

  /** A unique integer key of a valid corner (z-major), for caches. */
  key(corner: Vec3): number {
    return (corner[0] * (this.maxCorner[1] + 1) + corner[1]) * (this.maxCorner[2] + 1) + corner[2];
  }
}

/**
 * The corner lattice along one axis: `0, stride, 2*stride, ...` up to `extent - size`, plus
 * `extent - size` itself when the stride does not land on it (so the last window touches the border).
 */
export function latticeAxis(extent: number, size: number, stride: number): number[] {
  const last = extent - size;
  const out: number[] = [];
  for (let c = 0; c <= last; c += stride) out.push(c);
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}

/**
 * All lattice corners of a window over a volume, packed z,y,x triples (z slowest), with the lattice
 * shape (number of corners per axis). Used for the dense sliding-window baseline.
 */
export function latticeCorners(
  shape: Vec3,
  size: Vec3,
  stride: number,
): { corners: Int32Array; latticeShape: Vec3 } {
  new WindowGeometry(shape, size, stride); // validates
  const zs = latticeAxis(shape[0], size[0], stride);
  const ys = latticeAxis(shape[1], size[1], stride);
  const xs = latticeAxis(shape[2], size[2], stride);
  const corners = new Int32Array(zs.length * ys.length * xs.length * 3);
  let i = 0;
  for (const z of zs) {
    for (const y of ys) {
      for (const x of xs) {
        corners[i++] = z;
        corners[i++] = y;
        corners[i++] = x;
      }
    }
  }
  return { corners, latticeShape: [zs.length, ys.length, xs.length] };
}
