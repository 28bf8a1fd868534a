/**
 * The NaN/Inf policy of SPARS Gym, applied wherever a volume enters: the NIfTI readers, datasets
 * (after decoding, preprocessing or a cache hit), the env's observation encoder and the classifier
 * scorers. NaN and +-Infinity intensities are an error by default (`"error"`); a loader that offers
 * `nonFinite: "zero"` replaces them with 0 and counts them. A volume that holds them never reaches
 * an observation or a network silently: a clipped +Inf window would otherwise score like tissue.
 *
 * Volumes are immutable by contract (scores and observations are cached per volume), so the result
 * of a full scan is remembered per data array.
 *
 * @module
 */
import { NonFiniteVoxelError } from "./errors.ts";
import type { Vec3, Volume } from "./types.ts";

/** What to do with NaN/Inf voxels: throw {@link NonFiniteVoxelError} (default) or replace them by 0. */
export type NonFinitePolicy = "error" | "zero";

/** Non-finite voxel count of each data array scanned so far (arrays are not modified afterwards). */
const scanned = new WeakMap<Float32Array, number>();

/** Number of NaN or +-Infinity values in `data` (remembered per array). */
export function countNonFinite(data: Float32Array): number {
  const known = scanned.get(data);
  if (known !== undefined) return known;
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) n++;
  }
  scanned.set(data, n);
  return n;
}

/**
 * Applies the NaN/Inf policy to a volume.
 *
 * @param source the file or object named in the error (a path, `case <id>`)
 * @param policy `"error"` (default) or `"zero"`
 * @returns the volume (itself when finite; with `"zero"`, a copy whose non-finite voxels are 0) and
 *   how many voxels were non-finite
 * @throws {NonFiniteVoxelError} naming `source` and the count when voxels are non-finite and the
 *   policy is `"error"`
 */
export function applyNonFinitePolicy(
  volume: Volume,
  source: string,
  policy: NonFinitePolicy = "error",
): { volume: Volume; count: number } {
  const count = countNonFinite(volume.data);
  if (count === 0) return { volume, count };
  if (policy !== "zero") {
    throw new NonFiniteVoxelError(
      source,
      `${count} of ${volume.data.length} voxels are NaN or infinite`,
      'finite intensities (or load with nonFinite: "zero")',
    );
  }
  const data = new Float32Array(volume.data);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) data[i] = 0;
  }
  scanned.set(data, 0);
  return { volume: { ...volume, data }, count };
}

/**
 * Asserts that every window of `size` (z,y,x) at `corners` (packed z,y,x triples) holds only finite
 * voxels: the scorer-boundary check. O(1) per call once a volume is known finite; only a volume with
 * non-finite voxels has its windows scanned. Windows must lie inside the volume (as the `Scorer`
 * contract says; the caller checks that).
 *
 * @param scorer the scorer's id, named in the error
 * @throws {NonFiniteVoxelError} naming the case (`case <volume.id>`), the scorer and the first bad window
 */
export function assertFiniteWindows(volume: Volume, corners: Int32Array, size: Vec3, scorer: string): void {
  if (countNonFinite(volume.data) === 0) return;
  const [nz, ny, nx] = volume.shape, data = volume.data;
  for (let w = 0; 3 * w + 2 < corners.length; w++) {
    const [z0, y0, x0] = [corners[3 * w], corners[3 * w + 1], corners[3 * w + 2]];
    const inside = z0 >= 0 && y0 >= 0 && x0 >= 0 && z0 + size[0] <= nz && y0 + size[1] <= ny &&
      x0 + size[2] <= nx;
    if (!inside) continue; // the scorer reports it
    let bad = 0;
    for (let z = z0; z < z0 + size[0]; z++) {
      for (let y = y0; y < y0 + size[1]; y++) {
        const row = (z * ny + y) * nx + x0;
        for (let i = row; i < row + size[2]; i++) {
          const v = data[i];
          if (v - v !== 0) bad++;
        }
      }
    }
    if (bad > 0) {
      throw new NonFiniteVoxelError(
        `case ${volume.id}`,
        `window ${w} at z,y,x = ${z0},${y0},${x0} (size ${
          size.join("x")
        }) holds ${bad} NaN/Inf voxels, given to scorer ${scorer}`,
        "finite intensities in every scored window (load volumes with the NaN/Inf policy of data/finite.ts)",
      );
    }
  }
}
