/**
 * The cases of `train:patch`: the embedded 2D phantoms ({@link patchData}), or with `--data <dir>`
 * ({@link folderPatchData}) the 2D slices of a dataset folder (any layout that
 * `openDataset` reads whose images have depth 1, e.g. the JPEG image/mask folder of the
 * liver-tumour slices), split 70/15/15 by the dataset's seeded split (by patient where the layout
 * groups slices, `CaseRef.group`), each slice resampled to the run's shape (image bilinear, labels
 * nearest) so that the grid, the observation and the classifier input keep one geometry, then (with
 * `mirror`) played in its 4 mirror variants as the phantoms are.
 *
 * The target is the dataset's (`Dataset.target`: label 1 for JPEG masks, >= 128 on disk); Dice and
 * the classifier's patch labels use it.
 *
 * @module
 */
import { openDataset } from "../../data/dataset.ts";
import { generatePhantomDataset } from "../../data/phantom.ts";
import { splitIds } from "../../data/split.ts";
import { InvalidArgumentError } from "../../data/errors.ts";
import { resampleBoxLinear, resampleBoxNearest } from "../../data/resample.ts";
import type { SplitName } from "../../data/split.ts";
import type { Case, Vec3 } from "../../data/types.ts";
import { withMirrors } from "./patch_augment.ts";

/** Label value of the phantoms' tumour: the target of the oracle, the classifier's labels and Dice. */
export const TUMOUR = 2;

/** The split cases of a run and the label values counted as target. */
export interface PatchRunData {
  /** Training cases (mirror variants included). */
  readonly train: Case[];
  /** Validation cases (the classifier's early stopping only). */
  readonly validation: Case[];
  /** Test cases. */
  readonly test: Case[];
  /** Every case played (the oracle's). */
  readonly all: Case[];
  /** Label values of the target. */
  readonly target: readonly number[];
}

/**
 * The embedded phantoms' split of a config (the same for every seed's data when `dataSeed` is fixed):
 * split by phantom, then (with `mirror`) each split's cases in their 4 mirror variants; `all`
 * holds every case played (register them with the scorer). The validation split serves only the
 * classifier scorer's early stopping.
 */
export function patchData(
  config: { readonly cases: number; readonly shape: Vec3; readonly mirror: boolean },
  dataSeed = 0,
): { train: Case[]; validation: Case[]; test: Case[]; all: Case[] } {
  const all = generatePhantomDataset({ count: config.cases, seed: dataSeed, shape: config.shape });
  const strata = new Map(all.map((c) => [c.id, c.presence ?? 0] as [string, 0 | 1]));
  const split = splitIds(all.map((c) => c.id), dataSeed, undefined, strata);
  const played = config.mirror ? withMirrors(all) : all;
  const variants = new Map<string, Case[]>(all.map((c) => [c.id, []]));
  played.forEach((c, i) => variants.get(all[Math.floor(i * all.length / played.length)].id)!.push(c));
  const pick = (ids: readonly string[]) => ids.flatMap((id) => variants.get(id)!);
  return {
    train: pick(split.train),
    validation: pick(split.val),
    test: pick(split.test),
    all: played,
  };
}

/**
 * A 2D case resampled to `shape` (z = 1): image bilinear (half-pixel centres), labels nearest;
 * the spacing grows by the resampling factor (the affine is kept diagonal from that spacing).
 * @throws {InvalidArgumentError} for a case deeper than 1 slice or without labels
 */
export function resampleSlice(c: Case, shape: Vec3): Case {
  const [d, h, w] = c.image.shape;
  if (d !== 1 || shape[0] !== 1) {
    throw new InvalidArgumentError(
      `case ${c.id}`,
      `has shape ${c.image.shape.join("x")} for the patch shape ${shape.join("x")}`,
      "2D slices (depth 1) and a shape 1xYxX: train:patch --data reads 2D image folders",
    );
  }
  if (!c.labels) throw new InvalidArgumentError(`case ${c.id}`, "has no labels", "voxel labels (a mask)");
  const spacing: Vec3 = [
    c.image.spacing[0],
    c.image.spacing[1] * h / shape[1],
    c.image.spacing[2] * w / shape[2],
  ];
  const affine = Float64Array.from(c.image.affine);
  for (let r = 0; r < 3; r++) {
    affine[r * 4] *= w / shape[2];
    affine[r * 4 + 1] *= h / shape[1];
  }
  const image = resampleBoxLinear(c.image.data, [d, h, w], [0, 0, 0], [d, h, w], shape);
  const labels = resampleBoxNearest(
    c.labels.data,
    [d, h, w],
    [0, 0, 0],
    [d, h, w],
    shape,
    new Uint8Array(image.length),
  );
  return {
    ...c,
    image: { ...c.image, shape, spacing, affine, data: image },
    labels: { ...c.labels, shape, spacing, affine: Float64Array.from(affine), data: labels },
  };
}

/**
 * The run's cases from a dataset folder (see the module doc).
 *
 * @param dir dataset folder
 * @param options slice shape, mirroring, split seed
 * @throws {InvalidArgumentError} or a data error naming the folder or file that cannot be read, a
 *   3D case, or a split without cases
 */
export async function folderPatchData(
  dir: string,
  options: { readonly shape: Vec3; readonly mirror: boolean; readonly seed: number },
): Promise<PatchRunData> {
  const ds = await openDataset(dir, { seed: options.seed });
  const out = {} as Record<SplitName, Case[]>;
  for (const name of ["train", "val", "test"] as const) {
    const cases: Case[] = [];
    for await (const c of ds.split(name).cases()) cases.push(resampleSlice(c, options.shape));
    if (!cases.length) {
      throw new InvalidArgumentError(`${dir} (${name} split)`, "has no case", "at least one case per split");
    }
    out[name] = options.mirror ? withMirrors(cases) : cases;
  }
  return {
    train: out.train,
    validation: out.val,
    test: out.test,
    all: [...out.train, ...out.val, ...out.test],
    target: ds.target,
  };
}
