/**
 * Datasets: lists of case references that load one case at a time, on demand, with a deterministic
 * seeded train/val/test split. Layouts: LiTS, the Medical Segmentation Decathlon (MSD), a plain folder
 * of images with a CSV of weak labels (and optional voxel labels for evaluation), and in-memory phantoms.
 *
 * Labels are kept as stored (e.g. LiTS 0/1/2, BraTS 0/1/2/4); `Dataset.target` says which values are
 * the target. Evaluation gets the binary target mask with `targetMask(c.labels, dataset.target)` from
 * `tile.ts`. `presence` (the image-level weak label) comes from the CSV when it names the case, else it
 * is derived from the labels (1 when any voxel holds a target value), else it is absent.
 *
 * @module
 */
import { CaseCache } from "./case_cache.ts";
import { listCaseFolderCases } from "./case_folders.ts";
import { listImageMaskCases } from "./image_mask_folders.ts";
import { splitUnits } from "./split_units.ts";
import { readImageFile, readLabelFile } from "./image_files.ts";
import {
  detectLayout,
  type LayoutListing,
  listFolderCases,
  listLitsCases,
  listMsdCases,
} from "./dataset_layouts.ts";
import { DatasetError, InvalidArgumentError } from "./errors.ts";
import { registerChannels } from "./channels.ts";
import { checkIntensityOptions, type IntensityOptions, normaliseIntensity } from "./intensity_options.ts";
import { applyNonFinitePolicy, type NonFinitePolicy } from "./finite.ts";
import {
  generatePhantom,
  type PhantomDatasetOptions,
  phantomDatasetPlan,
  type PhantomOptions,
} from "./phantom.ts";
import { checkSameGrid, preprocessCase, type PreprocessOptions } from "./preprocess.ts";
import {
  checkFoldSpec,
  checkSplitFractions,
  DEFAULT_SPLIT_FRACTIONS,
  type FoldSpec,
  type SplitFractions,
  type SplitName,
} from "./split.ts";
import type { Case, Labels } from "./types.ts";
import { type Loader, RefDataset } from "./ref_dataset.ts";

/** A reference to one case on disk (or in memory): enough to list and split without loading. */
export interface CaseRef {
  /** Case id, unique within the dataset. */
  readonly id: string;
  /** Image file (NIfTI), or a `phantom:<seed>` pseudo-path for phantoms. */
  readonly imagePath: string;
  /** Voxel-label file (NIfTI, same grid as the image), if any. */
  readonly labelsPath?: string;
  /** Weak label known without loading (from a CSV or a phantom plan), if any. */
  readonly presence?: 0 | 1;
  /** Every channel's image file, in channel order (the first is `imagePath`), for multi-channel cases. */
  readonly channelPaths?: readonly string[];
  /**
   * Cases of one group (e.g. the slices of one patient) always fall in the same split; when any ref
   * has a group, splits are drawn over groups (a ref without one is its own group).
   */
  readonly group?: string;
}

/** A dataset: references plus a loader. Cases are loaded lazily, one at a time. */
export interface Dataset {
  /** Human-readable name (`lits`, the MSD name, the folder name; `/train` etc. appended by splits). */
  readonly name: string;
  /** Case references, in a natural order (numbers inside ids compare numerically). */
  readonly refs: readonly CaseRef[];
  /** Label values that count as the target (e.g. [2] for LiTS tumour). */
  readonly target: readonly number[];
  /** Where `target` comes from, for the user (`given`, or the layout's default and why). */
  readonly targetSource?: string;
  /**
   * The cases of one split of THIS dataset's refs, by `splitIds` (split.ts) with the dataset's seed and
   * fractions, stratified by `presence` where the refs know it (refs without it form their own stratum).
   */
  split(name: SplitName): Dataset;
  /** Loads one case (decode, check grids, derive presence, preprocess; or a cache hit). */
  load(ref: CaseRef): Promise<Case>;
  /** Every case in `refs` order, each loaded only when the iteration reaches it. */
  cases(): AsyncIterable<Case>;
}

