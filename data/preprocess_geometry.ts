/**
 * Geometric preprocessing of volumes and label maps: resampling to a shape or a spacing, centred
 * crop/pad, exact boxes, foreground boxes, and the same-grid check of an image and its labels.
 *
 * Every step keeps the voxel-to-world affine consistent: when output voxel index `n` (x,y,z)
 * corresponds to input continuous index `s * n + t` per axis, the new affine is `A * T` with
 * `T = [[sx,0,0,tx],[0,sy,0,ty],[0,0,sz,tz],[0,0,0,1]]`. Resampling uses the half-pixel-centre
 * convention of `resample.ts`, so `s = n_old / n_new` and `t = (s - 1) / 2`: the new grid covers
 * exactly the same physical box as the old one.
 *
 * @module
 */
import { InvalidArgumentError, ShapeMismatchError } from "./errors.ts";
import { resampleBoxLinear, resampleBoxNearest } from "./resample.ts";
import type { Labels, Vec3, Volume } from "./types.ts";
import { voxelCount } from "./types.ts";

/** Any grid-carrying array: a {@link Volume} or a {@link Labels} map. */
type Grid = Volume | Labels;

function checkShape(shape: Vec3, name: string): void {
  if (!(shape.length === 3 && shape.every((n) => Number.isInteger(n) && n >= 1))) {
    throw new InvalidArgumentError(name, `is ${JSON.stringify(shape)}`, "three positive integers (z,y,x)");
  }
}

function checkSpacing(spacing: Vec3, name: string): void {
  if (!(spacing.length === 3 && spacing.every((s) => Number.isFinite(s) && s > 0))) {
    throw new InvalidArgumentError(name, `is ${JSON.stringify(spacing)}`, "three positive finite mm (z,y,x)");
  }
}

/**
 * The affine of a derived grid whose voxel index `n` (per axis z,y,x) maps to the source continuous
 * voxel index `scale[a] * n + offset[a]`. Handles the x,y,z column order of the affine.
 */
function mapAffine(affine: Float64Array, scale: Vec3, offset: Vec3): Float64Array {
  const out = new Float64Array(16);
  const sXyz = [scale[2], scale[1], scale[0]], tXyz = [offset[2], offset[1], offset[0]];
  for (let r = 0; r < 4; r++) {
    let translation = affine[r * 4 + 3];
    for (let c = 0; c < 3; c++) {
      out[r * 4 + c] = affine[r * 4 + c] * sXyz[c];
      translation += affine[r * 4 + c] * tXyz[c];
    }
    out[r * 4 + 3] = translation;
  }
  return out;
}

/** `grid` with a new shape and data whose voxel (0,0,0) is source voxel `offset`; same spacing. */
function shiftedGrid<T extends Grid>(grid: T, shape: Vec3, offset: Vec3, data: T["data"]): T {
  return { ...grid, shape: [...shape] as Vec3, data, affine: mapAffine(grid.affine, [1, 1, 1], offset) };
}

function resampledGrid<T extends Grid>(grid: T, shape: Vec3, data: T["data"]): T {
  const scale: Vec3 = [grid.shape[0] / shape[0], grid.shape[1] / shape[1], grid.shape[2] / shape[2]];
  const offset: Vec3 = [(scale[0] - 1) / 2, (scale[1] - 1) / 2, (scale[2] - 1) / 2];
  const spacing: Vec3 = [grid.spacing[0] * scale[0], grid.spacing[1] * scale[1], grid.spacing[2] * scale[2]];
  return { ...grid, shape: [...shape] as Vec3, spacing, data, affine: mapAffine(grid.affine, scale, offset) };
}

/**
 * Trilinear resampling of a whole volume to `shape` (z,y,x), half-pixel centres. The new grid
 * covers the same physical box: spacing becomes `spacing * oldShape / shape` and the affine is
 * updated to match.
 *
 * @throws {InvalidArgumentError} when `shape` is not three positive integers
 */
export function resampleToShape(volume: Volume, shape: Vec3): Volume {
  checkShape(shape, "shape");
  const data = resampleBoxLinear(volume.data, volume.shape, [0, 0, 0], volume.shape, shape);
  return resampledGrid(volume, shape, data);
}

/**
 * Nearest-neighbour resampling of a label map to `shape` (z,y,x): the output holds only values of
 * the input. Geometry as {@link resampleToShape}.
 *
 * @throws {InvalidArgumentError} when `shape` is not three positive integers
 */
