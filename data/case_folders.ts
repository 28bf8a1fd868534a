/**
 * The case-folder layout: one folder per case, named by the case id, holding one image and one
 * mask per modality with the SAME file names in every case (the soft-tissue-sarcoma CT/MR/PET set:
 * `STS_001/CT_image.nii.gz`, `STS_001/CT_mask.nii.gz`, `STS_001/MR_T1_image.nii.gz`, ...):
 *
 * ```
 * <dir>/<case>/<modality>_image.nii[.gz]   the image of one modality (CT in HU, MR, PET)
 * <dir>/<case>/<modality>_mask.nii[.gz]    its voxel labels, on that image's grid (optional)
 * ```
 *
 * Unlike BraTS folders (`<case>/<case>_flair.nii.gz`), the file names do not carry the case id, so
 * the id is the folder name. The modalities read are `channels` in order; the target labels come
 * from the FIRST channel's mask (each modality has its own grid and mask). Without `channels`, a
 * folder of one modality is read as it is, and several modalities are a typed error naming them.
 *
 * @module
 */
import { basename, join } from "node:path";
import type { CaseRef } from "./dataset.ts";
import type { LayoutListing } from "./dataset_layouts.ts";
import { requireDir } from "./dataset_files.ts";
import { DatasetError } from "./errors.ts";

const IMAGE = /^(.+)_image\.nii(\.gz)?$/;
const MASK = /^(.+)_mask\.nii(\.gz)?$/;
const NIFTI = /\.nii(\.gz)?$/;

/** The NIfTI files of one case folder, by modality. */
interface CaseFolder {
  readonly id: string;
  readonly dir: string;
  /** modality -> image paths (more than one: `.nii` and `.nii.gz` both present, an error when read). */
  readonly images: Map<string, string[]>;
  /** modality -> mask paths. */
  readonly masks: Map<string, string[]>;
}

/** The visible subfolders and NIfTI files directly in `dir`. */
async function entries(dir: string): Promise<{ folders: string[]; niftis: string[] }> {
  const folders: string[] = [], niftis: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(".")) continue;
    if (e.isDirectory) folders.push(e.name);
    else if (e.isFile && NIFTI.test(e.name)) niftis.push(e.name);
  }
  return { folders: folders.sort(), niftis: niftis.sort() };
}

/** Adds `path` under `key` of `map`. */
function push(map: Map<string, string[]>, key: string, path: string): void {
  map.set(key, [...(map.get(key) ?? []), path]);
}

/** The case folder `<dir>/<id>`: its images and masks by modality (other files are not read). */
async function readCaseFolder(dir: string, id: string): Promise<CaseFolder> {
  const folder = join(dir, id);
  const images = new Map<string, string[]>(), masks = new Map<string, string[]>();
  for (const name of (await entries(folder)).niftis) {
    const image = IMAGE.exec(name), mask = MASK.exec(name);
    if (image) push(images, image[1], join(folder, name));
    else if (mask) push(masks, mask[1], join(folder, name));
    else {
      throw new DatasetError(
        join(folder, name),
        "is a NIfTI file of a case folder named neither <modality>_image nor <modality>_mask",
        "<modality>_image.nii[.gz] and <modality>_mask.nii[.gz] files (e.g. CT_image.nii.gz)",
      );
    }
  }
  return { id, dir: folder, images, masks };
}

/** The single path of `paths`, undefined for none, or a typed error naming the duplicates. */
function single(paths: readonly string[] | undefined, what: string, folder: string): string | undefined {
  if (!paths || paths.length === 0) return undefined;
  if (paths.length > 1) {
    throw new DatasetError(folder, `has several ${what} files: ${paths.join(", ")}`, "one");
  }
  return paths[0];
}