/** Options shared by every layout. */
export interface DatasetOptions {
  /** Label value(s) that count as the target, integers 1..255. Default: per layout (LiTS 2, MSD tumour, else 1). */
  target?: number | readonly number[];
  /** Seed of the split (default 0). */
  seed?: number;
  /** Split fractions (default 0.7 / 0.15 / 0.15). */
  fractions?: SplitFractions;
  /**
   * A k-fold protocol instead of fractions: test is fold `fold`, val the next fold, train the rest
   * (see `foldSplit` in `split.ts`; same seed and stratification as fractions).
   */
  folds?: FoldSpec;
  /** Preprocessing applied to each loaded case (default: none). */
  preprocess?: PreprocessOptions;
  /** On-disk cache of loaded, preprocessed cases (default: none). */
  cache?: CaseCache;
  /**
   * What to do with NaN/Inf voxels (default "error", see `data/finite.ts`): applied by `readNifti`,
   * and again to every loaded case after preprocessing and on cache hits.
   */
  nonFinite?: NonFinitePolicy;
  /**
   * Per-case intensity normalisation of every channel (default: none; see `data/intensity_options.ts`),
   * applied after `preprocess`.
   */
  intensity?: IntensityOptions;
}

/** Options of {@link openFolderDataset}. */
export interface FolderDatasetOptions extends DatasetOptions {
  /** CSV of weak labels, `case,presence` with a header (default `<dir>/labels.csv`, used when present). */
  csv?: string;
  /** Only files whose stem ends with this are images; the case id is the stem without it (default ""). */
  imageSuffix?: string;
  /** Voxel-label files are `<id><labelSuffix>.nii[.gz]` next to the image (default "_seg"). */
  labelSuffix?: string;
  /**
   * Modalities to read, in channel order, from files `<id>_<channel>.nii[.gz]` (BraTS per-case
   * folders: `["flair"]` or `["flair", "t1ce", "t2"]`); the first sets the case ids as `imageSuffix`
   * `_<channel>` would (not both). Default: one image per case.
   */
  channels?: readonly string[];
}

function normaliseTarget(target: number | readonly number[]): number[] {
  const values = typeof target === "number" ? [target] : [...target];
  if (!(values.length > 0 && values.every((v) => Number.isInteger(v) && v >= 1 && v <= 255))) {
    throw new InvalidArgumentError("target", `is ${JSON.stringify(target)}`, "label values, integers 1..255");
  }
  return [...new Set(values)].sort((a, b) => a - b);
}

/** 1 when any voxel holds a target value (one 256-entry table, no per-voxel allocation). */
function holdsTarget(labels: Labels, target: readonly number[]): 0 | 1 {
  const table = new Uint8Array(256);
  for (const v of target) table[v] = 1;
  const d = labels.data;
  for (let i = 0; i < d.length; i++) if (table[d[i]] === 1) return 1;
  return 0;
}

function withPresence(c: Case, presence: 0 | 1 | undefined): Case {
  return presence === undefined ? c : { ...c, presence };
}

/** The case with the NaN/Inf policy of `data/finite.ts` applied to its image (default "error"). */
function finiteCase(c: Case, source: string, policy: NonFinitePolicy | undefined): Case {
  const { volume } = applyNonFinitePolicy(c.image, source, policy ?? "error");
  return volume === c.image ? c : { ...c, image: volume };
}

/** A dataset over the cases of a layout listing; validates the shared options. */
function fileDataset(listing: LayoutListing, options: DatasetOptions): Dataset {
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw new InvalidArgumentError("seed", `is ${seed}`, "a finite number");
  const fractions = options.fractions ?? DEFAULT_SPLIT_FRACTIONS;
  checkSplitFractions(fractions);
  const target = normaliseTarget(options.target ?? listing.defaultTarget);
  const targetSource = options.target !== undefined ? "given" : listing.defaultTargetSource;
  if (options.intensity) checkIntensityOptions(options.intensity);
  const { name, refs } = listing;
  const folds = options.folds;
  if (folds) {
    checkFoldSpec(folds);
    const units = splitUnits(refs).ids.length;
    if (folds.k > units) {
      throw new InvalidArgumentError(
        "folds",
        `are ${folds.k} for ${units} ${units === refs.length ? "cases" : "case groups"}`,
        `at most ${units}`,
      );
    }
  }
  return new RefDataset({
    name,
    refs,
    target,
    targetSource,
    seed,
    fractions,
    ...(folds ? { folds } : {}),
    loader: fileLoader(options, target),
  });
}