export function resampleLabelsToShape(labels: Labels, shape: Vec3): Labels {
  checkShape(shape, "shape");
  const out = new Uint8Array(voxelCount(shape));
  resampleBoxNearest(labels.data, labels.shape, [0, 0, 0], labels.shape, shape, out);
  return resampledGrid(labels, shape, out);
}

/**
 * The shape that covers a grid's physical extent at a target spacing: `round(shape * spacing /
 * target)` per axis, at least 1. The exact spacing of the result is `extent / shape`, which may
 * differ slightly from the target when the extent is not a multiple of it.
 */
function shapeForSpacing(grid: Grid, spacing: Vec3): Vec3 {
  checkSpacing(spacing, "spacing");
  const axis = (a: number): number => Math.max(1, Math.round((grid.shape[a] * grid.spacing[a]) / spacing[a]));
  return [axis(0), axis(1), axis(2)];
}

/**
 * Trilinear resampling to a spacing (mm, z,y,x): shape = `round(extent / spacing)` (>= 1), then
 * {@link resampleToShape}; the physical extent is kept, so the actual spacing is `extent / shape`.
 *
 * @throws {InvalidArgumentError} when `spacing` is not three positive finite numbers
 */
export function resampleToSpacing(volume: Volume, spacing: Vec3): Volume {
  return resampleToShape(volume, shapeForSpacing(volume, spacing));
}

/** Nearest-neighbour counterpart of {@link resampleToSpacing} for label maps. */
export function resampleLabelsToSpacing(labels: Labels, spacing: Vec3): Labels {
  return resampleLabelsToShape(labels, shapeForSpacing(labels, spacing));
}

/**
 * Copies the overlap of a source grid into a destination grid whose voxel (0,0,0) is source voxel
 * `offset` (may be negative: padding). Rows are copied whole, so this is a memcpy per row.
 */
function copyShifted<T extends Float32Array | Uint8Array>(
  src: T,
  srcShape: Vec3,
  offset: Vec3,
  out: T,
  outShape: Vec3,
): T {
  const lo = [0, 1, 2].map((a) => Math.max(0, -offset[a]));
  const hi = [0, 1, 2].map((a) => Math.min(outShape[a], srcShape[a] - offset[a]));
  if (lo.some((l, a) => l >= hi[a])) return out;
  for (let z = lo[0]; z < hi[0]; z++) {
    for (let y = lo[1]; y < hi[1]; y++) {
      const from = ((z + offset[0]) * srcShape[1] + y + offset[1]) * srcShape[2] + offset[2];
      const to = (z * outShape[1] + y) * outShape[2];
      out.set(src.subarray(from + lo[2], from + hi[2]), to + lo[2]);
    }
  }
  return out;
}

/** Source index of the output's voxel 0 for a centred crop/pad: `trunc((old - new) / 2)` per axis. */
function centredOffset(from: Vec3, to: Vec3): Vec3 {
  return [
    Math.trunc((from[0] - to[0]) / 2),
    Math.trunc((from[1] - to[1]) / 2),
    Math.trunc((from[2] - to[2]) / 2),
  ];
}

/**
 * Centred crop and/or pad to `shape` (z,y,x), per axis independently. A crop removes
 * `floor((old - new) / 2)` voxels before and the rest after; a pad adds `floor((new - old) / 2)`
 * before (filled with `fill`, default 0) and the rest after. Spacing is unchanged; the affine origin
 * moves to the new voxel (0,0,0). Cropping can cut a target out: presence is not recomputed here.
 *
 * @throws {InvalidArgumentError} when `shape` is not three positive integers or `fill` is not finite
 */
export function cropOrPad(volume: Volume, shape: Vec3, fill = 0): Volume {
  checkShape(shape, "shape");
  if (!Number.isFinite(fill)) throw new InvalidArgumentError("fill", `is ${fill}`, "a finite number");
  const offset = centredOffset(volume.shape, shape);
  const out = new Float32Array(voxelCount(shape));
  if (fill !== 0) out.fill(fill);
  return shiftedGrid(volume, shape, offset, copyShifted(volume.data, volume.shape, offset, out, shape));
}

/** Label-map counterpart of {@link cropOrPad}; padding is background (0). */
export function cropOrPadLabels(labels: Labels, shape: Vec3): Labels {
  checkShape(shape, "shape");
  const offset = centredOffset(labels.shape, shape);
  const out = copyShifted(labels.data, labels.shape, offset, new Uint8Array(voxelCount(shape)), shape);
  return shiftedGrid(labels, shape, offset, out);
}

