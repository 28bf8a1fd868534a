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
import { basename, dirname, join } from "node:path";
import { CaseCache } from "./case_cache.ts";
import { DatasetError, InvalidArgumentError } from "./errors.ts";
import { readNifti, readNiftiLabels } from "./nifti_read.ts";
import { generatePhantom, type PhantomDatasetOptions } from "./phantom.ts";
import { checkSameGrid, preprocessCase, type PreprocessOptions } from "./preprocess.ts";
import { Rng } from "./random.ts";
import {
  checkSplitFractions,
  DEFAULT_SPLIT_FRACTIONS,
  type SplitFractions,
  splitIds,
  type SplitName,
} from "./split.ts";
import type { Case, Labels } from "./types.ts";

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
}

/** A dataset: references plus a loader. Cases are loaded lazily, one at a time. */
export interface Dataset {
  /** Human-readable name (`lits`, the MSD name, the folder name; `/train` etc. appended by splits). */
  readonly name: string;
  /** Case references, in a natural order (numbers inside ids compare numerically). */
  readonly refs: readonly CaseRef[];
  /** Label values that count as the target (e.g. [2] for LiTS tumour). */
  readonly target: readonly number[];
  /**
   * The cases of one split of THIS dataset's refs, by {@link splitIds} with the dataset's seed and
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
  /** Preprocessing applied to each loaded case (default: none). */
  preprocess?: PreprocessOptions;
  /** On-disk cache of loaded, preprocessed cases (default: none). */
  cache?: CaseCache;
  /** What to do with NaN/Inf voxels (passed to `readNifti`; its default is "error"). */
  nonFinite?: "error" | "zero";
}

/** Options of {@link openFolderDataset}. */
export interface FolderDatasetOptions extends DatasetOptions {
  /** CSV of weak labels, `case,presence` with a header (default `<dir>/labels.csv`, used when present). */
  csv?: string;
  /** Only files whose stem ends with this are images; the case id is the stem without it (default ""). */
  imageSuffix?: string;
  /** Voxel-label files are `<id><labelSuffix>.nii[.gz]` next to the image (default "_seg"). */
  labelSuffix?: string;
}

const NIFTI = /\.nii(\.gz)?$/;
const stemOf = (name: string): string => name.replace(NIFTI, "");

/** Natural order: digit runs compare as numbers ("case2" < "case10"), the rest by code units. */
function naturalCompare(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [], pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i], y = pb[i];
    const nx = /^\d/.test(x) && /^\d/.test(y) ? Number(x) - Number(y) : 0;
    if (nx !== 0) return nx;
    if (x !== y) return x < y ? -1 : 1;
  }
  return pa.length - pb.length || (a < b ? -1 : a > b ? 1 : 0);
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

type Loader = (ref: CaseRef) => Promise<Case>;

/** What a {@link RefDataset} is made of; splits copy it with fewer refs. */
interface DatasetParts {
  name: string;
  refs: readonly CaseRef[];
  target: readonly number[];
  seed: number;
  fractions: SplitFractions;
  loader: Loader;
}

/** A dataset over a fixed list of refs and a loader; splits share the loader. */
class RefDataset implements Dataset {
  readonly name: string;
  readonly refs: readonly CaseRef[];
  readonly target: readonly number[];
  readonly #parts: DatasetParts;

  constructor(p: DatasetParts) {
    this.name = p.name;
    this.refs = Object.freeze([...p.refs].sort((a, b) => naturalCompare(a.id, b.id)));
    this.target = Object.freeze([...p.target]);
    this.#parts = p;
  }

