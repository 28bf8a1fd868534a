/**
 * Observations of the patch game: the WHOLE image resampled (trilinear, `data/resample.ts`) to
 * `observationShape` z,y,x, intensities mapped to [0, 1], with 2 channels, channels last
 * (`[oz, oy, ox, 2]`, flat index `cell * 2 + c`):
 *
 * - channel 0: the intensity, 0 where the cell lies in a taken patch ("removed", as the paper);
 * - channel 1: 1 where the cell lies in a taken patch, else 0.
 *
 * A cell belongs to the patch holding the voxel under its centre (`floor((i + 0.5) * n / m)`), so
 * the taken mask is exact at patch resolution whatever the resampling. The resampled intensity is
 * computed once per image; each encode is one pass over the cells (no other allocation).
 *
 * @module
 */
import { InvalidArgumentError } from "../../data/errors.ts";
import { resampleBoxLinear } from "../../data/resample.ts";
import type { Vec3, Volume } from "../../data/types.ts";
import { Box } from "../spaces.ts";
import type { PatchGrid } from "./grid.ts";

/** Channels of a patch observation without the score channel. */
export const PATCH_CHANNELS = 2;

/** Channels of a patch observation: 2, or 3 with the score channel. */
export function patchChannels(observeScores: boolean): number {
  return observeScores ? PATCH_CHANNELS + 1 : PATCH_CHANNELS;
}

/** The observation space: float32 `[oz, oy, ox, c]` in [0, 1], c = {@link patchChannels}. */
export function patchObservationSpace(observationShape: Vec3, observeScores = false): Box {
  return new Box([...observationShape, patchChannels(observeScores)], 0, 1, "float32");
}

/** Encodes observations of one image under one grid. */
export class PatchObservationEncoder {
  /** Observation shape z,y,x (without the channel). */
  readonly shape: Vec3;
  /** Cells per channel. */
  readonly cells: number;
  /** Resampled, normalised intensity per cell, in [0, 1]. */
  readonly intensity: Float32Array;
  /** Patch index of every cell. */
  readonly cellPatch: Int32Array;
  /** Channels written per cell: 2, or 3 with the score channel. */
  readonly channels: number;

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @param image the volume (z,y,x)
   * @param grid its patch grid (same shape)
   * @param shape observation shape z,y,x
   * @param range intensities mapped to [0, 1] (default: the image's min..max)
   * @param observeScores add channel 2, the score of each cell's patch (default false)
   */
  constructor(
    image: Volume,
    grid: PatchGrid,
    shape: Vec3,
    range?: readonly [number, number],
    observeScores = false,
  ) {
    this.shape = [shape[0], shape[1], shape[2]];
    this.channels = patchChannels(observeScores);
    this.cells = shape[0] * shape[1] * shape[2];
    this.intensity = resampleBoxLinear(image.data, image.shape, [0, 0, 0], image.shape, this.shape);
    let lo: number, hi: number;
    if (range) [lo, hi] = range;
    else {
      lo = Infinity;
      hi = -Infinity;
      for (const v of image.data) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    const scale = hi > lo ? 1 / (hi - lo) : 0;
    const t = this.intensity;
    for (let i = 0; i < t.length; i++) t[i] = Math.min(1, Math.max(0, (t[i] - lo) * scale));
    const centre = (a: number): Int32Array =>
      Int32Array.from(
        { length: shape[a] },
        (_, i) => Math.min(image.shape[a] - 1, Math.floor((i + 0.5) * image.shape[a] / shape[a])),
      );
    const [cz, cy, cx] = [centre(0), centre(1), centre(2)];
    this.cellPatch = new Int32Array(this.cells);
    for (let z = 0, i = 0; z < shape[0]; z++) {
      for (let y = 0; y < shape[1]; y++) {
        for (let x = 0; x < shape[2]; x++, i++) this.cellPatch[i] = grid.patchOf(cz[z], cy[y], cx[x]);
      }
    }
  }

  /**
   * The observation for the taken-patch flags `taken` (nonzero = taken), written into `out`
   * (allocated when omitted; length `cells * channels`).
   * @param scores every patch's score in [0, 1] (index = patch); read only with the score channel,
   *   where it is required
   * @throws {InvalidArgumentError} when the score channel is on and `scores` is missing or too short
   */
  encode(
    taken: ArrayLike<number>,
    out: Float32Array = new Float32Array(this.cells * this.channels),
    scores?: ArrayLike<number>,
  ): Float32Array {
    const t = this.intensity, cp = this.cellPatch;
    if (this.channels === PATCH_CHANNELS) {
      for (let i = 0; i < this.cells; i++) {
        const gone = taken[cp[i]] !== 0;
        out[2 * i] = gone ? 0 : t[i];
        out[2 * i + 1] = gone ? 1 : 0;
      }
      return out;
    }
    if (!scores || scores.length < taken.length) {
      throw new InvalidArgumentError(
        "scores",
        `has ${scores?.length ?? "no"} entries`,
        `${taken.length} patch scores`,
      );
    }
    for (let i = 0; i < this.cells; i++) {
      const p = cp[i], gone = taken[p] !== 0;
      out[3 * i] = gone ? 0 : t[i];
      out[3 * i + 1] = gone ? 1 : 0;
      out[3 * i + 2] = gone ? 0 : scores[p];
    }
    return out;
  }
}
