/**
 * The on-disk dataset layouts: finding the cases (image, labels, weak label) of a LiTS folder, a
 * Medical Segmentation Decathlon (MSD) task folder, or a plain folder of images with a CSV of weak
 * labels, and telling the layouts apart. Nothing is decoded here: each lister returns the case
 * references that `dataset.ts` turns into a `Dataset`.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import type { CaseRef, FolderDatasetOptions } from "./dataset.ts";
import { DatasetError } from "./errors.ts";
import { exists, readRequiredText, requireDir, walkFiles } from "./dataset_files.ts";
import { readPresenceCsv } from "./presence_csv.ts";
import { isCaseFolderLayout } from "./case_folders.ts";
import { isImageMaskLayout } from "./image_mask_folders.ts";

/** The cases found in a dataset folder, with the layout's name and default target. */
export interface LayoutListing {
  /** Dataset name: `lits`, the MSD `name`, or the folder name. */
  name: string;
  /** One reference per case, with unique ids (order not significant). */
  refs: CaseRef[];
  /** The layout's default target label value(s). */
  defaultTarget: number | readonly number[];
  /** Where the default target comes from, for the user (e.g. `dataset.json labels named tumour`). */
  defaultTargetSource: string;
}

/** The layout {@link detectLayout} found, and the dataset folder. */
export interface DetectedLayout {
  /**
   * `msd` (a dataset.json), `lits` (volume-N files), `case-folders` (`<case>/<modality>_image.nii[.gz]`,
   * see case_folders.ts), `image-mask` (2D JPEG slices in `images/` with `masks/`, see
   * image_mask_folders.ts) or `folder` (anything else).
   */
  layout: "msd" | "lits" | "case-folders" | "image-mask" | "folder";
  /** The dataset folder (the folder of a given dataset.json). */
  dir: string;
}

const NIFTI = /\.nii(\.gz)?$/;
const stemOf = (name: string): string => name.replace(NIFTI, "");

/** Throws naming both files when case `id`, given by `path`, is already given by `other`. */
function checkUnique(id: string, path: string, other: string | undefined): void {
  if (other !== undefined) {
    throw new DatasetError(path, `gives case id "${id}", as does ${other}`, "unique case ids");
  }
}

/** Adds `ref` to `byId`, or throws naming both image files when the id is taken. */
function addUniqueRef(byId: Map<string, CaseRef>, ref: CaseRef): void {
  checkUnique(ref.id, ref.imagePath, byId.get(ref.id)?.imagePath);
  byId.set(ref.id, ref);
}

const LITS_VOLUME = /^volume-(\d+)\.nii(\.gz)?$/, LITS_SEG = /^segmentation-(\d+)\.nii(\.gz)?$/;

/**
 * The cases of a LiTS folder (see `openLitsDataset`): `volume-N.nii[.gz]` with
 * `segmentation-N.nii[.gz]`, in `dir` or its subfolders (4 levels); ids `lits-N`; default target 2.
 *
 * @throws {DatasetError} when `dir` is missing or holds no volume, a volume has no segmentation (or a
 *   segmentation no volume), or two files give the same N
 */
