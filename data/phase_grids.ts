/**
 * Precomputed downsampling by integer factors, for reading many resampled boxes fast.
 *
 * With half-pixel centres, shrinking a run of `f * m` voxels to `m` by trilinear interpolation
 * samples the source at `f * o + (f - 1) / 2` from the run's start: the same two neighbours and the
 * same weight for every output voxel, wherever the run starts. So the resampled box of ANY corner is
 * a plain copy out of one of `fz * fy * fx` "phase grids" (one per corner residue modulo the factor),
 * which hold the interpolated values once. Memory: about one copy of the volume in total.
 * Results are bitwise equal to {@link resampleBoxLinear} (same arithmetic in the same order).
 *
 * @module
 */
import { InvalidArgumentError } from "./errors.ts";
import { trilinear } from "./resample.ts";
import type { Vec3 } from "./types.ts";

interface Axis {
  factor: number;
  offset: number; // first neighbour relative to f * o
  weight: number; // weight of the second neighbour (0 or 0.5)
}

/** Phase grids of one volume for a fixed integer factor per axis (z,y,x). */
export class PhaseGrids {
  /** Source shape z,y,x. */
  readonly shape: Vec3;
  /** Integer shrink factor per axis z,y,x. */
  readonly factor: Vec3;
  readonly #src: Float32Array;
  readonly #axes: [Axis, Axis, Axis];
  readonly #grids = new Map<number, { data: Float32Array; shape: Vec3 }>();

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @param src source values, z,y,x with x fastest
   * @param shape source shape
   * @param factor integer factor per axis (>= 1)
   * @throws {InvalidArgumentError} for a non-integer factor or a length mismatch
   */
  constructor(src: Float32Array, shape: Vec3, factor: Vec3) {
    if (src.length !== shape[0] * shape[1] * shape[2]) {
      throw new InvalidArgumentError("src", `has ${src.length} values`, `${shape.join("x")} values`);
    }
    if (!factor.every((f, a) => Number.isInteger(f) && f >= 1 && f <= shape[a])) {
      throw new InvalidArgumentError("factor", `is ${factor.join("x")}`, "integers between 1 and the shape");
    }
    this.shape = shape;
    this.factor = factor;
    this.#src = src;
    this.#axes = factor.map((f) => ({
      factor: f,
      offset: Math.floor((f - 1) / 2),
      weight: (f - 1) / 2 - Math.floor((f - 1) / 2),
    })) as [Axis, Axis, Axis];
  }

  /**
   * Writes the box of `outShape` voxels resampled from the source box at `corner` of size
   * `outShape * factor` into `out`: exactly `resampleBoxLinear(src, shape, corner, outShape * factor, outShape)`.
   * @throws {InvalidArgumentError} when the source box leaves the volume
   */
  box(corner: Vec3, outShape: Vec3, out: Float32Array): Float32Array {
    const [mz, my, mx] = outShape;
    for (let a = 0; a < 3; a++) {
      if (
        !(Number.isInteger(corner[a]) && corner[a] >= 0 &&
          corner[a] + outShape[a] * this.factor[a] <= this.shape[a])
      ) {
        throw new InvalidArgumentError(
          "box",
          `corner ${corner.join(",")} x ${outShape.join("x")} does not fit`,
          `a box inside ${this.shape.join("x")}`,
        );
      }
    }
    if (out.length !== mz * my * mx) {
      throw new InvalidArgumentError("out", `has ${out.length} values`, `${mz * my * mx}`);
    }
    const [fz, fy, fx] = this.factor;
    const pz = corner[0] % fz, py = corner[1] % fy, px = corner[2] % fx;
    const grid = this.#grid(pz, py, px);
    const [, gy, gx] = grid.shape;
    const kz = (corner[0] - pz) / fz, ky = (corner[1] - py) / fy, kx = (corner[2] - px) / fx;
    const g = grid.data;
    let o = 0;
    for (let z = 0; z < mz; z++) {
      for (let y = 0; y < my; y++) {
        let i = ((kz + z) * gy + ky + y) * gx + kx;
        for (let x = 0; x < mx; x++) out[o++] = g[i++];
      }
    }
    return out;
  }

  #grid(pz: number, py: number, px: number): { data: Float32Array; shape: Vec3 } {
    const key = (pz * this.factor[1] + py) * this.factor[2] + px;
    let grid = this.#grids.get(key);
    if (grid) return grid;
    const [az, ay, ax] = this.#axes;
    const count = (n: number, p: number, a: Axis) =>
      Math.floor((n - 1 - p - a.offset - (a.weight > 0 ? 1 : 0)) / a.factor) + 1;
    const shape: Vec3 = [
      count(this.shape[0], pz, az),
      count(this.shape[1], py, ay),
      count(this.shape[2], px, ax),
    ];
    const [, sy, sx] = this.shape;
    const src = this.#src, plane = sy * sx;
    const data = new Float32Array(shape[0] * shape[1] * shape[2]);
    const wz = az.weight, wy = ay.weight, wx = ax.weight;
    // Second neighbours clamp exactly as resampleBoxLinear's tables do (only bites when weight is 0).
    const next = (i: number, n: number) => Math.min(i + 1, n - 1);
    let o = 0;
    for (let k = 0; k < shape[0]; k++) {
      const z0i = az.factor * k + pz + az.offset;
      const z0 = z0i * plane, z1 = next(z0i, this.shape[0]) * plane;
      for (let j = 0; j < shape[1]; j++) {
        const y0i = ay.factor * j + py + ay.offset;
        const y0 = y0i * sx, y1 = next(y0i, sy) * sx;
        const r00 = z0 + y0, r01 = z0 + y1, r10 = z1 + y0, r11 = z1 + y1;
        for (let i = 0; i < shape[2]; i++) {
          const x0 = ax.factor * i + px + ax.offset;
          data[o++] = trilinear(src, r00, r01, r10, r11, x0, next(x0, sx), wx, wy, wz);
        }
      }
    }
    grid = { data, shape };
    this.#grids.set(key, grid);
    return grid;
  }
}
