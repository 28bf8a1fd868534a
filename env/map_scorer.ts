/**
 * A scorer reading precomputed per-voxel scores (a score volume in [0, 1], e.g. a saved classifier
 * heat map, or a synthetic map for tests): a window's score is the mean of the score volume over
 * the window, or its value at the window's centre voxel.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3, Volume } from "../data/types.ts";
import type { Scorer } from "./scorer.ts";
import { SummedVolume } from "./window_sum.ts";

/** How a window reads the score volume: the mean over its voxels, or the value at its centre voxel. */
export type MapReduction = "mean" | "center";

/** Scores windows from score volumes registered per image volume (matched by object identity). */
export class MapScorer implements Scorer {
  /** `map(<reduction>)`. */
  readonly id: string;
  readonly #maps = new WeakMap<Volume, Float32Array>();
  readonly #tables = new WeakMap<Volume, SummedVolume>();
  readonly #reduction: MapReduction;

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @param reduction `"mean"` (default) or `"center"` (voxel `corner + floor(size / 2)`) */
  constructor(reduction: MapReduction = "mean") {
    if (reduction !== "mean" && reduction !== "center") {
      throw new InvalidArgumentError("reduction", `is '${reduction}'`, "'mean' or 'center'");
    }
    this.#reduction = reduction;
    this.id = `map(${reduction})`;
  }

  /**
   * Registers the score volume of `volume`: same length, every value in [0, 1].
   * @throws {InvalidArgumentError} otherwise
   */
  set(volume: Volume, scores: Float32Array): this {
    if (scores.length !== volume.data.length) {
      throw new InvalidArgumentError(
        `score map of ${volume.id}`,
        `has ${scores.length} values`,
        `${volume.data.length}`,
      );
    }
    for (let i = 0; i < scores.length; i++) {
      if (!(scores[i] >= 0 && scores[i] <= 1)) {
        throw new InvalidArgumentError(
          `score map of ${volume.id}`,
          `value ${scores[i]} at ${i}`,
          "values in [0, 1]",
        );
      }
    }
    this.#maps.set(volume, scores);
    this.#tables.delete(volume);
    return this;
  }

  /** Scores the windows at `corners` (packed z,y,x) of size `size`; see {@link Scorer}. */
  score(volume: Volume, corners: Int32Array, size: Vec3): Promise<Float32Array> {
    const map = this.#maps.get(volume);
    if (!map) {
      throw new InvalidArgumentError(
        `volume ${volume.id}`,
        "has no score map in this MapScorer",
        "set(volume, scores) first",
      );
    }
    if (this.#reduction === "mean") {
      let table = this.#tables.get(volume);
      if (!table) {
        table = new SummedVolume(map, volume.shape);
        this.#tables.set(volume, table);
      }
      return Promise.resolve(table.windowMeans(corners, size));
    }
    const [, ny, nx] = volume.shape;
    const n = corners.length / 3;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const z = corners[3 * i] + (size[0] >> 1),
        y = corners[3 * i + 1] + (size[1] >> 1),
        x = corners[3 * i + 2] + (size[2] >> 1);
      if (
        !(z < volume.shape[0] && y < ny && x < nx && corners[3 * i] >= 0 && corners[3 * i + 1] >= 0 &&
          corners[3 * i + 2] >= 0)
      ) {
        throw new InvalidArgumentError(
          "corner",
          `${corners[3 * i]},${corners[3 * i + 1]},${corners[3 * i + 2]}`,
          "a window inside the volume",
        );
      }
      out[i] = map[(z * ny + y) * nx + x];
    }
    return Promise.resolve(out);
  }
}
