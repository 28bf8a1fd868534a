/**
 * The one preprocessing path of the classifier, shared by training and scoring so that the two
 * can never disagree: crop a box (a window, a tile or the whole image), resample it trilinearly to
 * the network input shape (`resampleBoxLinear`, half-pixel centres), then map intensities through
 * the checkpoint's window `[lo, hi]` to [0, 1] (clamped), or leave them as they are when the
 * window is `null` (data already in [0, 1]). A multi-channel image (data/channels.ts) gives one
 * such box per channel, interleaved channels last (z,y,x,c).
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { resampleBoxLinear } from "../data/resample.ts";
import type { Vec3, Volume } from "../data/types.ts";
import { channelCount, volumeChannels } from "../data/channels.ts";

/** Intensity window `[lo, hi]` (input units, e.g. HU) mapped to [0, 1], or null for none. */
export type IntensityWindow = readonly [number, number] | null;

/** The liver CT window of the paper's data (HU), the default for CT-like inputs. */
export const DEFAULT_INTENSITY_WINDOW: IntensityWindow = [-200, 250];

/**
 * Checks an intensity window.
 *
 * @throws {InvalidArgumentError} unless null or two finite numbers with lo < hi
 */
export function checkIntensityWindow(window: IntensityWindow, source = "intensityWindow"): void {
  if (window === null) return;
  if (
    !(window.length === 2 && Number.isFinite(window[0]) && Number.isFinite(window[1]) &&
      window[0] < window[1])
  ) {
    throw new InvalidArgumentError(
      source,
      `is ${JSON.stringify(window)}`,
      "null or [lo, hi] finite with lo < hi",
    );
  }
}

/**
 * Writes the classifier input of one box of `volume` into `out`.
 *
 * @param volume source volume (z,y,x)
 * @param corner box corner, voxel indices z,y,x
 * @param size box size z,y,x; the box must lie inside the volume
 * @param inputShape network input shape z,y,x
 * @param window intensity window or null (the same for every channel: each is normalised on its own
 *   when the dataset loads it, see data/intensity_options.ts)
 * @param out destination of `inputShape` voxels times C channels, channels last (z,y,x,c); C is
 *   `out.length / voxels` and must equal the channels of `volume` (data/channels.ts; 1 unless a
 *   dataset registered several). A view into a batch buffer is fine.
 * @returns `out`
 * @throws {InvalidArgumentError} when the box does not fit, or `out`'s length is not the input
 *   voxels times the volume's channel count
 */
export function writeClassifierInput(
  volume: Volume,
  corner: Vec3,
  size: Vec3,
  inputShape: Vec3,
  window: IntensityWindow,
  out: Float32Array,
): Float32Array {
  const voxels = inputShape[0] * inputShape[1] * inputShape[2];
  const channels = volumeChannels(volume), c = channels.length;
  if (out.length !== voxels * c) {
    throw new InvalidArgumentError(
      `classifier input of ${volume.id}`,
      `has ${out.length} values for ${c} channel(s) of ${voxels} voxels`,
      "a classifier whose input channels equal the case's channels (--channels)",
    );
  }
  if (c === 1) {
    resampleBoxLinear(volume.data, volume.shape, corner, size, inputShape, out);
    applyWindow(out, window);
    return out;
  }
  if (scratch.length < voxels) scratch = new Float32Array(voxels);
  const one = scratch.subarray(0, voxels);
  for (let k = 0; k < c; k++) {
    resampleBoxLinear(channels[k].data, volume.shape, corner, size, inputShape, one);
    applyWindow(one, window);
    for (let i = 0; i < voxels; i++) out[i * c + k] = one[i];
  }
  return out;
}

/** One channel's resampled box, reused across calls (no allocation per window). */
let scratch = new Float32Array(0);

/** Maps `values` through the window to [0, 1] (clamped) in place; null leaves them. */
function applyWindow(values: Float32Array, window: IntensityWindow): void {
  if (window === null) return;
  const lo = window[0], scale = 1 / (window[1] - window[0]);
  for (let i = 0; i < values.length; i++) {
    const v = (values[i] - lo) * scale;
    values[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
}

/** The whole image of `volume` as classifier input (see {@link writeClassifierInput}). */
export function wholeImageInput(
  volume: Volume,
  inputShape: Vec3,
  window: IntensityWindow,
  out: Float32Array = new Float32Array(inputShape[0] * inputShape[1] * inputShape[2] * channelCount(volume)),
): Float32Array {
  return writeClassifierInput(volume, [0, 0, 0], volume.shape, inputShape, window, out);
}
