/**
 * What an agent sees: its window's intensities resampled to a small policy input (e.g. 24x48x48
 * voxels -> 12x24x24), channels last (z,y,x,c). Modes add channels:
 * - `window`: 1 channel, intensities.
 * - `window+position`: 4 channels, intensities then the normalised volume coordinate (z, y, x) of
 *   each observed voxel's centre, in [0, 1] (the paper's policy had no idea where its window was).
 * - `window+map`: 2 channels, intensities then the probability map over the window, normalised
 *   to [0, 1] (`sum` mode divides by 2 x steps, the largest value a voxel can hold).
 *
 * When the window is an integer multiple of the observation shape (24x48x48 -> 12x24x24), the
 * intensity crop is a plain copy out of precomputed {@link PhaseGrids} (bitwise equal to trilinear
 * resampling). Otherwise the static part (intensity, position) is resampled and memoised per corner
 * (bounded LRU). Only `window+map` recomputes a channel every step.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { applyNonFinitePolicy } from "../data/finite.ts";
import { PhaseGrids } from "../data/phase_grids.ts";
import { resampleBoxLinear } from "../data/resample.ts";
import type { Vec3, Volume } from "../data/types.ts";
import type { ProbabilityMap } from "./probability_map.ts";
import { Box } from "./spaces.ts";

/** Observation modes (see the module doc). */
export type ObservationMode = "window" | "window+position" | "window+map";

/** Number of channels of a mode. */
export function observationChannels(mode: ObservationMode): number {
  switch (mode) {
    case "window":
      return 1;
    case "window+position":
      return 4;
    case "window+map":
      return 2;
    default:
      throw new InvalidArgumentError(
        "observation",
        `is '${mode}'`,
        "'window', 'window+position' or 'window+map'",
      );
  }
}

/**
 * The observation space: a float32 {@link Box} of shape `[z, y, x, channels]`. The intensity
 * channel is bounded by `intensityRange` (default unbounded: raw HU would otherwise be wrapped, as
 * the reference code's uint8 space did); position and map channels by [0, 1].
 */
export function observationSpace(
  mode: ObservationMode,
  shape: Vec3,
  intensityRange?: readonly [number, number],
): Box {
  const c = observationChannels(mode);
  const n = shape[0] * shape[1] * shape[2] * c;
  const low = new Float64Array(n).fill(0), high = new Float64Array(n).fill(1);
  const [lo, hi] = intensityRange ?? [-Infinity, Infinity];
  for (let i = 0; i < n; i += c) {
    low[i] = lo;
    high[i] = hi;
  }
  return new Box([shape[0], shape[1], shape[2], c], low, high, "float32");
}

