/**
 * Resampling of boxes of 3D arrays (z,y,x, x fastest). One routine serves three callers: the
 * preprocessing of whole volumes, the policy observation (a window shrunk to e.g. 12x24x24) and
 * the classifier input (a window or a whole image resized to the network's input shape).
 *
 * Grid convention ("half-pixel centres", as PyTorch `align_corners=False` and scipy's
 * `zoom(grid_mode=True)`): output voxel `o` of an axis of `m` voxels covering a source run of `n`
 * voxels samples the source at `c = (o + 0.5) * n / m - 0.5`, clamped to `[0, n - 1]`.
 * Nearest neighbour picks `floor((o + 0.5) * n / m)`.
 *
 * @module
 */
import { InvalidArgumentError } from "./errors.ts";
import type { Vec3 } from "./types.ts";

/** Interpolation per axis: source indices `i0`, `i1` and weight `w` of `i1`. */
interface AxisTable {
  i0: Int32Array;
  i1: Int32Array;
  w: Float32Array;
}

function linearTable(start: number, n: number, m: number): AxisTable {
  const i0 = new Int32Array(m), i1 = new Int32Array(m), w = new Float32Array(m);
  const scale = n / m;
  for (let o = 0; o < m; o++) {
    let c = (o + 0.5) * scale - 0.5;
    if (c < 0) c = 0;
    if (c > n - 1) c = n - 1;
    const f = Math.floor(c);
    const g = Math.min(f + 1, n - 1);
    i0[o] = start + f;
    i1[o] = start + g;
    w[o] = c - f;
  }
  return { i0, i1, w };
}

function nearestTable(start: number, n: number, m: number): Int32Array {
  const idx = new Int32Array(m);
  const scale = n / m;
  for (let o = 0; o < m; o++) idx[o] = start + Math.min(n - 1, Math.floor((o + 0.5) * scale));
  return idx;
}

function checkBox(
  srcShape: Vec3,
  corner: Vec3,
  size: Vec3,
  outShape: Vec3,
  srcLength: number,
  outLength: number,
): void {
  if (srcLength !== srcShape[0] * srcShape[1] * srcShape[2]) {
    throw new InvalidArgumentError(
      "src",
      `has ${srcLength} values for shape ${srcShape.join("x")}`,
      "a length equal to the product of the shape",
    );
  }
  for (let a = 0; a < 3; a++) {
    if (
      !(Number.isInteger(corner[a]) && Number.isInteger(size[a]) && size[a] >= 1 && corner[a] >= 0 &&
        corner[a] + size[a] <= srcShape[a])
    ) {
      throw new InvalidArgumentError(
        "box",
        `corner ${corner.join(",")} size ${size.join("x")} does not fit in ${srcShape.join("x")}`,
        "integer corner >= 0 and corner + size <= shape on every axis",
      );
    }
    if (!(Number.isInteger(outShape[a]) && outShape[a] >= 1)) {
      throw new InvalidArgumentError("outShape", `is ${outShape.join("x")}`, "three positive integers");
    }
  }
  if (outLength !== outShape[0] * outShape[1] * outShape[2]) {
    throw new InvalidArgumentError(
      "out",
      `has ${outLength} values for shape ${outShape.join("x")}`,
      "a length equal to the product of outShape",
    );
  }
}

/**
 * One trilinear sample: rows `r00, r01` (z0; y0, y1) and `r10, r11` (z1; y0, y1) are flat offsets
 * of x = 0, `x0, x1` the x neighbours, `wx, wy, wz` the weights of the second neighbours. The
 * arithmetic order is part of the contract: {@link PhaseGrids} relies on it for bitwise equality.
 */