function checkBox(grid: Grid, corner: Vec3, size: Vec3): void {
  checkShape(size, "size");
  const fits = corner.length === 3 &&
    corner.every((c, a) => Number.isInteger(c) && c >= 0 && c + size[a] <= grid.shape[a]);
  if (!fits) {
    throw new InvalidArgumentError(
      "crop box",
      `corner ${corner.join(",")} size ${size.join("x")} leaves ${grid.id} (${grid.shape.join("x")})`,
      "integer corner >= 0 and corner + size <= shape on every axis (z,y,x)",
    );
  }
}

/**
 * The exact box `[corner, corner + size)` (voxels, z,y,x) of a volume, with the affine shifted so
 * that world coordinates are unchanged.
 *
 * @throws {InvalidArgumentError} when the box leaves the volume or is not integral
 */
export function crop(volume: Volume, corner: Vec3, size: Vec3): Volume {
  checkBox(volume, corner, size);
  const data = resampleBoxLinear(volume.data, volume.shape, corner, size, size);
  return shiftedGrid(volume, size, corner, data);
}

/** Label-map counterpart of {@link crop}. */
export function cropLabels(labels: Labels, corner: Vec3, size: Vec3): Labels {
  checkBox(labels, corner, size);
  const data = copyShifted(labels.data, labels.shape, corner, new Uint8Array(voxelCount(size)), size);
  return shiftedGrid(labels, size, corner, data);
}

/**
 * The bounding box of `mask > 0` (z,y,x voxels), grown by `margin` voxels (one number or per axis)
 * and clipped to the volume.
 *
 * @returns `{ corner, size }`, or `null` when the mask is empty
 * @throws {InvalidArgumentError} on a negative or non-integer margin
 * @throws {ShapeMismatchError} when the mask length disagrees with `shape`
 */
export function foregroundBox(
  mask: Uint8Array,
  shape: Vec3,
  margin: number | Vec3 = 0,
): { corner: Vec3; size: Vec3 } | null {
  checkShape(shape, "shape");
  const m: Vec3 = typeof margin === "number" ? [margin, margin, margin] : margin;
  if (!(m.length === 3 && m.every((v) => Number.isInteger(v) && v >= 0))) {
    throw new InvalidArgumentError("margin", `is ${JSON.stringify(margin)}`, "integer voxels >= 0");
  }
  if (mask.length !== voxelCount(shape)) {
    throw new ShapeMismatchError(
      "mask",
      `has ${mask.length} voxels`,
      `${voxelCount(shape)} (${shape.join("x")})`,
    );
  }
  const [nz, ny, nx] = shape;
  const lo = [nz, ny, nx], hi = [-1, -1, -1];
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        if (mask[i] === 0) continue;
        if (z < lo[0]) lo[0] = z;
        if (z > hi[0]) hi[0] = z;
        if (y < lo[1]) lo[1] = y;
        if (y > hi[1]) hi[1] = y;
        if (x < lo[2]) lo[2] = x;
        if (x > hi[2]) hi[2] = x;
      }
    }
  }
  if (hi[0] < 0) return null;
  const corner = [0, 1, 2].map((a) => Math.max(0, lo[a] - m[a]));
  const end = [0, 1, 2].map((a) => Math.min(shape[a], hi[a] + 1 + m[a]));
  return {
    corner: [corner[0], corner[1], corner[2]],
    size: [end[0] - corner[0], end[1] - corner[1], end[2] - corner[2]],
  };
}

/**
 * Asserts that an image and its labels (or another channel of it) share a grid: same shape and
 * every affine entry within 1e-3 (mm).
 *
 * @param labels the labels, or another channel's volume
 * @param source the case or file named in the error
 * @throws {ShapeMismatchError} on a different shape, data length or affine
 */
export function checkSameGrid(image: Volume, labels: Labels | Volume, source: string): void {
  if (!image.shape.every((n, a) => n === labels.shape[a]) || image.data.length !== labels.data.length) {
    throw new ShapeMismatchError(
      source,
      `labels have shape ${labels.shape.join("x")} (${labels.data.length} voxels)`,
      `the image's shape ${image.shape.join("x")} (${image.data.length} voxels)`,
    );
  }
  for (let i = 0; i < 16; i++) {
    if (!(Math.abs(image.affine[i] - labels.affine[i]) <= 1e-3)) {
      throw new ShapeMismatchError(
        source,
        `labels affine [${Array.from(labels.affine).join(",")}] differs from the image's`,
        `[${Array.from(image.affine).join(",")}] within 1e-3 mm`,
      );
    }
  }
}