/** The loader of file datasets: cache lookup, decode, grid check, presence, preprocess, cache store. */
function fileLoader(options: DatasetOptions, target: readonly number[]): Loader {
  const { cache, preprocess, nonFinite, intensity } = options;
  return async (ref: CaseRef): Promise<Case> => {
    let key: string | undefined;
    if (cache) {
      const paths = [...(ref.channelPaths ?? [ref.imagePath]), ref.labelsPath];
      const hashes = await Promise.all(
        paths.map((p) => (p ? CaseCache.hashFile(p) : Promise.resolve(""))),
      );
      key = cache.key({
        path: paths.map((p) => p ?? "").join("\n"),
        contentHash: hashes.join(":"),
        params: {
          version: 1,
          id: ref.id,
          target,
          preprocess: preprocess ?? null,
          nonFinite: nonFinite ?? "default",
          ...(intensity ? { intensity } : {}),
        },
      });
      const hit = await cache.get(key);
      if (hit && !ref.channelPaths) {
        return withPresence(finiteCase(hit, ref.imagePath, nonFinite), ref.presence);
      }
    }
    if (ref.channelPaths && ref.channelPaths.length > 1 && preprocess) {
      throw new InvalidArgumentError("preprocess", "is set for a multi-channel dataset", "no preprocess");
    }
    const readOptions = nonFinite ? { id: ref.id, nonFinite } : { id: ref.id };
    const image = await readImageFile(ref.imagePath, readOptions);
    let c: Case = { id: ref.id, image };
    if (ref.labelsPath) {
      const labels = await readLabelFile(ref.labelsPath, { id: ref.id });
      checkSameGrid(image, labels, `${ref.labelsPath} (labels of ${ref.imagePath})`);
      // Presence from the original labels: preprocessing (nearest resampling, crops) may lose small targets.
      c = { id: ref.id, image, labels, presence: holdsTarget(labels, target) };
    }
    if (preprocess) c = finiteCase(preprocessCase(c, preprocess), ref.imagePath, nonFinite);
    if (ref.channelPaths && ref.channelPaths.length > 1) {
      const channels = [c.image];
      for (const path of ref.channelPaths.slice(1)) {
        const channel = await readImageFile(path, readOptions);
        checkSameGrid(image, channel, `${path} (a channel of ${ref.imagePath})`);
        channels.push(channel);
      }
      const normalised = intensity ? channels.map((v) => normaliseIntensity(v, intensity)) : channels;
      registerChannels(normalised); // models read every channel back from the image (data/channels.ts)
      return withPresence({ ...c, image: normalised[0], channels: normalised }, ref.presence);
    }
    if (intensity) c = { ...c, image: normaliseIntensity(c.image, intensity) };
    if (cache && key) await cache.put(key, c);
    return withPresence(c, ref.presence);
  };
}

/**
 * Opens a LiTS folder: `volume-N.nii[.gz]` with `segmentation-N.nii[.gz]` (labels 0 background,
 * 1 liver, 2 tumour), found in `dir` or its subfolders (e.g. Kaggle's `volume_pt1/`, `segmentations/`).
 * Ids are `lits-N`, in numeric order; the default target is 2 (tumour).
 *
 * @throws {DatasetError} when `dir` is missing or holds no volume, a volume has no segmentation (or a
 *   segmentation no volume), or two files give the same N
 */
export async function openLitsDataset(dir: string, options: DatasetOptions = {}): Promise<Dataset> {
  return fileDataset(await listLitsCases(dir), options);
}

/**
 * Opens an MSD task folder through its `dataset.json`: `"training": [{"image": "./imagesTr/x.nii.gz",
 * "label": "./labelsTr/x.nii.gz"}, ...]` (paths relative to `dir`; `label` optional). Ids are the image
 * file stems. The default target is every label named tumour/tumor/cancer in `labels`, else 1.
 *
 * @throws {DatasetError} when dataset.json is missing, not JSON, has no `training` list, an entry is
 *   malformed or names a missing file, the list is empty, or two entries give the same id
 */
export async function openMsdDataset(dir: string, options: DatasetOptions = {}): Promise<Dataset> {
  return fileDataset(await listMsdCases(dir), options);
}

/**
 * Opens a folder of images: every `*.nii[.gz]` in `dir` or in its subfolders one level down (per-case
 * folders, as BraTS), except a `labels/` subfolder and files whose stem ends with `labelSuffix`. With
 * `imageSuffix` only stems ending with it are images (e.g. "_flair"); the id is the stem without it.
 * Voxel labels, optional, are `<id><labelSuffix>.nii[.gz]` beside the image or `<dir>/labels/<image
 * file name>`. Weak labels come from the CSV (`case,presence` with a header; presence 0/1, also
 * true/false or yes/no; `case` an id, image file name or stem); cases it does not name get presence
 * from their labels, if any. The default target is 1. BraTS: `{ imageSuffix: "_flair", labelSuffix:
 * "_seg", target: [1, 2, 4] }`.
 *
 * @throws {DatasetError} when `dir` is missing or holds no image, two files give one id, a case has two
 *   label files, a label file has no image, an explicit `csv` is missing, or a CSV row is malformed or
 *   names no case (the error names `<csv>:<line>`)
 */
