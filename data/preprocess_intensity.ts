/**
 * Intensity normalisation of volumes: a CT window mapped to [0, 1], and z-score normalisation with
 * statistics over a mask. Shape, spacing and affine are unchanged.
 *
 * @module
 */
import { InvalidArgumentError, ShapeMismatchError } from "./errors.ts";
import type { Labels, Volume } from "./types.ts";

/** The usual CT liver window in Hounsfield units: [lower, upper] = [-200, 250]. */
export const LIVER_WINDOW_HU: readonly [number, number] = [-200, 250];

/**
 * Maps intensities through a window: `(v - lo) / (hi - lo)`, clipped to [0, 1] (CT: Hounsfield
 * units; {@link LIVER_WINDOW_HU} is the liver window). Shape, spacing and affine are unchanged.
 *
 * @throws {InvalidArgumentError} unless `lo < hi`, both finite
 */
export function windowIntensity(volume: Volume, lo: number, hi: number): Volume {
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
    throw new InvalidArgumentError("window", `is [${lo}, ${hi}]`, "finite lo < hi");
  }
  const src = volume.data, out = new Float32Array(src.length), inv = 1 / (hi - lo);
  for (let i = 0; i < src.length; i++) {
    const v = (src[i] - lo) * inv;
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return { ...volume, data: out };
}

/**
 * Z-score normalisation with statistics over a mask: `(v - mean) / sd` inside the mask (mask > 0),
 * 0 outside (the mean, as nnU-Net). The default mask is every voxel != 0, as usual for
 * skull-stripped MR. `sd` is the population standard deviation, computed in float64.
 *
 * @param mask a label map on the same grid, or a z,y,x byte array of the same length
 * @throws {ShapeMismatchError} when the mask does not match the volume
 * @throws {InvalidArgumentError} when the mask is empty or the masked voxels are constant (sd 0)
 */
export function zScoreInMask(volume: Volume, mask?: Labels | Uint8Array): Volume {
  const src = volume.data;
  if (mask && !(mask instanceof Uint8Array) && !mask.shape.every((n, a) => n === volume.shape[a])) {
    throw new ShapeMismatchError("mask", `has shape ${mask.shape.join("x")}`, `${volume.shape.join("x")}`);
  }
  const bytes = mask instanceof Uint8Array ? mask : mask?.data;
  if (bytes && bytes.length !== src.length) {
    throw new ShapeMismatchError("mask", `has ${bytes.length} voxels`, `${src.length}, as the volume`);
  }
  let count = 0, sum = 0;
  for (let i = 0; i < src.length; i++) {
    if (bytes ? bytes[i] > 0 : src[i] !== 0) {
      count++;
      sum += src[i];
    }
  }
  if (count === 0) throw new InvalidArgumentError("mask", `is empty for ${volume.id}`, "at least one voxel");
  const mean = sum / count;
  let squares = 0;
  for (let i = 0; i < src.length; i++) {
    if (bytes ? bytes[i] > 0 : src[i] !== 0) squares += (src[i] - mean) ** 2;
  }
  const sd = Math.sqrt(squares / count);
  if (!(sd > 0)) {
    throw new InvalidArgumentError("mask", `selects constant voxels in ${volume.id}`, "sd > 0");
  }
  const out = new Float32Array(src.length), inv = 1 / sd;
  for (let i = 0; i < src.length; i++) {
    if (bytes ? bytes[i] > 0 : src[i] !== 0) out[i] = (src[i] - mean) * inv;
  }
  return { ...volume, data: out };
}