export function trilinear(
  src: Float32Array,
  r00: number,
  r01: number,
  r10: number,
  r11: number,
  x0: number,
  x1: number,
  wx: number,
  wy: number,
  wz: number,
): number {
  const c00 = src[r00 + x0] + wx * (src[r00 + x1] - src[r00 + x0]);
  const c01 = src[r01 + x0] + wx * (src[r01 + x1] - src[r01 + x0]);
  const c10 = src[r10 + x0] + wx * (src[r10 + x1] - src[r10 + x0]);
  const c11 = src[r11 + x0] + wx * (src[r11 + x1] - src[r11 + x0]);
  const c0 = c00 + wy * (c01 - c00);
  const c1 = c10 + wy * (c11 - c10);
  return c0 + wz * (c1 - c0);
}

/**
 * Trilinear resampling of the box `[corner, corner + size)` of `src` (shape `srcShape`) into `out`
 * (shape `outShape`), all z,y,x. Samples never leave the box (edges are clamped to it), so a window
 * is resampled from its own voxels only. When `size` equals `outShape` this is an exact copy.
 *
 * @param src source values, x fastest
 * @param srcShape source shape z,y,x
 * @param corner box corner (voxel index z,y,x), inside the source
 * @param size box size z,y,x (>= 1 each)
 * @param outShape output shape z,y,x
 * @param out destination; allocated when omitted. Must not alias `src`.
 * @returns `out`
 * @throws {InvalidArgumentError} when the box does not fit or a length disagrees with its shape
 */
export function resampleBoxLinear(
  src: Float32Array,
  srcShape: Vec3,
  corner: Vec3,
  size: Vec3,
  outShape: Vec3,
  out: Float32Array = new Float32Array(outShape[0] * outShape[1] * outShape[2]),
): Float32Array {
  checkBox(srcShape, corner, size, outShape, src.length, out.length);
  const [, sy, sx] = srcShape;
  const [mz, my, mx] = outShape;
  if (size[0] === mz && size[1] === my && size[2] === mx) {
    for (let z = 0; z < mz; z++) {
      for (let y = 0; y < my; y++) {
        const from = ((corner[0] + z) * sy + corner[1] + y) * sx + corner[2];
        out.set(src.subarray(from, from + mx), (z * my + y) * mx);
      }
    }
    return out;
  }
  const tz = linearTable(corner[0], size[0], mz);
  const ty = linearTable(corner[1], size[1], my);
  const tx = linearTable(corner[2], size[2], mx);
  const plane = sy * sx;
  let o = 0;
  for (let z = 0; z < mz; z++) {
    const z0 = tz.i0[z] * plane, z1 = tz.i1[z] * plane, wz = tz.w[z];
    for (let y = 0; y < my; y++) {
      const y0 = ty.i0[y] * sx, y1 = ty.i1[y] * sx, wy = ty.w[y];
      const r00 = z0 + y0, r01 = z0 + y1, r10 = z1 + y0, r11 = z1 + y1;
      for (let x = 0; x < mx; x++) {
        out[o++] = trilinear(src, r00, r01, r10, r11, tx.i0[x], tx.i1[x], tx.w[x], wy, wz);
      }
    }
  }
  return out;
}

/**
 * Nearest-neighbour resampling of a box (for labels: the output holds only values of the input).
 * Same grid convention and arguments as {@link resampleBoxLinear}.
 *
 * @returns `out`
 * @throws {InvalidArgumentError} when the box does not fit or a length disagrees with its shape
 */
export function resampleBoxNearest<T extends Uint8Array | Float32Array>(
  src: T,
  srcShape: Vec3,
  corner: Vec3,
  size: Vec3,
  outShape: Vec3,
  out: T,
): T {
  checkBox(srcShape, corner, size, outShape, src.length, out.length);
  const [, sy, sx] = srcShape;
  const [mz, my, mx] = outShape;
  const iz = nearestTable(corner[0], size[0], mz);
  const iy = nearestTable(corner[1], size[1], my);
  const ix = nearestTable(corner[2], size[2], mx);
  let o = 0;
  for (let z = 0; z < mz; z++) {
    for (let y = 0; y < my; y++) {
      const row = (iz[z] * sy + iy[y]) * sx;
      for (let x = 0; x < mx; x++) out[o++] = src[row + ix[x]];
    }
  }
  return out;
}
