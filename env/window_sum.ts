/**
 * Box sums in O(1) per window through a 3D summed-volume table (integral image). Window scores
 * that are averages of a voxel quantity (the oracle's share of target voxels, a score map's mean)
 * cost one table lookup of 8 entries per window instead of a pass over the window.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";

/** A summed-volume table of a z,y,x array, with one zero row/plane of padding on each low side. */
export class SummedVolume {
  /** Shape of the summed array z,y,x. */
  readonly shape: Vec3;
  readonly #table: Float64Array;

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @param values z,y,x values (x fastest), `shape[0]*shape[1]*shape[2]` of them
   * @param shape z,y,x
   */
  constructor(values: ArrayLike<number>, shape: Vec3) {
    const [nz, ny, nx] = shape;
    if (values.length !== nz * ny * nx) {
      throw new InvalidArgumentError("values", `has ${values.length} values`, `${shape.join("x")} values`);
    }
    this.shape = shape;
    const py = ny + 1, px = nx + 1;
    const t = new Float64Array((nz + 1) * py * px);
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        let row = 0;
        const src = (z * ny + y) * nx;
        const dst = ((z + 1) * py + y + 1) * px + 1;
        const above = dst - px, front = dst - py * px, frontAbove = front - px;
        for (let x = 0; x < nx; x++) {
          row += values[src + x];
          t[dst + x] = row + t[above + x] + t[front + x] - t[frontAbove + x];
        }
      }
    }
    this.#table = t;
  }

  /** Sum of the values in the box `[corner, corner + size)`; the box must lie inside the array. */
  boxSum(z: number, y: number, x: number, sz: number, sy: number, sx: number): number {
    const py = this.shape[1] + 1, px = this.shape[2] + 1, t = this.#table;
    const z1 = (z + sz) * py, z0 = z * py;
    const y1 = y + sy, x1 = x + sx;
    return t[(z1 + y1) * px + x1] - t[(z1 + y) * px + x1] - t[(z0 + y1) * px + x1] + t[(z0 + y) * px + x1] -
      t[(z1 + y1) * px + x] + t[(z1 + y) * px + x] + t[(z0 + y1) * px + x] - t[(z0 + y) * px + x];
  }

  /**
   * Mean over each window: `corners` packed z,y,x triples, every window of size `size` inside.
   * @throws {InvalidArgumentError} for a window outside the array
   */
  windowMeans(corners: Int32Array, size: Vec3): Float32Array {
    const n = corners.length / 3;
    const out = new Float32Array(n);
    const inv = 1 / (size[0] * size[1] * size[2]);
    for (let i = 0; i < n; i++) {
      const z = corners[3 * i], y = corners[3 * i + 1], x = corners[3 * i + 2];
      if (
        !(z >= 0 && y >= 0 && x >= 0 && z + size[0] <= this.shape[0] && y + size[1] <= this.shape[1] &&
          x + size[2] <= this.shape[2])
      ) {
        throw new InvalidArgumentError(
          "corner",
          `${z},${y},${x} with window ${size.join("x")}`,
          `a window inside ${this.shape.join("x")}`,
        );
      }
      out[i] = this.boxSum(z, y, x, size[0], size[1], size[2]) * inv;
    }
    return out;
  }
}
