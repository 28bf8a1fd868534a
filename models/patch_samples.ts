/**
 * Training samples of the presence classifier for the patch game: the grid patches of labelled
 * images, each labelled "patch holds tumour" from the VOXEL MASKS. The supervision level is
 * therefore "crops labelled from voxel masks" (a patch is a crop placed by the grid), never
 * image-level: a report must say so.
 *
 * Labels ({@link patchPresenceLabels}): a patch is positive when at least `positiveShare` of its
 * voxels are target (and at least one is), negative when it holds no target voxel, and AMBIGUOUS
 * (dropped from training) in between. Why a share and not "any target voxel": the game's greedy
 * baseline takes every patch scoring above the presence threshold, and with oracle shares the union
 * of the patches holding >= 30% tumour segments the embedded phantoms best (test Dice 0.632; any
 * voxel: 0.495). A classifier taught "any voxel" would learn to take the tumour's rim patches too.
 *
 * Each patch goes through the classifier's one preprocessing path (`classifier_input.ts`), the same
 * as scoring: crop, resample to the input shape, intensity window.
 *
 * @module
 */
import { channelCount } from "../data/channels.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import type { SupervisionLevel } from "../data/supervision.ts";
import { targetMask } from "../data/tile.ts";
import type { Case, Labels, Vec3 } from "../data/types.ts";
import { PatchGrid } from "../env/patch/grid.ts";
import { type IntensityWindow, writeClassifierInput } from "./classifier_input.ts";
import type { ClassifierSample } from "./classifier_training.ts";

/** Label of a patch: 1 positive, 0 negative, -1 ambiguous (dropped). */
export type PatchLabel = 1 | 0 | -1;

/** How patches are labelled and sampled. */
export interface PatchSampleOptions {
  /** Label values counted as target (e.g. [2] for the phantoms' tumour). */
  readonly target: readonly number[];
  /** A patch is positive when its target share is >= this (in (0, 1]). */
  readonly positiveShare: number;
  /** Negative patches kept per case, drawn uniformly without replacement (all when fewer). */
  readonly negativesPerCase: number;
  /** Network input shape z,y,x each patch is resampled to. */
  readonly inputShape: Vec3;
  /** Intensity window mapped to [0, 1] (null: none). */
  readonly intensityWindow: IntensityWindow;
  /** Seed of the negative draw. */
  readonly seed: number;
}

/** What {@link patchSamples} made. */
export interface PatchSampleReport {
  /** Cases read. */
  readonly cases: number;
  /** Positive patches kept (all of them). */
  readonly positives: number;
  /** Negative patches kept. */
  readonly negatives: number;
  /** Negative patches not drawn. */
  readonly negativesSkipped: number;
  /** Ambiguous patches dropped (0 < target share < positiveShare). */
  readonly ambiguous: number;
  /** Always "crops labelled from voxel masks": the labels come from the masks. */
  readonly supervision: SupervisionLevel;
}

/**
 * The label of every patch of `grid` from a voxel mask.
 *
 * @param labels voxel labels (shape = `grid.shape`)
 * @param grid the patch grid
 * @param target label values counted as target (1..255)
 * @param positiveShare share of target voxels (in (0, 1]) from which a patch is positive
 * @returns per patch index: 1 (share >= positiveShare), 0 (no target voxel) or -1 (ambiguous)
 * @throws {InvalidArgumentError} for a shape mismatch, a bad target or share
 */
export function patchPresenceLabels(
  labels: Labels,
  grid: PatchGrid,
  target: readonly number[],
  positiveShare: number,
): Int8Array {
  if (labels.shape.join("x") !== grid.shape.join("x")) {
    throw new InvalidArgumentError(
      `labels of ${labels.id}`,
      `have shape ${labels.shape.join("x")}`,
      `the grid's ${grid.shape.join("x")}`,
    );
  }
  checkShare(positiveShare);
  const mask = targetMask(labels, target), counts = new Int32Array(grid.count);
  const [nz, ny, nx] = grid.shape, [az, ay, ax] = grid.axisPatch, [, gy, gx] = grid.grid;
  for (let z = 0, i = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const row = (az[z] * gy + ay[y]) * gx;
      for (let x = 0; x < nx; x++, i++) counts[row + ax[x]] += mask[i];
    }
  }
  const out = new Int8Array(grid.count);
  for (let p = 0; p < grid.count; p++) {
    const voxels = grid.sizes[3 * p] * grid.sizes[3 * p + 1] * grid.sizes[3 * p + 2];
    out[p] = counts[p] === 0 ? 0 : counts[p] >= positiveShare * voxels ? 1 : -1;
  }
  return out;
}

function checkShare(share: number): void {
  if (!(share > 0 && share <= 1)) {
    throw new InvalidArgumentError("positiveShare", `is ${share}`, "a share in (0, 1]");
  }
}

/**
 * Classifier samples from the grid patches of labelled cases: every positive patch, up to
 * `negativesPerCase` negatives per case (seeded draw), no ambiguous patch. Sample ids are
 * `<case id>#p<patch index>`.
 *
 * @param cases cases with `labels` (each cut by its own grid of `gridShape` patches)
 * @param gridShape patches z,y,x
 * @param options labelling, sampling and preprocessing
 * @returns the samples (positives and negatives interleaved in case order) and their report
 * @throws {InvalidArgumentError} for a case without labels or bad options
 */
export function patchSamples(
  cases: readonly Case[],
  gridShape: Vec3,
  options: PatchSampleOptions,
): { samples: ClassifierSample[]; report: PatchSampleReport } {
  checkShare(options.positiveShare);
  if (!(Number.isInteger(options.negativesPerCase) && options.negativesPerCase >= 0)) {
    throw new InvalidArgumentError("negativesPerCase", `is ${options.negativesPerCase}`, "an integer >= 0");
  }
  const rng = new Rng(options.seed), [d, h, w] = options.inputShape;
  const samples: ClassifierSample[] = [];
  let positives = 0, negatives = 0, skipped = 0, ambiguous = 0;
  const grids = new Map<string, PatchGrid>();
  for (const c of cases) {
    if (!c.labels) {
      throw new InvalidArgumentError(
        `case ${c.id}`,
        "has no voxel labels",
        "labels to derive patch labels from",
      );
    }
    const key = c.image.shape.join("x");
    let grid = grids.get(key);
    if (!grid) grids.set(key, grid = new PatchGrid(c.image.shape, gridShape));
    const labels = patchPresenceLabels(c.labels, grid, options.target, options.positiveShare);
    const kept: number[] = [], negative: number[] = [];
    for (let p = 0; p < grid.count; p++) {
      if (labels[p] === 1) kept.push(p);
      else if (labels[p] === 0) negative.push(p);
      else ambiguous++;
    }
    positives += kept.length;
    const drawn = rng.shuffle(negative).slice(0, options.negativesPerCase);
    negatives += drawn.length;
    skipped += negative.length - drawn.length;
    for (const p of [...kept, ...drawn].sort((a, b) => a - b)) {
      const input = new Float32Array(d * h * w * channelCount(c.image));
      writeClassifierInput(
        c.image,
        grid.corner(p),
        grid.size(p),
        options.inputShape,
        options.intensityWindow,
        input,
      );
      samples.push({ id: `${c.id}#p${p}`, input, presence: labels[p] === 1 ? 1 : 0 });
    }
  }
  return {
    samples,
    report: {
      cases: cases.length,
      positives,
      negatives,
      negativesSkipped: skipped,
      ambiguous,
      supervision: "crops labelled from voxel masks",
    },
  };
}