  split(name: SplitName): Dataset {
    if (!(name === "train" || name === "val" || name === "test")) {
      throw new InvalidArgumentError("split", `is ${JSON.stringify(name)}`, '"train", "val" or "test"');
    }
    const known = this.refs.filter((r) => r.presence !== undefined);
    const strata = known.length > 0 ? new Map(known.map((r) => [r.id, r.presence as 0 | 1])) : undefined;
    const { seed, fractions } = this.#parts;
    const chosen = new Set(splitIds(this.refs.map((r) => r.id), seed, fractions, strata)[name]);
    const refs = this.refs.filter((r) => chosen.has(r.id));
    return new RefDataset({ ...this.#parts, name: `${this.name}/${name}`, refs });
  }

  load(ref: CaseRef): Promise<Case> {
    return this.#parts.loader(ref);
  }

  async *cases(): AsyncGenerator<Case> {
    for (const ref of this.refs) yield await this.#parts.loader(ref);
  }
}

/** Validates the shared options; the parts of a file dataset. */
function fileParts(
  name: string,
  refs: CaseRef[],
  options: DatasetOptions,
  defaultTarget: number | readonly number[],
): DatasetParts {
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw new InvalidArgumentError("seed", `is ${seed}`, "a finite number");
  const fractions = options.fractions ?? DEFAULT_SPLIT_FRACTIONS;
  checkSplitFractions(fractions);
  const target = normaliseTarget(options.target ?? defaultTarget);
  return { name, refs, target, seed, fractions, loader: fileLoader(options, target) };
}

/** The loader of file datasets: cache lookup, decode, grid check, presence, preprocess, cache store. */
function fileLoader(options: DatasetOptions, target: readonly number[]): Loader {
  const { cache, preprocess, nonFinite } = options;
  return async (ref: CaseRef): Promise<Case> => {
    let key: string | undefined;
    if (cache) {
      const hashes = await Promise.all(
        [ref.imagePath, ref.labelsPath].map((p) => (p ? CaseCache.hashFile(p) : Promise.resolve(""))),
      );
      key = cache.key({
        path: `${ref.imagePath}\n${ref.labelsPath ?? ""}`,
        contentHash: hashes.join(":"),
        params: {
          version: 1,
          id: ref.id,
          target,
          preprocess: preprocess ?? null,
          nonFinite: nonFinite ?? "default",
        },
      });
      const hit = await cache.get(key);
      if (hit) return withPresence(hit, ref.presence);
    }
    const image = await readNifti(ref.imagePath, nonFinite ? { id: ref.id, nonFinite } : { id: ref.id });
    let c: Case = { id: ref.id, image };
    if (ref.labelsPath) {
      const labels = await readNiftiLabels(ref.labelsPath, { id: ref.id });
      checkSameGrid(image, labels, `${ref.labelsPath} (labels of ${ref.imagePath})`);
      // Presence from the original labels: preprocessing (nearest resampling, crops) may lose small targets.
      c = { id: ref.id, image, labels, presence: holdsTarget(labels, target) };
    }
    if (preprocess) c = preprocessCase(c, preprocess);
    if (cache && key) await cache.put(key, c);
    return withPresence(c, ref.presence);
  };
}

async function requireDir(dir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new DatasetError(dir, "does not exist", "a dataset folder");
    throw e;
  }
  if (!info.isDirectory) throw new DatasetError(dir, "is not a folder", "a dataset folder");
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Files under `dir` (recursively, hidden entries skipped), as full paths. */
async function walkFiles(dir: string, depth: number): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(".")) continue;
    const path = join(dir, e.name);
    if (e.isFile) out.push(path);
    else if (e.isDirectory && depth > 0) out.push(...await walkFiles(path, depth - 1));
  }
  return out;
}

/** Adds `ref` to `byId`, or throws naming both files when the id is taken. */
function addUnique(byId: Map<string, CaseRef>, ref: CaseRef): void {
  const other = byId.get(ref.id);
  if (other) {
    throw new DatasetError(
      ref.imagePath,
      `gives case id "${ref.id}", as does ${other.imagePath}`,
      "unique case ids",
    );
  }
  byId.set(ref.id, ref);
}

const LITS_VOLUME = /^volume-(\d+)\.nii(\.gz)?$/, LITS_SEG = /^segmentation-(\d+)\.nii(\.gz)?$/;

/**
 * Opens a LiTS folder: `volume-N.nii[.gz]` with `segmentation-N.nii[.gz]` (labels 0 background,
 * 1 liver, 2 tumour), found in `dir` or its subfolders (e.g. Kaggle's `volume_pt1/`, `segmentations/`).
 * Ids are `lits-N`, in numeric order; the default target is 2 (tumour).
 *
 * @throws {DatasetError} when `dir` is missing or holds no volume, a volume has no segmentation (or a
 *   segmentation no volume), or two files give the same N
 */
export async function openLitsDataset(dir: string, options: DatasetOptions = {}): Promise<Dataset> {
  await requireDir(dir);
  const volumes = new Map<string, CaseRef>(), segs = new Map<string, string>();
  for (const path of await walkFiles(dir, 4)) {
    const name = basename(path);
    const v = LITS_VOLUME.exec(name), s = LITS_SEG.exec(name);
    if (v) addUnique(volumes, { id: `lits-${Number(v[1])}`, imagePath: path });
    if (s) {
      const id = `lits-${Number(s[1])}`;
      const other = segs.get(id);
      if (other) throw new DatasetError(path, `gives case id "${id}", as does ${other}`, "unique case ids");
      segs.set(id, path);
    }
  }
  if (volumes.size === 0) {
    throw new DatasetError(dir, "holds no volume-N.nii or volume-N.nii.gz file", "a LiTS folder");
  }
  for (const [id, seg] of segs) {
    if (!volumes.has(id)) {
      throw new DatasetError(seg, "has no matching volume-N file", "a volume for every segmentation");
    }
  }
  const refs = [...volumes.values()].map((r) => {
    const labelsPath = segs.get(r.id);
    if (!labelsPath) {
      throw new DatasetError(
        r.imagePath,
        "has no segmentation-N.nii[.gz] with the same N",
        "a segmentation per volume",
      );
    }
    return { ...r, labelsPath };
  });
  return new RefDataset(fileParts("lits", refs, options, 2));
}

