/**
 * The patch grid of the patch game ("Competing for pixels"): a volume of shape z,y,x (a 2D image
 * is a volume of depth 1) cut into `grid = [gz, gy, gx]` patches.
 *
 * Remainders (the paper is silent; its images divide evenly): along an axis of `n` voxels cut into
 * `g` parts, the first `n mod g` parts get `floor(n / g) + 1` voxels and the others `floor(n / g)`
 * (numpy's `array_split`). The patches therefore tile the volume exactly (every voxel in exactly one
 * patch) and there are at most 2 distinct sizes per axis, so at most 8 distinct patch sizes. A grid
 * of more parts than voxels along an axis is refused.
 *
 * Patch index `p = (iz * gy + iy) * gx + ix` (x fastest, as voxels).
 *
 * @module
 */
import { InvalidArgumentError } from "../../data/errors.ts";
import type { Vec3 } from "../../data/types.ts";

/** Patches of one size: their indices (ascending) and packed z,y,x corners (voxels). */
export interface PatchSizeGroup {
  /** Patch size in voxels, z,y,x. */
  readonly size: Vec3;
  /** Indices of the patches of this size, ascending. */
  readonly patches: Int32Array;
  /** Their corners, packed `corners[3k..3k+2]` = z,y,x of `patches[k]`. */
  readonly corners: Int32Array;
}

/** Start offsets (length g + 1, last = n) of the array_split of `n` voxels into `g` parts. */
export function splitOffsets(n: number, g: number): Int32Array {
  const base = Math.floor(n / g), extra = n % g;
  const out = new Int32Array(g + 1);
  for (let i = 0; i < g; i++) out[i + 1] = out[i] + base + (i < extra ? 1 : 0);
  return out;
}

/** The grid of patches of one volume shape. Immutable. */
export class PatchGrid {
  /** Volume shape, z,y,x voxels. */
  readonly shape: Vec3;
  /** Patches along z,y,x. */
  readonly grid: Vec3;
  /** Number of patches, `gz * gy * gx`. */
  readonly count: number;
  /** Patch corners packed z,y,x per patch index (voxels). */
  readonly corners: Int32Array;
  /** Patch sizes packed z,y,x per patch index (voxels). */
  readonly sizes: Int32Array;
  /** Patches grouped by size (one scorer call per group). */
  readonly groups: readonly PatchSizeGroup[];
  /** Per axis z,y,x: the patch row/column/slab index of every voxel coordinate. */
  readonly axisPatch: readonly [Int32Array, Int32Array, Int32Array];

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @param shape volume shape z,y,x (positive integers)
   * @param grid patches along z,y,x (positive integers, each at most the voxels along that axis)
   * @throws {InvalidArgumentError} for a bad shape or grid
   */
  constructor(shape: Vec3, grid: Vec3) {
    if (!(shape.length === 3 && shape.every((n) => Number.isInteger(n) && n >= 1))) {
      throw new InvalidArgumentError("PatchGrid.shape", `is [${shape}]`, "three positive integers z,y,x");
    }
    if (!(grid.length === 3 && grid.every((g, a) => Number.isInteger(g) && g >= 1 && g <= shape[a]))) {
      throw new InvalidArgumentError(
        "grid",
        `is [${grid}] for a volume of ${shape.join("x")}`,
        "three positive integers z,y,x, each at most the voxel count along its axis",
      );
    }
    this.shape = [shape[0], shape[1], shape[2]];
    this.grid = [grid[0], grid[1], grid[2]];
    this.count = grid[0] * grid[1] * grid[2];
    const offsets = [0, 1, 2].map((a) => splitOffsets(shape[a], grid[a]));
    this.axisPatch = [0, 1, 2].map((a) => {
      const m = new Int32Array(shape[a]);
      for (let i = 0; i < grid[a]; i++) m.fill(i, offsets[a][i], offsets[a][i + 1]);
      return m;
    }) as unknown as [Int32Array, Int32Array, Int32Array];
    this.corners = new Int32Array(3 * this.count);
    this.sizes = new Int32Array(3 * this.count);
    const bySize = new Map<string, { size: Vec3; patches: number[] }>();
    for (let iz = 0, p = 0; iz < grid[0]; iz++) {
      for (let iy = 0; iy < grid[1]; iy++) {
        for (let ix = 0; ix < grid[2]; ix++, p++) {
          const idx = [iz, iy, ix];
          const size = [0, 1, 2].map((a) => offsets[a][idx[a] + 1] - offsets[a][idx[a]]) as unknown as Vec3;
          for (let a = 0; a < 3; a++) {
            this.corners[3 * p + a] = offsets[a][idx[a]];
            this.sizes[3 * p + a] = size[a];
          }
          const key = size.join("x");
          let g = bySize.get(key);
          if (!g) bySize.set(key, g = { size, patches: [] });
          g.patches.push(p);
        }
      }
    }
    this.groups = [...bySize.values()].map(({ size, patches }) => {
      const corners = new Int32Array(3 * patches.length);
      patches.forEach((p, k) => corners.set(this.corners.subarray(3 * p, 3 * p + 3), 3 * k));
      return { size, patches: Int32Array.from(patches), corners };
    });
  }

  /** Corner of patch `p`, z,y,x voxels. */
  corner(p: number): Vec3 {
    return [this.corners[3 * p], this.corners[3 * p + 1], this.corners[3 * p + 2]];
  }

  /** Size of patch `p`, z,y,x voxels. */
  size(p: number): Vec3 {
    return [this.sizes[3 * p], this.sizes[3 * p + 1], this.sizes[3 * p + 2]];
  }

  /** The patch holding voxel (z, y, x). */
  patchOf(z: number, y: number, x: number): number {
    return (this.axisPatch[0][z] * this.grid[1] + this.axisPatch[1][y]) * this.grid[2] + this.axisPatch[2][x];
  }

  /**
   * Writes `values[p]` into every voxel of patch `p` (for `p` with `include[p] !== 0` when `include`
   * is given; other voxels get 0). Output z,y,x, x fastest.
   */
  paint(values: ArrayLike<number>, out: Float32Array | Uint8Array, include?: ArrayLike<number>): void {
    const [nz, ny, nx] = this.shape;
    const [pz, py, px] = this.axisPatch;
    const [, gy, gx] = this.grid;
    for (let z = 0, i = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        const row = (pz[z] * gy + py[y]) * gx;
        for (let x = 0; x < nx; x++, i++) {
          const p = row + px[x];
          out[i] = include === undefined || include[p] !== 0 ? values[p] : 0;
        }
      }
    }
  }
}
