/**
 * What an agent sees: its window's intensities resampled to a small policy input (e.g. 24x48x48
 * voxels -> 12x24x24), channels last (z,y,x,c). The intensities are one channel per image channel
 * (modality: I channels, 1 unless a dataset registered several, see data/channels.ts, e.g. FLAIR,
 * T1c, T2). Modes add channels after them:
 * - `window`: I channels, intensities.
 * - `window+position`: I + 3 channels, intensities then the normalised volume coordinate (z, y, x)
 *   of each observed voxel's centre, in [0, 1] (the paper's policy had no idea where its window was).
 * - `window+map`: I + 1 channels, intensities then the probability map over the window, normalised
 *   to [0, 1] (`sum` mode divides by 2 x steps, the largest value a voxel can hold).
 * - `window+context`: 2I + 3 channels: the window's intensities, then the intensities of its CONTEXT
 *   (the box {@link CONTEXT_FACTOR} times the window per axis, centred on the window and shifted to
 *   stay inside the volume; the whole axis where the volume is shorter) resampled to the same shape,
 *   then the position channels of `window+position`. The window alone shows nothing of a target one
 *   stride beyond its edge; the context lets a policy steer towards what it can see coming.
 *
 * When the window is an integer multiple of the observation shape (24x48x48 -> 12x24x24), the
 * intensity crop is a plain copy out of precomputed {@link PhaseGrids} (bitwise equal to trilinear
 * resampling). Otherwise the static part (intensity, context, position) is resampled and memoised per corner
 * in an {@link ObservationMemo} (an LRU bounded in bytes, shared by every volume of an env). Only
 * `window+map` recomputes a channel every step.
 *
 * {@link ObservationEncoder.encodeInto} writes into a caller-owned array (no allocation: what
 * `VectorEnv`'s batch buffer uses); {@link ObservationEncoder.encode} returns a new array.
 *
 * @module
 */
import { volumeChannels } from "../data/channels.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { applyNonFinitePolicy } from "../data/finite.ts";
import { PhaseGrids } from "../data/phase_grids.ts";
import { resampleBoxLinear } from "../data/resample.ts";
import type { Vec3, Volume } from "../data/types.ts";
import { ObservationMemo } from "./observation_memo.ts";
import { isSumMode, type ProbabilityMap } from "./probability_map.ts";
import { Box } from "./spaces.ts";

/** Observation modes (see the module doc). */
export type ObservationMode = "window" | "window+position" | "window+map" | "window+context";

/** The observation modes, in help order. */
export const OBSERVATION_MODES: readonly ObservationMode[] = [
  "window",
  "window+position",
  "window+map",
  "window+context",
];

/** The context box of `window+context` is this many windows per axis (3: one window on each side). */
export const CONTEXT_FACTOR = 3;

/**
 * The context box of the window at `corner` (`window+context`): per axis, size `min(CONTEXT_FACTOR x
 * window, volume)` and first voxel `corner - (size - window) / 2` (rounded down), clamped to
 * `[0, volume - size]`. Returns [corner, size], z,y,x voxels.
 */
export function contextBox(corner: Vec3, window: Vec3, volumeShape: Vec3): [Vec3, Vec3] {
  const size = window.map((w, a) => Math.min(CONTEXT_FACTOR * w, volumeShape[a])) as unknown as Vec3;
  const at = corner.map((c, a) =>
    Math.min(Math.max(c - Math.floor((size[a] - window[a]) / 2), 0), volumeShape[a] - size[a])
  ) as unknown as Vec3;
  return [at, size];
}

/**
 * Number of channels of a mode over an image of `imageChannels` channels (default 1).
 * @throws {InvalidArgumentError} on an unknown mode or an image channel count that is not an integer >= 1
 */
export function observationChannels(mode: ObservationMode, imageChannels = 1): number {
  if (!(Number.isInteger(imageChannels) && imageChannels >= 1)) {
    throw new InvalidArgumentError("imageChannels", `is ${imageChannels}`, "an integer >= 1");
  }
  switch (mode) {
    case "window":
      return imageChannels;
    case "window+position":
      return imageChannels + 3;
    case "window+map":
      return imageChannels + 1;
    case "window+context":
      return 2 * imageChannels + 3;
    default:
      throw new InvalidArgumentError("observation", `is '${mode}'`, OBSERVATION_MODES.join(", "));
  }
}

/**
 * The channels of a mode's observation that hold intensities (the image channels `0..I-1`, and in
 * `window+context` the context channels `I..2I-1`): those a policy puts through its intensity window.
 */
