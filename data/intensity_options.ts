/**
 * Per-case intensity normalisation chosen on the command line (`--intensity`,
 * `--intensity-clip-percentiles`), applied to every channel of every case on its own when a dataset
 * loads it, and recorded in a run's config.json so evaluation applies the same:
 *
 * - `window` (default): values kept as stored (CT in HU); the classifier maps its intensity window
 *   (`--intensity-window`) to [0, 1].
 * - `zscore-nonzero`: `(v - mean) / sd` over the nonzero voxels (skull-stripped MRI: the brain); zero
 *   voxels stay 0.
 * - `zscore`: `(v - mean) / sd` over the whole volume.
 * - `none`: values kept as stored, and no intensity window either (data already in [0, 1]).
 *
 * Percentile clipping (optional, before the z-score) clamps the voxels the statistics are taken over
 * (the nonzero voxels for `zscore-nonzero`, else all) to their `[lo, hi]` percentiles, computed as
 * numpy's default `np.percentile` (linear interpolation between order statistics).
 *
 * @module
 */
import { InvalidArgumentError } from "./errors.ts";
import type { Volume } from "./types.ts";

/** The normalisation modes (see the module doc). */
export type IntensityMode = "window" | "zscore-nonzero" | "zscore" | "none";

/** The values of {@link IntensityMode}, in help order. */
export const INTENSITY_MODES: readonly IntensityMode[] = ["window", "zscore-nonzero", "zscore", "none"];

/** One run's intensity normalisation. */
export interface IntensityOptions {
  /** How values are normalised per case and channel. */
  readonly mode: IntensityMode;
  /** Percentiles `[lo, hi]` (0..100, lo < hi) to clip to before the z-score, or null for none. */
  readonly clipPercentiles: readonly [number, number] | null;
}

/** No normalisation at load: CT values in HU, windowed by the classifier. */
export const DEFAULT_INTENSITY: IntensityOptions = { mode: "window", clipPercentiles: null };

/**
 * The intensity window the classifier uses on z-scored data when none is given: z in [-3, 7] mapped
 * to [0, 1] (tumour on FLAIR sits a few sd above the brain's mean; below -3 is mostly background).
 */
export const ZSCORE_INTENSITY_WINDOW: readonly [number, number] = [-3, 7];

/**
 * Checks intensity options (e.g. read back from a config.json).
 * @param source the name errors give (a CLI flag or a config path)
 * @throws {InvalidArgumentError} on an unknown mode or percentiles outside 0 <= lo < hi <= 100
 */
export function checkIntensityOptions(options: IntensityOptions, source = "intensity"): void {
  if (!INTENSITY_MODES.includes(options.mode)) {
    throw new InvalidArgumentError(
      `${source}.mode`,
      `is ${JSON.stringify(options.mode)}`,
      INTENSITY_MODES.join(" | "),
    );
  }
  const p = options.clipPercentiles;
  if (p !== null && !(p.length === 2 && p[0] >= 0 && p[0] < p[1] && p[1] <= 100)) {
    throw new InvalidArgumentError(
      `${source}.clipPercentiles`,
      `is ${JSON.stringify(p)}`,
      "null or [lo, hi] with 0 <= lo < hi <= 100",
    );
  }
}

/**
 * The `q`-th percentile (0..100) of `sorted` (ascending, non-empty), interpolated linearly between
 * order statistics as numpy's default: position `q / 100 * (n - 1)`.
 */
export function percentileOfSorted(sorted: Float32Array | Float64Array, q: number): number {
  const pos = (q / 100) * (sorted.length - 1), lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * One volume (one channel) normalised as `options` say (see the module doc); a new volume, or the
 * input itself for `window` and `none` without clipping. Statistics in float64; sd is the
 * population standard deviation.
 *
 * @throws {InvalidArgumentError} naming the volume when the z-score mask is empty or constant
 */
export function normaliseIntensity(volume: Volume, options: IntensityOptions): Volume {
  checkIntensityOptions(options);
  const { mode, clipPercentiles } = options;
  const zscore = mode === "zscore" || mode === "zscore-nonzero";
  if (!zscore && clipPercentiles === null) return volume;
  const src = volume.data, out = Float32Array.from(src);
  const inMask = mode === "zscore-nonzero" ? (v: number) => v !== 0 : () => true;
  let count = 0;
  for (let i = 0; i < src.length; i++) if (inMask(src[i])) count++;
  if (count === 0) {
    throw new InvalidArgumentError(volume.id, "has no nonzero voxel", "a foreground to z-score over");
  }
  if (clipPercentiles !== null) {
    const values = new Float32Array(count);
    for (let i = 0, k = 0; i < src.length; i++) if (inMask(src[i])) values[k++] = src[i];
    values.sort();
    const lo = percentileOfSorted(values, clipPercentiles[0]);
    const hi = percentileOfSorted(values, clipPercentiles[1]);
    for (let i = 0; i < out.length; i++) {
      if (inMask(src[i])) out[i] = out[i] < lo ? lo : out[i] > hi ? hi : out[i];
    }
  }
  if (!zscore) return { ...volume, data: out };
  let sum = 0;
  for (let i = 0; i < src.length; i++) if (inMask(src[i])) sum += out[i];
  const mean = sum / count;
  let squares = 0;
  for (let i = 0; i < src.length; i++) if (inMask(src[i])) squares += (out[i] - mean) ** 2;
  const sd = Math.sqrt(squares / count);
  if (!(sd > 0)) {
    throw new InvalidArgumentError(volume.id, "has constant voxels where it is z-scored", "sd > 0");
  }
  const inv = 1 / sd;
  for (let i = 0; i < out.length; i++) out[i] = inMask(src[i]) ? (out[i] - mean) * inv : 0;
  return { ...volume, data: out };
}