export async function listLitsCases(dir: string): Promise<LayoutListing> {
  await requireDir(dir);
  const volumes = new Map<string, CaseRef>(), segs = new Map<string, string>();
  for (const path of await walkFiles(dir, 4)) {
    const name = basename(path);
    const v = LITS_VOLUME.exec(name), s = LITS_SEG.exec(name);
    if (v) addUniqueRef(volumes, { id: `lits-${Number(v[1])}`, imagePath: path });
    if (s) {
      const id = `lits-${Number(s[1])}`;
      checkUnique(id, path, segs.get(id));
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
  return { name: "lits", refs, defaultTarget: 2, defaultTargetSource: "the LiTS default (2: tumour)" };
}

/** The foreground labels (value 1..255 -> name) of an MSD `labels` object (v1 `{"2":"cancer"}` or v2 `{"tumor":2}`). */
function msdLabelNames(labels: unknown): Map<number, string> {
  const out = new Map<number, string>();
  if (typeof labels !== "object" || labels === null) return out;
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    if (typeof v === "string" && /^\d+$/.test(k)) out.set(Number(k), v);
    else for (const n of [v].flat()) if (typeof n === "number") out.set(n, k);
  }
  for (const n of out.keys()) if (!(Number.isInteger(n) && n >= 1 && n <= 255)) out.delete(n);
  return out;
}

/**
 * The default target of an MSD dataset.json: every label named tumour/tumor/cancer (else 1), and a
 * source line naming the labels chosen and, when the rule leaves some foreground labels out, those too
 * (so a subset, such as BraTS's tumour labels without oedema, is never chosen silently).
 */
export function msdDefaultTarget(labels: unknown): { target: number[]; source: string } {
  const names = msdLabelNames(labels);
  const show = (ns: number[]) => ns.map((n) => `${n} "${names.get(n)}"`).join(", ");
  const target = [...names.keys()].filter((n) => /tumou?r|cancer/i.test(names.get(n)!)).sort((a, b) => a - b);
  if (target.length === 0) {
    return { target: [1], source: "default 1 (no label of dataset.json is named tumour, tumor or cancer)" };
  }
  const left = [...names.keys()].filter((n) => !target.includes(n)).sort((a, b) => a - b);
  return {
    target,
    source: `dataset.json labels named tumour/tumor/cancer: ${show(target)}` +
      (left.length ? `; NOT included: ${show(left)} (add them with --target)` : ""),
  };
}

/** The parsed dataset.json of an MSD folder. */
async function readMsdJson(jsonPath: string): Promise<Record<string, unknown>> {
  const text = await readRequiredText(jsonPath, "is missing", "an MSD dataset.json");
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
  return json;
}

/**
 * The cases of an MSD task folder (see `openMsdDataset`), from its `dataset.json` `training` list;
 * ids are image file stems; default target every label named tumour/tumor/cancer, else 1.
 *
 * @throws {DatasetError} when dataset.json is missing, not JSON, has no `training` list, an entry is
 *   malformed or names a missing file, the list is empty, or two entries give the same id
 */
export async function listMsdCases(dir: string): Promise<LayoutListing> {
  await requireDir(dir);
  const jsonPath = join(dir, "dataset.json");
  const json = await readMsdJson(jsonPath);
  const found = msdDefaultTarget(json.labels);
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
    addUniqueRef(byId, { id: stemOf(basename(imagePath)), imagePath, ...(labelsPath ? { labelsPath } : {}) });
  }
  if (byId.size === 0) throw new DatasetError(jsonPath, 'has an empty "training" list', "at least one case");
  const name = typeof json.name === "string" ? json.name : basename(dir);
  return { name, refs: [...byId.values()], defaultTarget: found.target, defaultTargetSource: found.source };
}

/**
 * The cases of a folder of images (see `openFolderDataset` for the rules), with presence from the
 * CSV (`options.csv`, else `<dir>/labels.csv` when it exists) on the cases it names; default target 1.
 *
 * @throws {DatasetError} when `dir` is missing or holds no image, two files give one id, a case has two
 *   label files, a label file has no image, an explicit `csv` is missing, or a CSV row is malformed or
 *   names no case (the error names `<csv>:<line>`)
 */
export async function listFolderCases(
  dir: string,
  options: Pick<FolderDatasetOptions, "csv" | "imageSuffix" | "labelSuffix" | "channels"> = {},
): Promise<LayoutListing> {
  await requireDir(dir);
  const channels = options.channels;
  if (channels !== undefined) checkChannelNames(channels, options.imageSuffix);
  const imageSuffix = channels ? `_${channels[0]}` : options.imageSuffix ?? "";
  const labelSuffix = options.labelSuffix ?? "_seg";
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
    const channelPaths = channels ? await channelFiles(imagePath, id, channels) : undefined;
    addUniqueRef(byId, {
      id,
      imagePath,
      ...(candidates.length ? { labelsPath: candidates[0] } : {}),
      ...(channelPaths ? { channelPaths } : {}),
    });
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
      const modalities = await siblingModalities(p, labelSuffix);
      if (modalities.length > 0 && channels === undefined) {
        throw new DatasetError(
          p,
          `belongs to a case with several images (${modalities.join(", ")}), and no channel was chosen`,
          `the channels to read, e.g. --channels ${modalities[0]} or --channels ${modalities.join(",")}`,
        );
      }
      throw new DatasetError(p, "is a label file with no matching image", "an image for every label file");
    }
  }
  const csv = options.csv ?? join(dir, "labels.csv");
  if (options.csv !== undefined || await exists(csv)) {
    // The CSV may name a case by its id, its image file name or that name's stem.
    const idOf = new Map<string, string>();
    for (const r of byId.values()) {
      for (const name of [r.id, basename(r.imagePath), stemOf(basename(r.imagePath))]) idOf.set(name, r.id);
    }
    for (const [id, presence] of await readPresenceCsv(csv, idOf, dir)) {
      byId.set(id, { ...byId.get(id)!, presence });
    }
  }
  return {
    name: basename(dir),
    refs: [...byId.values()],
    defaultTarget: 1,
    defaultTargetSource: "the folder default (1)",
  };
}

