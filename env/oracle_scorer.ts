/**
 * The oracle scorer: a window's score is the share of its voxels that belong to the target class,
 * read from the VOXEL LABELS. It is an upper bound and a debugging aid, never weak supervision:
 * any result obtained with it must be labelled as using voxel labels.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Case, Labels, Vec3, Volume } from "../data/types.ts";
import type { Scorer } from "./scorer.ts";
import { SummedVolume } from "./window_sum.ts";

/** Options of {@link OracleScorer}. */
export interface OracleScorerOptions {
  /** Label values counted as the target (default 1; LiTS tumour is 2; BraTS tumour [1, 2, 4]). */
  readonly target?: number | readonly number[];
  /**
   * Scores are `min(1, share / saturation)`: with the default 1 the score is the plain share of
   * target voxels; a smaller value (e.g. 0.05) lets small tumours reach a termination threshold.
   */
  readonly saturation?: number;
}

/**
 * Share of target voxels per window, computed in O(1) per window from a summed-volume table built
 * once per labelled volume. Volumes are matched to labels by object identity (the `image` of the
 * registered cases).
 */
export class OracleScorer implements Scorer {
  /** `oracle(target=...)`: says in every report that voxel labels were used. */
  readonly id: string;
  readonly #labels = new WeakMap<Volume, Labels>();
  readonly #tables = new WeakMap<Volume, SummedVolume>();
  readonly #target: readonly number[];
  readonly #saturation: number;

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @param cases cases whose `labels` define the oracle; cases without labels are skipped
   * @throws {InvalidArgumentError} for a bad saturation or target, or labels whose shape differs from the image
   */
  constructor(cases: readonly Case[], options: OracleScorerOptions = {}) {
    const target = options.target ?? 1;
    this.#target = typeof target === "number" ? [target] : [...target];
    if (!this.#target.length || !this.#target.every((t) => Number.isInteger(t) && t >= 0 && t <= 255)) {
      throw new InvalidArgumentError("target", `is ${JSON.stringify(target)}`, "label values in 0..255");
    }
    this.#saturation = options.saturation ?? 1;
    if (!(this.#saturation > 0 && this.#saturation <= 1)) {
      throw new InvalidArgumentError("saturation", `is ${this.#saturation}`, "a value in (0, 1]");
    }
    this.id = `oracle(target=${this.#target.join("|")}${
      this.#saturation !== 1 ? `,saturation=${this.#saturation}` : ""
    })`;
    for (const c of cases) this.register(c);
  }

  /** Registers one more case (no-op without labels). */
  register(c: Case): void {
    if (!c.labels) return;
    if (c.labels.shape.some((d, a) => d !== c.image.shape[a])) {
      throw new InvalidArgumentError(
        `case ${c.id}`,
        `labels ${c.labels.shape.join("x")} vs image ${c.image.shape.join("x")}`,
        "equal shapes",
      );
    }
    this.#labels.set(c.image, c.labels);
  }

  /** Scores the windows at `corners` (packed z,y,x) of size `size`; see {@link Scorer}. */
  score(volume: Volume, corners: Int32Array, size: Vec3): Promise<Float32Array> {
    let table = this.#tables.get(volume);
    if (!table) {
      const labels = this.#labels.get(volume);
      if (!labels) {
        throw new InvalidArgumentError(
          `volume ${volume.id}`,
          "has no labels registered with the OracleScorer",
          "a case registered with labels",
        );
      }
      const mask = new Uint8Array(labels.data.length);
      const lut = new Uint8Array(256);
      for (const t of this.#target) lut[t] = 1;
      for (let i = 0; i < mask.length; i++) mask[i] = lut[labels.data[i]];
      table = new SummedVolume(mask, volume.shape);
      this.#tables.set(volume, table);
    }
    const scores = table.windowMeans(corners, size);
    if (this.#saturation !== 1) {
      for (let i = 0; i < scores.length; i++) scores[i] = Math.min(1, scores[i] / this.#saturation);
    }
    return Promise.resolve(scores);
  }
}