/** True when a subfolder of `dir` holds a `<modality>_image.nii[.gz]` not named after that folder. */
export async function isCaseFolderLayout(dir: string): Promise<boolean> {
  for (const id of (await entries(dir)).folders) {
    for (const name of (await entries(join(dir, id))).niftis) {
      if (IMAGE.test(name) && !name.startsWith(`${id}_`)) return true;
    }
  }
  return false;
}

/** Throws unless `channels` are distinct, non-empty modality names (letters, digits, `_`, `-`). */
function checkModalityNames(channels: readonly string[]): void {
  if (
    !(channels.length > 0 && channels.every((c) => /^[A-Za-z0-9_-]+$/.test(c)) &&
      new Set(channels).size === channels.length)
  ) {
    throw new DatasetError(
      "channels",
      `is ${JSON.stringify(channels)}`,
      "distinct modality names such as CT",
    );
  }
}

/** The modalities any case folder has an image of, sorted. */
function modalitiesOf(cases: readonly CaseFolder[]): string[] {
  return [...new Set(cases.flatMap((c) => [...c.images.keys()]))].sort();
}

/**
 * The cases of a case-folder dataset (see the module doc). Ids are the folder names; `imagePath` is
 * the first channel's image, `channelPaths` every channel's (when there are several), `labelsPath`
 * the first channel's mask when present. Subfolders without any NIfTI file are not cases and are
 * skipped. Default target 1 (the STS masks: 1 = gross tumour volume).
 *
 * @param channels modalities to read, in channel order (e.g. `["CT"]`); default: the one modality of
 *   the folders
 * @throws {DatasetError} when `dir` is missing, holds NIfTI files beside the case folders or no case,
 *   a case folder has a NIfTI file of another name, two files of one modality (`.nii` and `.nii.gz`),
 *   or no image of a chosen channel, or when `channels` is unset and the folders hold several modalities
 */
export async function listCaseFolderCases(
  dir: string,
  channels?: readonly string[],
): Promise<LayoutListing> {
  await requireDir(dir);
  if (channels !== undefined) checkModalityNames(channels);
  const top = await entries(dir);
  if (top.niftis.length > 0) {
    throw new DatasetError(
      join(dir, top.niftis[0]),
      "is a NIfTI file beside the case folders",
      "every image inside its case folder (<case>/<modality>_image.nii.gz)",
    );
  }
  const cases: CaseFolder[] = [];
  for (const id of top.folders) {
    const c = await readCaseFolder(dir, id);
    if (c.images.size > 0 || c.masks.size > 0) cases.push(c);
  }
  if (cases.length === 0) {
    throw new DatasetError(dir, "holds no case folder with a <modality>_image.nii[.gz]", "case folders");
  }
  const modalities = modalitiesOf(cases);
  if (channels === undefined && modalities.length > 1) {
    throw new DatasetError(
      dir,
      `holds case folders with several modalities (${modalities.join(", ")}), and no channel was chosen`,
      `the channels to read, e.g. --channels ${modalities[0]} (its mask is the target)`,
    );
  }
  const chosen = channels ?? modalities;
  const refs: CaseRef[] = cases.map((c) => {
    const paths = chosen.map((m) => {
      const path = single(c.images.get(m), `${m}_image`, c.dir);
      if (path === undefined) {
        throw new DatasetError(
          c.dir,
          `has no ${m}_image.nii[.gz] (it has: ${[...c.images.keys()].sort().join(", ") || "no image"})`,
          `a ${m} image in every case folder`,
        );
      }
      return path;
    });
    const labelsPath = single(c.masks.get(chosen[0]), `${chosen[0]}_mask`, c.dir);
    return {
      id: c.id,
      imagePath: paths[0],
      ...(labelsPath ? { labelsPath } : {}),
      ...(paths.length > 1 ? { channelPaths: paths } : {}),
    };
  });
  return {
    name: basename(dir),
    refs,
    defaultTarget: 1,
    defaultTargetSource: `the case folders' ${chosen[0]}_mask default (1)`,
  };
}