/** Throws unless `channels` are distinct names of letters, digits and `-` (and no imageSuffix is set too). */
function checkChannelNames(channels: readonly string[], imageSuffix: string | undefined): void {
  const ok = channels.length > 0 && channels.every((c) => /^[A-Za-z0-9_-]+$/.test(c)) &&
    new Set(channels).size === channels.length;
  if (!ok) {
    throw new DatasetError(
      "channels",
      `is ${JSON.stringify(channels)}`,
      "distinct modality names such as flair,t1ce,t2",
    );
  }
  if (imageSuffix !== undefined) {
    throw new DatasetError("channels", "is given with imageSuffix", "one of channels or imageSuffix");
  }
}

/** The file of every channel of case `id`, in `channels` order: `<id>_<channel>.nii[.gz]` beside `imagePath`. */
async function channelFiles(imagePath: string, id: string, channels: readonly string[]): Promise<string[]> {
  const out = [imagePath];
  for (const channel of channels.slice(1)) {
    const candidates = [".nii", ".nii.gz"].map((ext) => join(dirname(imagePath), `${id}_${channel}${ext}`));
    const found: string[] = [];
    for (const p of candidates) if (await exists(p)) found.push(p);
    if (found.length !== 1) {
      throw new DatasetError(
        imagePath,
        found.length ? `has two ${channel} files: ${found.join(", ")}` : `has no ${channel} channel file`,
        `one ${id}_${channel}.nii or .nii.gz beside it`,
      );
    }
    out.push(found[0]);
  }
  return out;
}

/** The modalities `m` of the files `<id>_<m>.nii[.gz]` beside the label file `<id><labelSuffix>.nii[.gz]`. */
async function siblingModalities(labelPath: string, labelSuffix: string): Promise<string[]> {
  const stem = stemOf(basename(labelPath));
  if (labelSuffix === "" || !stem.endsWith(labelSuffix)) return [];
  const prefix = `${stem.slice(0, stem.length - labelSuffix.length)}_`;
  const names = (await walkFiles(dirname(labelPath), 0)).filter((p) => NIFTI.test(p))
    .map((p) => stemOf(basename(p)));
  return names.filter((s) => s !== stem && s.startsWith(prefix)).map((s) => s.slice(prefix.length)).sort();
}

/**
 * The layout of a dataset path: a `dataset.json` (or a path to one) is MSD, a folder holding
 * `volume-N.nii[.gz]` files (searched as {@link listLitsCases} does) is LiTS, a folder whose
 * subfolders hold `<modality>_image.nii[.gz]` files not named after the subfolder is case folders
 * (`isCaseFolderLayout`), `images/` and `masks/` subfolders of JPEG slices are image-mask
 * (`isImageMaskLayout`), anything else a folder.
 *
 * @throws {DatasetError} when `spec` does not exist or is a file other than a dataset.json
 */
export async function detectLayout(spec: string): Promise<DetectedLayout> {
  if (basename(spec) === "dataset.json" && (await exists(spec))) return { layout: "msd", dir: dirname(spec) };
  await requireDir(spec);
  if (await exists(join(spec, "dataset.json"))) return { layout: "msd", dir: spec };
  if ((await walkFiles(spec, 4)).some((p) => LITS_VOLUME.test(basename(p)))) {
    return { layout: "lits", dir: spec };
  }
  if (await isCaseFolderLayout(spec)) return { layout: "case-folders", dir: spec };
  if (await isImageMaskLayout(spec)) return { layout: "image-mask", dir: spec };
  return { layout: "folder", dir: spec };
}
