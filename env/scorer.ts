/**
 * The `Scorer` contract: the reward model of SPARS. A scorer maps windows of a volume to
 * object-presence scores in [0, 1]. It is batched (many windows per call) and asynchronous
 * (a neural network may run on another device).
 *
 * @module
 */
import type { Vec3, Volume } from "../data/types.ts";

/**
 * Scores windows of a volume.
 *
 * `score(volume, corners, size)` receives `n` window corners packed as `corners[3i..3i+2]` =
 * (z, y, x) voxel indices, every window of size `size` (z,y,x) lying inside the volume, and resolves
 * to `n` scores in [0, 1] in the same order. For a given scorer the score depends only on the volume
 * and the corner (and size), which is what makes {@link CachedScorer} valid. `n` may be 0.
 */
export interface Scorer {
  /** A stable identifier (used in cache keys and reports). */
  readonly id: string;
  /** Scores `corners.length / 3` windows of size `size` (z,y,x) of `volume`. */
  score(volume: Volume, corners: Int32Array, size: Vec3): Promise<Float32Array>;
}