export function intensityChannels(mode: ObservationMode, imageChannels = 1): number[] {
  const n = mode === "window+context" ? 2 * imageChannels : imageChannels;
  observationChannels(mode, imageChannels); // validates both
  return Array.from({ length: n }, (_, k) => k);
}

/**
 * The observation space: a float32 {@link Box} of shape `[z, y, x, channels]`. The intensity
 * channels (the first `imageChannels`, default 1, and in `window+context` the next `imageChannels`
 * of the context) are bounded by `intensityRange` (default unbounded: raw HU would otherwise be
 * wrapped, as the reference code's uint8 space did); position and map channels by [0, 1].
 */
export function observationSpace(
  mode: ObservationMode,
  shape: Vec3,
  intensityRange?: readonly [number, number],
  imageChannels = 1,
): Box {
  const c = observationChannels(mode, imageChannels);
  const n = shape[0] * shape[1] * shape[2] * c;
  const low = new Float64Array(n).fill(0), high = new Float64Array(n).fill(1);
  const [lo, hi] = intensityRange ?? [-Infinity, Infinity];
  const intensities = intensityChannels(mode, imageChannels).length;
  for (let i = 0; i < n; i += c) {
    for (let k = 0; k < intensities; k++) {
      low[i + k] = lo;
      high[i + k] = hi;
    }
  }
  return new Box([shape[0], shape[1], shape[2], c], low, high, "float32");
}

