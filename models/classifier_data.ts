/**
 * Training samples of the classifier from a dataset of cases: whole images, tiles or crops.
 *
 * - "images": each case is one sample labelled by its image-level `presence` (the paper's stated
 *   setting, Sec. 2.1). Voxel labels are never read. Measured on the default phantoms (84 training
 *   images): validation AUC 0.80 and a window AUC of 0.25, i.e. no window scorer: a whole image
 *   shows the tumour at half its scale in a window, and 84 images are too few.
 * - "tiles": each case is cut into a grid of sub-volumes (`data/tile.ts`) whose weak labels are
 *   derived from the voxel labels; ambiguous tiles (a few target voxels) can be dropped.
 * - "crops" (the default, the reference implementation's protocol): window-sized crops labelled by
 *   whether they hold target voxels, as the reference trained on "5 crops around tumour and 5
 *   elsewhere, labelled by whether the crop holds tumour". Voxel labels serve only to place crops and
 *   derive their presence labels, exactly as in tiles mode. Per case:
 *   - `around`: crops holding >= `minTargetVoxels` target voxels, a random target voxel in their
 *     central `centreFraction` (positives);
 *   - `near`: crops centred within one crop size of a target voxel but holding none (negatives that
 *     differ from the positives by the tumour alone: the comparison the SPARS reward makes between
 *     neighbouring windows);
 *   - `elsewhere`: crops at uniform positions, labelled by their content (ambiguous ones redrawn);
 *   - in a case without any target voxel, the `around` and `near` crops sit where positive crops of
 *     other cases sat (same relative centre), so that position and anatomy (the liver) cannot
 *     separate the classes: only the tumour can. Such cases are kept until every case has been read
 *     (their images stay in memory until then).
 *
 * Samples are converted one case at a time, so only the resampled inputs stay in memory.
 *
 * Every report names the supervision level of its samples ({@link sampleSupervision}): only
 * "images" is image-level; "tiles" and "crops" read the voxel masks. The true image-level path that
 * makes a window scorer is multiple-instance training on whole volumes (`mil_data.ts`).
 *
 * @module
 */