/** Label values named tumour/tumor/cancer in an MSD `labels` object (v1 `{"2":"cancer"}` or v2 `{"tumor":2}`). */
function msdTargetLabels(labels: unknown): number[] {
  if (typeof labels !== "object" || labels === null) return [];
  const isTarget = (name: string): boolean => /tumou?r|cancer/i.test(name);
  const out: number[] = [];
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    if (typeof v === "string" && isTarget(v) && /^\d+$/.test(k)) out.push(Number(k));
    if (isTarget(k)) out.push(...[v].flat().filter((n): n is number => typeof n === "number"));
  }
  return out.filter((n) => Number.isInteger(n) && n >= 1 && n <= 255);
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
  await requireDir(dir);
  const jsonPath = join(dir, "dataset.json");
  let text: string;
  try {
    text = await Deno.readTextFile(jsonPath);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new DatasetError(jsonPath, "is missing", "an MSD dataset.json");
    }
    throw e;
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DatasetError(jsonPath, `is not valid JSON (${(e as Error).message})`, "an MSD dataset.json");
  }
  if (typeof json !== "object" || json === null || !Array.isArray(json.training)) {
    throw new DatasetError(
      jsonPath,
      'has no "training" list',
      'an object with "training": [{image, label}, ...]',
    );
  }
  const found = msdTargetLabels(json.labels);
  const byId = new Map<string, CaseRef>();
  const resolve = async (
    entry: Record<string, unknown>,
    field: string,
    i: number,
  ): Promise<string | undefined> => {
    const value = entry[field];
    if (value === undefined && field === "label") return undefined;
    const where = `${jsonPath} training[${i}].${field}`;
    if (typeof value !== "string" || !NIFTI.test(value)) {
      throw new DatasetError(
        where,
        `is ${JSON.stringify(value)}`,
        "a relative path to a .nii or .nii.gz file",
      );
    }
    const path = join(dir, value);
    if (!(await exists(path))) {
      throw new DatasetError(where, `names ${path}, which does not exist`, "an existing file");
    }
    return path;
  };
  for (const [i, entry] of (json.training as unknown[]).entries()) {
    if (typeof entry !== "object" || entry === null) {
      throw new DatasetError(
        `${jsonPath} training[${i}]`,
        `is ${JSON.stringify(entry)}`,
        "an object {image, label}",
      );
    }
    const e = entry as Record<string, unknown>;
    const imagePath = (await resolve(e, "image", i))!;
    const labelsPath = await resolve(e, "label", i);
    addUnique(byId, { id: stemOf(basename(imagePath)), imagePath, ...(labelsPath ? { labelsPath } : {}) });
  }
  if (byId.size === 0) throw new DatasetError(jsonPath, 'has an empty "training" list', "at least one case");
  const name = typeof json.name === "string" ? json.name : basename(dir);
  return new RefDataset(fileParts(name, [...byId.values()], options, found.length > 0 ? found : 1));
}

/**
 * Opens a folder of images: every `*.nii[.gz]` in `dir` or in its subfolders one level down (per-case
 * folders, as BraTS), except a `labels/` subfolder and files whose stem ends with `labelSuffix`. With
 * `imageSuffix` only stems ending with it are images (e.g. "_flair"); the id is the stem without it.
 * Voxel labels, optional, are `<id><labelSuffix>.nii[.gz]` beside the image or `<dir>/labels/<image
 * file name>`. Weak labels come from the CSV (`case,presence` with a header; presence 0/1, also
 * true/false or yes/no; `case` an id, image file name or stem); cases it does not name get presence from their labels, if any. The
 * default target is 1. BraTS: `{ imageSuffix: "_flair", labelSuffix: "_seg", target: [1, 2, 4] }`.
 *
 * @throws {DatasetError} when `dir` is missing or holds no image, two files give one id, a case has two
 *   label files, a label file has no image, an explicit `csv` is missing, or a CSV row is malformed or
 *   names no case (the error names `<csv>:<line>`)
 */