/** Builds observations of one volume's windows. */
export class ObservationEncoder {
  /** Mode. */
  readonly mode: ObservationMode;
  /** Observation shape z,y,x (channels not included). */
  readonly shape: Vec3;
  /** Channels per voxel. */
  readonly channels: number;
  /** Values per observation: `shape` product times `channels`. */
  readonly length: number;
  readonly #volume: Volume;
  readonly #window: Vec3;
  readonly #cache = new Map<number, Float32Array>();
  readonly #capacity: number;
  readonly #intensity: Float32Array;
  #phases?: PhaseGrids;
  #mapRegion?: Float32Array;
  #mapSmall?: Float32Array;

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @param volume the volume observed
   * @param window window size z,y,x
   * @param shape observation shape z,y,x
   * @param mode observation mode
   * @param cacheBytes memory bound of the per-corner memo (default 32 MiB; 0 disables it)
   * @throws {NonFiniteVoxelError} naming the case when the volume holds NaN/Inf voxels
   */
  constructor(volume: Volume, window: Vec3, shape: Vec3, mode: ObservationMode, cacheBytes = 32 * 2 ** 20) {
    this.channels = observationChannels(mode);
    applyNonFinitePolicy(volume, `case ${volume.id}`); // NaN/Inf would leave the observation space
    if (!shape.every((d) => Number.isInteger(d) && d >= 1)) {
      throw new InvalidArgumentError("observationShape", `is ${shape.join("x")}`, "three positive integers");
    }
    this.mode = mode;
    this.shape = shape;
    this.length = shape[0] * shape[1] * shape[2] * this.channels;
    this.#volume = volume;
    this.#window = window;
    this.#capacity = Math.floor(cacheBytes / (this.length * 4));
    this.#intensity = new Float32Array(shape[0] * shape[1] * shape[2]);
    if (window.every((w, a) => w % shape[a] === 0)) {
      this.#phases = new PhaseGrids(
        volume.data,
        volume.shape,
        window.map((w, a) => w / shape[a]) as unknown as Vec3,
      );
    }
  }

  /**
   * The observation of the window at `corner`, in a new array (callers may keep or mutate it).
   * `map` and `step` are needed in `window+map` mode.
   */
  encode(corner: Vec3, map?: ProbabilityMap, step = 0): Float32Array {
    if (this.#phases && this.channels === 1) {
      return this.#phases.box(corner, this.shape, new Float32Array(this.length));
    }
    if (this.#phases && this.mode === "window+map") {
      return this.#withMap(this.#encodeStatic(corner), corner, map, step);
    }
    const [, ny, nx] = this.#volume.shape;
    const key = (corner[0] * ny + corner[1]) * nx + corner[2];
    let base = this.#cache.get(key);
    if (base) {
      this.#cache.delete(key); // refresh LRU position
      this.#cache.set(key, base);
    } else {
      base = this.#encodeStatic(corner);
      if (this.#capacity > 0) {
        if (this.#cache.size >= this.#capacity) this.#cache.delete(this.#cache.keys().next().value!);
        this.#cache.set(key, base);
      }
    }
    return this.#withMap(new Float32Array(base), corner, map, step);
  }

  #withMap(out: Float32Array, corner: Vec3, map: ProbabilityMap | undefined, step: number): Float32Array {
    if (this.mode === "window+map") {
      if (!map) throw new InvalidArgumentError("map", "is missing", "a ProbabilityMap in 'window+map' mode");
      const region = this.#mapRegion ??= new Float32Array(
        this.#window[0] * this.#window[1] * this.#window[2],
      );
      const small = this.#mapSmall ??= new Float32Array(this.#intensity.length);
      map.region(corner, this.#window, region);
      resampleBoxLinear(region, this.#window, [0, 0, 0], this.#window, this.shape, small);
      const scale = map.mode === "sum" ? 1 / Math.max(1, 2 * step) : 1;
      for (let i = 0; i < small.length; i++) out[2 * i + 1] = Math.min(1, small[i] * scale);
    }
    return out;
  }

  #encodeStatic(corner: Vec3): Float32Array {
    const v = this.#volume;
    if (this.#phases) this.#phases.box(corner, this.shape, this.#intensity);
    else resampleBoxLinear(v.data, v.shape, corner, this.#window, this.shape, this.#intensity);
    const c = this.channels;
    if (c === 1) return new Float32Array(this.#intensity);
    const out = new Float32Array(this.length);
    const [mz, my, mx] = this.shape;
    const [wz, wy, wx] = this.#window;
    let o = 0;
    for (let z = 0; z < mz; z++) {
      const pz = (corner[0] + (z + 0.5) * wz / mz) / v.shape[0];
      for (let y = 0; y < my; y++) {
        const py = (corner[1] + (y + 0.5) * wy / my) / v.shape[1];
        for (let x = 0; x < mx; x++, o++) {
          out[o * c] = this.#intensity[o];
          if (this.mode === "window+position") {
            out[o * c + 1] = pz;
            out[o * c + 2] = py;
            out[o * c + 3] = (corner[2] + (x + 0.5) * wx / mx) / v.shape[2];
          }
        }
      }
    }
    return out;
  }
}