import { DatasetError, InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import { targetMask, tileCase } from "../data/tile.ts";
import type { SupervisionLevel } from "../data/supervision.ts";
import type { Case, Vec3 } from "../data/types.ts";
import { DEFAULT_SPARS_CONFIG } from "../env/config.ts";
import { type IntensityWindow, writeClassifierInput } from "./classifier_input.ts";
import { channelCount } from "../data/channels.ts";
import { type ClassifierSample, samplesFromCases } from "./classifier_training.ts";

/** How cases become samples. */
export interface SampleSource {
  /** "images" (one sample per case), "tiles" (a grid of sub-volumes) or "crops" (see the module note). */
  mode: "images" | "tiles" | "crops";
  /** Tiles per axis z,y,x (tiles mode; default [2, 2, 2]). */
  grid?: Vec3;
  /** Label values counted as target (tiles and crops modes; required there, e.g. [2] for LiTS tumour). */
  target?: readonly number[];
  /** A tile or crop is positive with at least this many target voxels (default 1). */
  minTargetVoxels?: number;
  /** Tiles with 0 < target voxels < this are dropped as ambiguous (default 0: none). Crops never keep them. */
  ambiguousBelow?: number;
  /** Crop size z,y,x in voxels of the case (crops mode; default the game's window 24x48x48), clipped to the image. */
  cropSize?: Vec3;
  /**
   * Crops per case: positives around target, near-miss negatives, uniform (defaults 8, 6, 2).
   * Near-miss crops teach the tumour itself; uniform ones mostly teach "no liver, no tumour", the
   * shortcut. Measured on the default phantoms (8 epochs): 8,4,4 -> validation AUC 0.83 after one
   * epoch, 8,6,2 -> 0.89, 8,8,0 -> 0.91; all reach >= 0.98.
   */
  crops?: { around?: number; near?: number; elsewhere?: number };
  /**
   * Range of crop scales (default [0.5, 1]): each crop's size is `cropSize` times a factor drawn
   * uniformly in this range (then rounded), so the classifier also sees the target as it appears
   * in smaller windows (every crop is resampled to the input shape). Measured on the default
   * phantoms: window AUC at 12x24x24 windows 0.85 -> 0.93 for 0.98 -> 0.97 at 24x48x48.
   */
  cropScale?: readonly [number, number];
  /** Share of the crop, per axis, in which the chosen target voxel of an `around` crop lies (default 0.5). */
  centreFraction?: number;
  /** Seed of crop placement (crops mode; default 0). */
  seed?: number;
}

/** The default crop counts per case. */
export const DEFAULT_CROPS: Readonly<{ around: number; near: number; elsewhere: number }> = {
  around: 8,
  near: 6,
  elsewhere: 2,
};

/** The default range of crop scales (see {@link SampleSource.cropScale}). */
export const DEFAULT_CROP_SCALE: readonly [number, number] = [0.5, 1];

/** What {@link samplesFromDataset} made. */
export interface SampleReport {
  /** Cases read. */
  cases: number;
  /** Samples made. */
  samples: number;
  /** Ambiguous tiles dropped, or crops that could not be placed (a target too small for `minTargetVoxels`). */
  dropped: number;
  /** Positive samples. */
  positives: number;
  /** Negative samples. */
  negatives: number;
  /** How the samples were labelled ({@link sampleSupervision} of the mode). */
  supervision: SupervisionLevel;
}

/**
 * The supervision level of a sample mode: "images" reads the presence label only ("image-level");
 * "tiles" derives tile labels from the voxel masks ("tile-level (derived from masks)"); "crops" places
 * and labels crops from the voxel masks ("crops labelled from voxel masks").
 */
export function sampleSupervision(mode: SampleSource["mode"]): SupervisionLevel {
  return mode === "images"
    ? "image-level"
    : mode === "tiles"
    ? "tile-level (derived from masks)"
    : "crops labelled from voxel masks";
}

const ATTEMPTS = 32;

/** Target-voxel count inside a box of a byte mask (z,y,x). */
function countInBox(mask: Uint8Array, shape: Vec3, corner: Vec3, size: Vec3): number {
  const [, ny, nx] = shape;
  let n = 0;
  for (let z = corner[0]; z < corner[0] + size[0]; z++) {
    for (let y = corner[1]; y < corner[1] + size[1]; y++) {
      const row = (z * ny + y) * nx;
      for (let x = row + corner[2], end = x + size[2]; x < end; x++) n += mask[x];
    }
  }
  return n;
}

/** Crop placement and labelling for one case (see the module note). */
class CropSampler {
  readonly #inputShape: Vec3;
  readonly #window: IntensityWindow;
  readonly #rng: Rng;
  readonly #counts: { around: number; near: number; elsewhere: number };
  readonly #minTarget: number;
  readonly #centre: number;
  readonly #scale: readonly [number, number];
  /** Relative centres (fractions of the image extent, z,y,x) of the positive crops made so far. */
  readonly centres: Vec3[] = [];
  dropped = 0;

  constructor(source: SampleSource, inputShape: Vec3, window: IntensityWindow) {
    this.#inputShape = inputShape;
    this.#window = window;
    this.#rng = new Rng(source.seed ?? 0);
    this.#counts = { ...DEFAULT_CROPS, ...source.crops };
    this.#minTarget = source.minTargetVoxels ?? 1;
    this.#centre = source.centreFraction ?? 0.5;
    this.#scale = source.cropScale ?? DEFAULT_CROP_SCALE;
    if (
      !(this.#scale.length === 2 && this.#scale[0] > 0 && this.#scale[0] <= this.#scale[1] &&
        this.#scale[1] <= 1)
    ) {
      throw new InvalidArgumentError(
        "cropScale",
        `is ${JSON.stringify(source.cropScale)}`,
        "[min, max] with 0 < min <= max <= 1",
      );
    }
    const counts = Object.values(this.#counts);
    if (!counts.every((n) => Number.isInteger(n) && n >= 0) || counts.every((n) => n === 0)) {
      throw new InvalidArgumentError("crops", `is ${JSON.stringify(source.crops)}`, "counts >= 0, not all 0");
    }
    if (!(Number.isInteger(this.#minTarget) && this.#minTarget >= 1)) {
      throw new InvalidArgumentError("minTargetVoxels", `is ${this.#minTarget}`, "an integer >= 1");
    }
    if (!(this.#centre > 0 && this.#centre <= 1)) {
      throw new InvalidArgumentError("centreFraction", `is ${this.#centre}`, "a number in (0, 1]");
    }
  }

  #sample(c: Case, corner: Vec3, size: Vec3, kind: string, presence: 0 | 1): ClassifierSample {
    const [d, h, w] = this.#inputShape;
    const input = writeClassifierInput(
      c.image,
      corner,
      size,
      this.#inputShape,
      this.#window,
      new Float32Array(d * h * w * channelCount(c.image)),
    );
    return { id: `${c.id}/crop-${kind}@${corner.join(",")}+${size.join(",")}`, input, presence };
  }

  /** A crop size: `full` scaled by a factor drawn in the scale range (at least 1 voxel per axis). */
  #size(full: Vec3): Vec3 {
    const [lo, hi] = this.#scale;
    if (lo === 1) return full;
    const f = this.#rng.uniform(lo, hi);
    return full.map((v) => Math.max(1, Math.round(v * f))) as unknown as Vec3;
  }

  /** Crops of a case holding target voxels (mask given). */
  positiveCase(c: Case, mask: Uint8Array, targets: Int32Array, full: Vec3): ClassifierSample[] {
    const shape = c.image.shape, rng = this.#rng, out: ClassifierSample[] = [];
    let size = full;
    const voxel = (): Vec3 => {
      const i = targets[rng.int(targets.length)];
      return [Math.floor(i / (shape[1] * shape[2])), Math.floor(i / shape[2]) % shape[1], i % shape[2]];
    };
    const clamp = (v: number, a: number) => Math.max(0, Math.min(shape[a] - size[a], v));
    const uniform = (): Vec3 => [0, 1, 2].map((a) => rng.int(shape[a] - size[a] + 1)) as unknown as Vec3;
    const place = (kind: "around" | "near" | "elsewhere"): void => {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        size = this.#size(full);
        let corner: Vec3;
        if (kind === "around") {
          const v = voxel();
          corner = [0, 1, 2].map((a) => {
            const span = Math.max(1, Math.round(size[a] * this.#centre));
            return clamp(v[a] - Math.floor((size[a] - span) / 2) - rng.int(span), a);
          }) as unknown as Vec3;
        } else if (kind === "near") {
          const v = voxel();
          corner = [0, 1, 2].map((a) =>
            clamp(v[a] - Math.floor(size[a] / 2) + Math.round(rng.uniform(-size[a], size[a])), a)
          ) as unknown as Vec3;
        } else corner = uniform();
        const n = countInBox(mask, shape, corner, size);
        const positive = n >= this.#minTarget;
        if ((kind === "around" && !positive) || (kind === "near" && n > 0) || (n > 0 && !positive)) continue;
        if (positive) {
          this.centres.push(corner.map((v, a) => (v + size[a] / 2) / shape[a]) as unknown as Vec3);
        }
        out.push(this.#sample(c, corner, size, kind, positive ? 1 : 0));
        return;
      }
      this.dropped++;
    };
    for (let k = 0; k < this.#counts.around; k++) place("around");
    for (let k = 0; k < this.#counts.near; k++) place("near");
    for (let k = 0; k < this.#counts.elsewhere; k++) place("elsewhere");
    return out;
  }

  /** Crops of a case without target voxels: around/near at positive crops' relative centres. */
  negativeCase(c: Case, full: Vec3): ClassifierSample[] {
    const shape = c.image.shape, rng = this.#rng, out: ClassifierSample[] = [];
    const matched = this.#counts.around + this.#counts.near;
    for (let k = 0; k < matched + this.#counts.elsewhere; k++) {
      const size = this.#size(full);
      let corner: Vec3;
      if (k < matched && this.centres.length) {
        const f = this.centres[rng.int(this.centres.length)];
        corner = [0, 1, 2].map((a) =>
          Math.max(0, Math.min(shape[a] - size[a], Math.round(f[a] * shape[a] - size[a] / 2)))
        ) as unknown as Vec3;
      } else corner = [0, 1, 2].map((a) => rng.int(shape[a] - size[a] + 1)) as unknown as Vec3;
      out.push(this.#sample(c, corner, size, k < matched ? "matched" : "elsewhere", 0));
    }
    return out;
  }
}

function checkSource(source: SampleSource): void {
  if (source.mode !== "images" && source.mode !== "tiles" && source.mode !== "crops") {
    throw new InvalidArgumentError(
      "mode",
      `is ${JSON.stringify(source.mode)}`,
      '"images", "tiles" or "crops"',
    );
  }
  if (source.mode !== "images" && !(source.target && source.target.length)) {
    throw new InvalidArgumentError(
      "target",
      "is missing",
      `label values of the target to derive ${source.mode} labels`,
    );
  }
  const size = source.cropSize;
  if (size && !(size.length === 3 && size.every((v) => Number.isInteger(v) && v >= 1))) {
    throw new InvalidArgumentError("cropSize", `is ${JSON.stringify(size)}`, "three positive integers z,y,x");
  }
}

/**
 * Converts cases into classifier samples (see the module note).
 *
 * @param cases the cases (a dataset split's `cases()`)
 * @param inputShape network input shape z,y,x
 * @param window intensity window or null
 * @param source the mode and its options
 * @param onCase called after each case is read (progress)
 * @throws {DatasetError} in tiles and crops modes for a case without voxel labels, in images mode
 *   for a case without `presence`
 * @throws {InvalidArgumentError} on a bad mode, a missing `target` or bad crop options
 */
export async function samplesFromDataset(
  cases: Iterable<Case> | AsyncIterable<Case>,
  inputShape: Vec3,
  window: IntensityWindow,
  source: SampleSource,
  onCase?: (done: number) => void,
): Promise<{ samples: ClassifierSample[]; report: SampleReport }> {
  checkSource(source);
  const crops = source.mode === "crops" ? new CropSampler(source, inputShape, window) : undefined;
  const deferred: { c: Case; size: Vec3 }[] = [];
  const samples: ClassifierSample[] = [];
  let count = 0, dropped = 0;
  for await (const c of cases) {
    if (source.mode !== "images" && !c.labels) {
      throw new DatasetError(
        `case ${c.id}`,
        `has no voxel labels to derive ${source.mode} labels from`,
        "labelled cases, or image-level training (--samples images)",
      );
    }
    if (source.mode === "crops") {
      const mask = targetMask(c.labels!, source.target!);
      const size = (source.cropSize ?? DEFAULT_SPARS_CONFIG.window).map((v, a) =>
        Math.min(v, c.image.shape[a])
      ) as unknown as Vec3;
      const targets: number[] = [];
      for (let i = 0; i < mask.length; i++) if (mask[i]) targets.push(i);
      if (targets.length) samples.push(...crops!.positiveCase(c, mask, Int32Array.from(targets), size));
      else deferred.push({ c: { id: c.id, image: c.image }, size });
    } else if (source.mode === "tiles") {
      const tiles = tileCase(c, {
        grid: source.grid ?? [2, 2, 2],
        target: source.target!,
        minTargetVoxels: source.minTargetVoxels,
        ambiguousBelow: source.ambiguousBelow,
      });
      samples.push(...await samplesFromCases(tiles.cases, inputShape, window));
      dropped += tiles.dropped.length;
    } else samples.push(...await samplesFromCases([c], inputShape, window));
    count++;
    onCase?.(count);
  }
  for (const { c, size } of deferred) samples.push(...crops!.negativeCase(c, size));
  if (crops) dropped += crops.dropped;
  const positives = samples.filter((s) => s.presence === 1).length;
  return {
    samples,
    report: {
      cases: count,
      samples: samples.length,
      dropped,
      positives,
      negatives: samples.length - positives,
      supervision: sampleSupervision(source.mode),
    },
  };
}