export async function openFolderDataset(dir: string, options: FolderDatasetOptions = {}): Promise<Dataset> {
  await requireDir(dir);
  const imageSuffix = options.imageSuffix ?? "", labelSuffix = options.labelSuffix ?? "_seg";
  const isLabelStem = (stem: string): boolean => labelSuffix !== "" && stem.endsWith(labelSuffix);
  const files = (await walkFiles(dir, 1)).filter((p) => NIFTI.test(p) && dirname(p) !== join(dir, "labels"));
  const labelFiles = new Set([
    ...files.filter((p) => isLabelStem(stemOf(basename(p)))),
    ...(await exists(join(dir, "labels")))
      ? (await walkFiles(join(dir, "labels"), 0)).filter((p) => NIFTI.test(p))
      : [],
  ]);
  const byId = new Map<string, CaseRef>(), used = new Set<string>();
  for (const imagePath of files) {
    const stem = stemOf(basename(imagePath));
    if (isLabelStem(stem) || !stem.endsWith(imageSuffix)) continue;
    const id = stem.slice(0, stem.length - imageSuffix.length);
    if (id === "") {
      throw new DatasetError(imagePath, "leaves an empty case id", `a stem longer than "${imageSuffix}"`);
    }
    const candidates = [
      ...[".nii", ".nii.gz"].map((ext) => join(dirname(imagePath), `${id}${labelSuffix}${ext}`)),
      join(dir, "labels", basename(imagePath)),
    ].filter((p) => labelFiles.has(p));
    if (candidates.length > 1) {
      throw new DatasetError(imagePath, `has several label files: ${candidates.join(", ")}`, "at most one");
    }
    candidates.forEach((p) => used.add(p));
    addUnique(byId, { id, imagePath, ...(candidates.length ? { labelsPath: candidates[0] } : {}) });
  }
  if (byId.size === 0) {
    throw new DatasetError(
      dir,
      `holds no *${imageSuffix}.nii or *${imageSuffix}.nii.gz image`,
      "a folder of images",
    );
  }
  for (const p of labelFiles) {
    if (!used.has(p)) {
      throw new DatasetError(p, "is a label file with no matching image", "an image for every label file");
    }
  }
  const csv = options.csv ?? join(dir, "labels.csv");
  if (options.csv !== undefined || await exists(csv)) {
    for (const [id, presence] of await readPresenceCsv(csv, [...byId.values()], dir)) {
      byId.set(id, { ...byId.get(id)!, presence });
    }
  }
  return new RefDataset(fileParts(basename(dir), [...byId.values()], options, 1));
}

const PRESENCE_VALUES: Record<string, 0 | 1> = { "0": 0, "1": 1, false: 0, true: 1, no: 0, yes: 1 };

/**
 * Reads a CSV of weak labels: a header naming the columns `case` and `presence` (any order, other
 * columns ignored, case-insensitive), then one row per case; blank lines skipped, cells trimmed and
 * unquoted (no commas inside cells). `case` is a case id, an image file name or its stem; `presence`
 * is 0/1, false/true or no/yes (case-insensitive). Returns case id -> presence.
 */
async function readPresenceCsv(csv: string, refs: CaseRef[], dir: string): Promise<Map<string, 0 | 1>> {
  let text: string;
  try {
    text = await Deno.readTextFile(csv);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new DatasetError(csv, "does not exist", "a CSV of weak labels with header case,presence");
    }
    throw e;
  }
  const idOf = new Map<string, string>();
  for (const r of refs) {
    for (const name of [r.id, basename(r.imagePath), stemOf(basename(r.imagePath))]) idOf.set(name, r.id);
  }
  const out = new Map<string, 0 | 1>();
  let caseColumn = -1, presenceColumn = -1, columns = 0;
  for (const [i, raw] of text.replace(/^\uFEFF/, "").split(/\r?\n/).entries()) {
    const where = `${csv}:${i + 1}`;
    if (raw.trim() === "") continue;
    const cells = raw.split(",").map((c) => c.trim().replace(/^"(.*)"$/, "$1").trim());
    if (columns === 0) {
      const names = cells.map((c) => c.toLowerCase());
      caseColumn = names.indexOf("case"), presenceColumn = names.indexOf("presence"), columns = cells.length;
      if (caseColumn < 0 || presenceColumn < 0) {
        throw new DatasetError(
          where,
          `header is "${raw}"`,
          'a header naming the columns "case" and "presence"',
        );
      }
      continue;
    }
    if (cells.length !== columns) {
      throw new DatasetError(where, `has ${cells.length} cells`, `${columns}, as the header`);
    }
    const id = idOf.get(cells[caseColumn]);
    if (id === undefined) {
      throw new DatasetError(
        where,
        `names case "${cells[caseColumn]}", which has no image in ${dir}`,
        "a case of the folder",
      );
    }
    const presence = PRESENCE_VALUES[cells[presenceColumn].toLowerCase()];
    if (presence === undefined) {
      throw new DatasetError(
        where,
        `presence is "${cells[presenceColumn]}"`,
        "0 or 1 (also accepted: false/true, no/yes)",
      );
    }
    if (out.has(id)) throw new DatasetError(where, `names case "${id}" again`, "one row per case");
    out.set(id, presence);
  }
  if (columns === 0) throw new DatasetError(csv, "is empty", "a header line case,presence");
  return out;
}

