/**
 * Real data for the pixel-level game: axial slices through the target of 3D cases (e.g. BraTS FLAIR
 * with the whole tumour, as the paper's "Brain" set: FLAIR slices, slices without tumour removed).
 * Every slice keeps its voxel labels as the ground truth G of the env's reward: results on these
 * slices are fully supervised (voxel labels).
 *
 * Per case, intensities go to [0, 1] by dividing by the `percentile` of the case's non-zero voxels
 * (MRI has no absolute scale; the zero background stays 0) and clipping at 1. Each axial slice is
 * resampled to `size` x `size` (image bilinear, labels nearest); slices whose resampled truth is
 * empty are dropped (after `minTargetVoxels` at full resolution), then every `every`-th kept slice
 * (by z) is used. Train/val/test split BY CASE (no slice of a test case is seen in training).
 *
 * @module
 */
import { openDataset } from "../../data/dataset.ts";
import { InvalidArgumentError } from "../../data/errors.ts";
import { resampleBoxLinear, resampleBoxNearest } from "../../data/resample.ts";
import type { SplitName } from "../../data/split.ts";
import { targetMask } from "../../data/tile.ts";
import type { Case } from "../../data/types.ts";
import type { PixelSlice } from "./pixel_env.ts";

/** Options of {@link caseTargetSlices}. */
export interface CaseSliceOptions {
  /** Label values of the target (BraTS whole tumour: [1, 2, 4]). */
  readonly target: readonly number[];
  /** Output slice size y = x in pixels (default 64). */
  readonly size?: number;
  /** Target voxels a full-resolution slice needs to be kept (default 1). */
  readonly minTargetVoxels?: number;
  /** Use every `every`-th kept slice, starting with the first (default 1: all). */
  readonly every?: number;
  /** Percentile (0..100) of the non-zero voxels mapped to 1 (default 99.5). */
  readonly percentile?: number;
}

/**
 * The axial slices of `c` through its target, normalised and resampled (see the module doc).
 * Ids are `<case>/z<z>`; spacing is the resampled pixel size in mm (y, x).
 * @throws {InvalidArgumentError} when the case has no labels or an option is out of range
 */
export function caseTargetSlices(c: Case, options: CaseSliceOptions): PixelSlice[] {
  const size = options.size ?? 64, every = options.every ?? 1, minVoxels = options.minTargetVoxels ?? 1;
  const percentile = options.percentile ?? 99.5;
  if (!c.labels) throw new InvalidArgumentError(`case ${c.id}`, "has no labels", "voxel labels");
  if (!(Number.isInteger(size) && size >= 8)) {
    throw new InvalidArgumentError("size", `is ${size}`, "an integer >= 8");
  }
  if (!(Number.isInteger(every) && every >= 1)) {
    throw new InvalidArgumentError("every", `is ${every}`, "an integer >= 1");
  }
  if (!(percentile > 0 && percentile <= 100)) {
    throw new InvalidArgumentError("percentile", `is ${percentile}`, "a value in (0, 100]");
  }
  const [d, h, w] = c.image.shape, plane = h * w, src = c.image.data;
  const scale = nonZeroPercentile(src, percentile);
  const mask = targetMask(c.labels, options.target);
  const image = new Float32Array(size * size), truth = new Uint8Array(size * size);
  const out: PixelSlice[] = [];
  let kept = 0;
  for (let z = 0; z < d; z++) {
    let n = 0;
    for (let i = z * plane; i < (z + 1) * plane; i++) n += mask[i];
    if (n < minVoxels) continue;
    resampleBoxNearest(mask, [d, h, w], [z, 0, 0], [1, h, w], [1, size, size], truth);
    if (!truth.some((v) => v)) continue;
    if (kept++ % every) continue;
    resampleBoxLinear(src, [d, h, w], [z, 0, 0], [1, h, w], [1, size, size], image);
    const img = Float32Array.from(image, (v) => (scale > 0 ? Math.min(1, Math.max(0, v / scale)) : 0));
    out.push({
      id: `${c.id}/z${z}`,
      shape: [size, size],
      spacing: [(c.image.spacing[1] * h) / size, (c.image.spacing[2] * w) / size],
      image: img,
      truth: truth.slice(),
    });
  }
  return out;
}

/** The `p`-th percentile (nearest rank) of the non-zero values; 0 when all are zero. */
export function nonZeroPercentile(values: Float32Array, p: number): number {
  const nz = values.filter((v) => v !== 0).sort();
  if (!nz.length) return 0;
  return nz[Math.min(nz.length - 1, Math.max(0, Math.ceil((p / 100) * nz.length) - 1))];
}

/** Options of {@link folderPixelSlices}. */
export interface FolderSliceOptions extends CaseSliceOptions {
  /**
   * Modality file suffix of per-case folders, e.g. "flair" for `<case>/<case>_flair.nii.gz`; leave it
   * out for layouts of one image per case (2D JPEG image/mask folders refuse a channel).
   */
  readonly channel?: string;
  /** Case split seed (default 0). */
  readonly seed?: number;
}

/**
 * Slices through the target of every case of a dataset folder (any layout `openDataset` reads;
 * BraTS per-case folders with `channel`; a 2D JPEG image/mask folder, such as the liver-tumour
 * slices, without), split train/val/test by case (70/15/15, seeded; by patient where the layout
 * groups slices, see `CaseRef.group`).
 * @throws {InvalidArgumentError} or a data error naming the folder or file when it cannot be read,
 * or when a split ends up without slices
 */
export async function folderPixelSlices(
  dir: string,
  options: FolderSliceOptions,
): Promise<Record<SplitName, PixelSlice[]>> {
  const ds = await openDataset(dir, {
    ...(options.channel === undefined ? {} : { channels: [options.channel] }),
    target: options.target,
    seed: options.seed ?? 0,
  });
  const out = {} as Record<SplitName, PixelSlice[]>;
  for (const name of ["train", "val", "test"] as const) {
    out[name] = [];
    for await (const c of ds.split(name).cases()) out[name].push(...caseTargetSlices(c, options));
    if (!out[name].length) {
      throw new InvalidArgumentError(
        `${dir} (${name} split)`,
        "has no slice through the target",
        "at least one",
      );
    }
  }
  return out;
}