export async function openFolderDataset(dir: string, options: FolderDatasetOptions = {}): Promise<Dataset> {
  return fileDataset(await listFolderCases(dir, options), options);
}

/**
 * Opens a dataset, detecting its layout: a `dataset.json` (or a path to one) is MSD, a folder holding
 * `volume-N.nii[.gz]` files (searched as {@link openLitsDataset} does) is LiTS, per-case folders of
 * `<modality>_image.nii[.gz]` / `<modality>_mask.nii[.gz]` files are case folders (case_folders.ts:
 * `channels` picks the modalities, the first one's mask is the target), `images/` + `masks/` of 2D
 * JPEG slices are image-mask folders (image_mask_folders.ts; no `channels`), anything else a folder
 * dataset ({@link openFolderDataset}, whose extra options apply only then).
 *
 * @throws {DatasetError} as the chosen opener does, or when `spec` does not exist
 */
export async function openDataset(spec: string, options: FolderDatasetOptions = {}): Promise<Dataset> {
  const { layout, dir } = await detectLayout(spec);
  if (layout === "msd") return await openMsdDataset(dir, options);
  if (layout === "lits") return await openLitsDataset(dir, options);
  if (layout === "case-folders") {
    return fileDataset(await listCaseFolderCases(dir, options.channels), options);
  }
  if (layout === "image-mask") {
    if (options.channels !== undefined) {
      throw new DatasetError(
        "channels",
        `are ${JSON.stringify(options.channels)} for ${dir}, a folder of 2D JPEG slices (images/, masks/)`,
        "no channels: one grey image per slice",
      );
    }
    return fileDataset(await listImageMaskCases(dir), options);
  }
  return await openFolderDataset(dir, options);
}

/** Options of {@link phantomDataset}: those of `generatePhantomDataset` plus split and preprocessing. */
export interface PhantomDatasetSpec extends PhantomDatasetOptions {
  /** Split fractions (default 0.7 / 0.15 / 0.15); the split seed is `seed`. */
  fractions?: SplitFractions;
  /** Preprocessing applied to each generated case (default: none). */
  preprocess?: PreprocessOptions;
}

/**
 * An in-memory dataset of synthetic phantoms: the same cases, ids and presence as
 * `generatePhantomDataset(options)` (both follow `phantomDatasetPlan`), but each phantom is generated
 * only when loaded (and not kept), so a large dataset costs no memory up front. Presence is known
 * without generating (refs carry it), so splits are stratified. Target: 2 (tumour). `imagePath` is
 * `phantom:<case seed>`; `load` accepts only refs of this dataset's phantoms.
 *
 * @throws {InvalidArgumentError} on an invalid count, share, seed or fractions, or when positives are
 *   requested but `tumours` allows at most 0 (other phantom options are checked when a case is generated)
 */
export function phantomDataset(options: PhantomDatasetSpec): Dataset {
  const { fractions = DEFAULT_SPLIT_FRACTIONS, preprocess, ...datasetOptions } = options;
  const plan = phantomDatasetPlan(datasetOptions);
  checkSplitFractions(fractions);
  const byPath = new Map<string, PhantomOptions>(plan.map((p) => [`phantom:${p.seed}`, p]));
  const refs: CaseRef[] = plan.map((p) => ({
    id: `phantom-${p.seed}`,
    imagePath: `phantom:${p.seed}`,
    presence: p.tumours === 0 ? 0 : 1,
  }));
  const loader = async (ref: CaseRef): Promise<Case> => {
    const phantom = byPath.get(ref.imagePath);
    if (!phantom) {
      throw new InvalidArgumentError(
        "ref.imagePath",
        `is ${ref.imagePath}`,
        "phantom:<case seed> of a case of this dataset",
      );
    }
    const c = generatePhantom(phantom);
    return await Promise.resolve(finiteCase(preprocess ? preprocessCase(c, preprocess) : c, ref.id, "error"));
  };
  return new RefDataset({
    name: "phantoms",
    refs,
    target: [2],
    targetSource: "the phantoms' tumour label (2)",
    seed: options.seed,
    fractions,
    loader,
  });
}