/**
 * Opens a dataset, detecting its layout: a `dataset.json` (or a path to one) is MSD, a folder holding
 * `volume-N.nii[.gz]` files (searched as {@link openLitsDataset} does) is LiTS, anything else a folder
 * dataset ({@link openFolderDataset}, whose extra options apply only then).
 *
 * @throws {DatasetError} as the chosen opener does, or when `spec` does not exist
 */
export async function openDataset(spec: string, options: FolderDatasetOptions = {}): Promise<Dataset> {
  if (basename(spec) === "dataset.json" && (await exists(spec))) {
    return await openMsdDataset(dirname(spec), options);
  }
  await requireDir(spec);
  if (await exists(join(spec, "dataset.json"))) return await openMsdDataset(spec, options);
  if ((await walkFiles(spec, 4)).some((p) => LITS_VOLUME.test(basename(p)))) {
    return await openLitsDataset(spec, options);
  }
  return await openFolderDataset(spec, options);
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
 * `generatePhantomDataset(options)`, but each phantom is generated only when loaded (and not kept),
 * so a large dataset costs no memory up front. Presence is known without generating (refs carry it),
 * so splits are stratified. Target: 2 (tumour). `imagePath` is `phantom:<case seed>`.
 *
 * The per-case plan (negatives shuffled by `seed`, then one distinct uint32 seed per case from the
 * same stream, positives with tumours [max(1, min), max]) mirrors `generatePhantomDataset`; a test
 * checks they agree.
 *
 * @throws {InvalidArgumentError} on an invalid count, share or fractions (phantom options are checked
 *   when a case is generated)
 */
export function phantomDataset(options: PhantomDatasetSpec): Dataset {
  const { count, seed, negativeShare = 0.3, fractions = DEFAULT_SPLIT_FRACTIONS, preprocess, ...phantom } =
    options;
  if (!(Number.isInteger(count) && count >= 1)) {
    throw new InvalidArgumentError("phantomDataset.count", `is ${count}`, "a positive integer");
  }
  if (!(Number.isFinite(negativeShare) && negativeShare >= 0 && negativeShare <= 1)) {
    throw new InvalidArgumentError(
      "phantomDataset.negativeShare",
      `is ${negativeShare}`,
      "a share in [0, 1]",
    );
  }
  if (!Number.isFinite(seed)) {
    throw new InvalidArgumentError("phantomDataset.seed", `is ${seed}`, "a finite number");
  }
  checkSplitFractions(fractions);
  const negatives = Math.round(count * negativeShare);
  const rng = new Rng(seed);
  const flags = rng.shuffle(Array.from({ length: count }, (_, i) => (i < negatives ? 0 : 1)));
  const used = new Set<number>();
  const refs: CaseRef[] = flags.map((positive) => {
    let caseSeed = rng.nextUint32();
    while (used.has(caseSeed)) caseSeed = rng.nextUint32();
    used.add(caseSeed);
    return { id: `phantom-${caseSeed}`, imagePath: `phantom:${caseSeed}`, presence: positive ? 1 : 0 };
  });
  const t = phantom.tumours ?? [1, 3];
  const [tMin, tMax] = typeof t === "number" ? [t, t] : t;
  const loader = async (ref: CaseRef): Promise<Case> => {
    const m = /^phantom:(\d+)$/.exec(ref.imagePath);
    if (!m) throw new InvalidArgumentError("ref.imagePath", `is ${ref.imagePath}`, "phantom:<case seed>");
    const c = generatePhantom({
      ...phantom,
      seed: Number(m[1]),
      tumours: ref.presence === 0 ? 0 : [Math.max(1, tMin), tMax],
    });
    return await Promise.resolve(preprocess ? preprocessCase(c, preprocess) : c);
  };
  return new RefDataset({ name: "phantoms", refs, target: [2], seed, fractions, loader });
}