/** Builds observations of one volume's windows (every channel of a multi-channel image). */
export class ObservationEncoder {
  /** Mode. */
  readonly mode: ObservationMode;
  /** Observation shape z,y,x (channels not included). */
  readonly shape: Vec3;
  /** Channels per voxel: the image's intensity channels, then the mode's extra channels. */
  readonly channels: number;
  /** Image (intensity) channels: the first `imageChannels` of each voxel. */
  readonly imageChannels: number;
  /** Values per observation: `shape` product times `channels`. */
  readonly length: number;
  /**
   * True when {@link encodeFrom} slides instead of re-encoding: single-channel `window` mode with
   * a window that is an integer multiple of the observation shape.
   */
  readonly incremental: boolean;
  readonly #volume: Volume;
  readonly #images: readonly Volume[];
  readonly #window: Vec3;
  readonly #memo: ObservationMemo;
  readonly #owner: number;
  readonly #intensity: Float32Array;
  #phases?: PhaseGrids[];
  #mapRegion?: Float32Array;
  #mapSmall?: Float32Array;
  readonly #slabs = new Map<number, Float32Array>();
  readonly #slabShape: [number, number, number] = [0, 0, 0];
  readonly #slabCorner: [number, number, number] = [0, 0, 0];
  readonly #slabAt: [number, number, number] = [0, 0, 0];

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @param volume the volume observed (its registered channels too, data/channels.ts)
   * @param window window size z,y,x
   * @param shape observation shape z,y,x
   * @param mode observation mode
   * @param memo the per-corner memo: an {@link ObservationMemo} shared with other volumes' encoders,
   *   or a byte budget for one of its own (default 32 MiB; 0 disables memoisation)
   * @param imageChannels the image channels the env's observation space has (default 1)
   * @throws {NonFiniteVoxelError} naming the case when the volume holds NaN/Inf voxels
   * @throws {InvalidArgumentError} when the volume's channels are not `imageChannels`
   */
  constructor(
    volume: Volume,
    window: Vec3,
    shape: Vec3,
    mode: ObservationMode,
    memo: ObservationMemo | number = 32 * 2 ** 20,
    imageChannels = 1,
  ) {
    this.channels = observationChannels(mode, imageChannels);
    this.imageChannels = imageChannels;
    this.#images = volumeChannels(volume);
    if (this.#images.length !== imageChannels) {
      throw new InvalidArgumentError(
        `case ${volume.id}`,
        `has ${this.#images.length} image channel(s)`,
        `${imageChannels}, as the observation space (the game's imageChannels, set by --channels)`,
      );
    }
    // NaN/Inf would leave the observation space.
    for (const image of this.#images) applyNonFinitePolicy(image, `case ${volume.id}`);
    if (!shape.every((d) => Number.isInteger(d) && d >= 1)) {
      throw new InvalidArgumentError("observationShape", `is ${shape.join("x")}`, "three positive integers");
    }
    this.mode = mode;
    this.shape = shape;
    this.length = shape[0] * shape[1] * shape[2] * this.channels;
    this.#volume = volume;
    this.#window = window;
    this.#memo = typeof memo === "number" ? new ObservationMemo(memo) : memo;
    this.#owner = this.#memo.newOwner();
    this.#intensity = new Float32Array(shape[0] * shape[1] * shape[2]);
    if (window.every((w, a) => w % shape[a] === 0)) {
      const factors = window.map((w, a) => w / shape[a]) as unknown as Vec3;
      this.#phases = this.#images.map((image) => new PhaseGrids(image.data, volume.shape, factors));
    }
    this.incremental = this.#phases !== undefined && this.channels === 1;
  }

  /**
   * The observation of the window at `corner`, in a new array of {@link length} floats (callers may
   * keep or mutate it): {@link encodeInto} on a fresh array. `map` and `step` are needed in
   * `window+map` mode.
   * @throws {InvalidArgumentError} as {@link encodeInto}
   */
  encode(corner: Vec3, map?: ProbabilityMap, step = 0): Float32Array {
    return this.encodeInto(corner, new Float32Array(this.length), map, step);
  }

  /**
   * Writes the observation of the window at `corner` (z,y,x voxel indices, the window inside the
   * volume) into `out`, a caller-owned array of exactly {@link length} floats laid out z,y,x,c
   * (channels fastest), and returns `out`. Every value of `out` is written; nothing is allocated
   * unless the memo misses. `map` (the episode's probability map) and `step` (steps taken, which
   * scales a `sum` map) are needed in `window+map` mode and ignored otherwise.
   * @throws {InvalidArgumentError} when `out` is not a Float32Array of `length` floats, when the
   *   window leaves the volume, or when `map` is missing in `window+map` mode
   */
  encodeInto(corner: Vec3, out: Float32Array, map?: ProbabilityMap, step = 0): Float32Array {
    if (!(out instanceof Float32Array) || out.length !== this.length) {
      throw new InvalidArgumentError(
        "out",
        out instanceof Float32Array
          ? `has ${out.length} values`
          : `is ${Object.prototype.toString.call(out)}`,
        `a Float32Array of ${this.length} values (${this.shape.join("x")}x${this.channels}, z,y,x,c)`,
      );
    }
    if (this.mode === "window+map" && !map) {
      throw new InvalidArgumentError("map", "is missing", "a ProbabilityMap in 'window+map' mode");
    }
    if (this.#phases && this.channels === 1) return this.#phases[0].box(corner, this.shape, out);
    if (this.#phases && this.mode === "window+map") {
      return this.#withMap(this.#writeStatic(corner, out), corner, map, step);
    }
    const [, ny, nx] = this.#volume.shape;
    const key = (corner[0] * ny + corner[1]) * nx + corner[2];
    let base = this.#memo.get(this.#owner, key);
    if (!base) {
      base = this.#writeStatic(corner, new Float32Array(this.length));
      this.#memo.set(this.#owner, key, base);
    }
    out.set(base);
    return this.#withMap(out, corner, map, step);
  }

  /**
   * Updates `out`, which must hold this encoder's observation at `from` (as {@link encodeInto} wrote
   * it, unmodified), to the observation at `corner`: bitwise what `encodeInto(corner, out)` writes.
   * When the window moved along one axis by a multiple of the resampling factor (a move on the
   * stride lattice when the stride is such a multiple), the kept part slides in place (one native
   * `copyWithin`) and only the uncovered slab is read; any other move, or a mode other than
   * single-channel `window` with an integer factor, re-encodes in full.
   * @throws {InvalidArgumentError} as {@link encodeInto}
   */
  encodeFrom(from: Vec3, corner: Vec3, out: Float32Array): Float32Array {
    const grids = this.#phases?.[0];
    if (!grids || !this.incremental || out.length !== this.length) return this.encodeInto(corner, out);
    let axis = -1, shift = 0;
    for (let a = 0; a < 3; a++) {
      const delta = corner[a] - from[a];
      if (delta === 0) continue;
      if (axis >= 0 || delta % grids.factor[a] !== 0) return this.encodeInto(corner, out);
      axis = a;
      shift = delta / grids.factor[a];
    }
    if (axis >= 0 && Math.abs(shift) >= this.shape[axis]) return this.encodeInto(corner, out);
    for (let a = 0; a < 3; a++) { // a window leaving the volume throws there, before `out` changes
      const end = corner[a] + this.shape[a] * grids.factor[a];
      if (!(Number.isInteger(corner[a]) && corner[a] >= 0 && end <= grids.shape[a])) {
        return this.encodeInto(corner, out);
      }
    }
    if (axis < 0) return out;
    const extent = this.shape[axis];
    // Sliding the whole array by `shift` planes/rows/columns keeps every voxel still in view; the
    // values it smears across row or plane edges are exactly the slab rewritten below.
    const unit = axis === 0 ? this.shape[1] * this.shape[2] : axis === 1 ? this.shape[2] : 1;
    if (shift > 0) out.copyWithin(0, shift * unit);
    else out.copyWithin(-shift * unit, 0, out.length + shift * unit);
    const first = shift > 0 ? extent - shift : 0; // the slab's first index along the axis
    // Scratch triples, not fresh arrays: this runs twice per game-step.
    const slabShape = this.#slabShape, slabCorner = this.#slabCorner, at = this.#slabAt;
    for (let a = 0; a < 3; a++) {
      slabShape[a] = a === axis ? Math.abs(shift) : this.shape[a];
      slabCorner[a] = a === axis ? corner[a] + first * grids.factor[a] : corner[a];
      at[a] = a === axis ? first : 0;
    }
    const slab = this.#slab(slabShape);
    grids.box(slabCorner, slabShape, slab);
    const [sz, sy, sx] = slabShape, [, my, mx] = this.shape;
    if (axis === 0) { // whole planes: contiguous in `out`
      out.set(slab, first * my * mx);
      return out;
    }
    let k = 0;
    for (let z = 0; z < sz; z++) {
      for (let y = 0; y < sy; y++) {
        let o = ((z + at[0]) * my + y + at[1]) * mx + at[2];
        for (let x = 0; x < sx; x++) out[o++] = slab[k++];
      }
    }
    return out;
  }

  /** Scratch for a slab of `shape`, one per size (a clamped move may shift less than usual). */
  #slab(shape: Vec3): Float32Array {
    const n = shape[0] * shape[1] * shape[2];
    let slab = this.#slabs.get(n);
    if (!slab) this.#slabs.set(n, slab = new Float32Array(n));
    return slab;
  }

  #withMap(out: Float32Array, corner: Vec3, map: ProbabilityMap | undefined, step: number): Float32Array {
    if (this.mode === "window+map" && map) { // encodeInto checked that map mode has a map
      const region = this.#mapRegion ??= new Float32Array(
        this.#window[0] * this.#window[1] * this.#window[2],
      );
      const small = this.#mapSmall ??= new Float32Array(this.#intensity.length);
      map.region(corner, this.#window, region);
      resampleBoxLinear(region, this.#window, [0, 0, 0], this.#window, this.shape, small);
      const scale = isSumMode(map.mode) ? 1 / Math.max(1, 2 * step) : 1;
      const c = this.channels, at = this.imageChannels; // the map channel follows the intensities
      for (let i = 0; i < small.length; i++) out[c * i + at] = Math.min(1, small[i] * scale);
    }
    return out;
  }

  /** The intensities of image channel `k` at `corner`, into the shared scratch. */
  #intensityOf(k: number, corner: Vec3): Float32Array {
    const v = this.#images[k];
    if (this.#phases) this.#phases[k].box(corner, this.shape, this.#intensity);
    else resampleBoxLinear(v.data, v.shape, corner, this.#window, this.shape, this.#intensity);
    return this.#intensity;
  }

  /** Writes the corner-only channels (intensities, position) into `out`; the map channel is left. */
  #writeStatic(corner: Vec3, out: Float32Array): Float32Array {
    const c = this.channels, images = this.imageChannels;
    if (c === 1) {
      out.set(this.#intensityOf(0, corner));
      return out;
    }
    const voxels = this.#intensity.length;
    for (let k = 0; k < images; k++) {
      const intensity = this.#intensityOf(k, corner);
      for (let o = 0; o < voxels; o++) out[o * c + k] = intensity[o];
    }
    const v = this.#volume;
    let first = images; // the first position channel
    if (this.mode === "window+context") {
      const [at, size] = contextBox(corner, this.#window, v.shape);
      for (let k = 0; k < images; k++) {
        const image = this.#images[k];
        resampleBoxLinear(image.data, v.shape, at, size, this.shape, this.#intensity);
        for (let o = 0; o < voxels; o++) out[o * c + images + k] = this.#intensity[o];
      }
      first = 2 * images;
    } else if (this.mode !== "window+position") return out;
    const [mz, my, mx] = this.shape;
    const [wz, wy, wx] = this.#window;
    let o = 0;
    for (let z = 0; z < mz; z++) {
      const pz = (corner[0] + (z + 0.5) * wz / mz) / v.shape[0];
      for (let y = 0; y < my; y++) {
        const py = (corner[1] + (y + 0.5) * wy / my) / v.shape[1];
        for (let x = 0; x < mx; x++, o++) {
          out[o * c + first] = pz;
          out[o * c + first + 1] = py;
          out[o * c + first + 2] = (corner[2] + (x + 0.5) * wx / mx) / v.shape[2];
        }
      }
    }
    return out;
  }
}
