/**
 * The 2D image/mask folder layout: JPEG slices and their masks in two sibling folders, paired by
 * file name (the liver-tumour slices of `../shared/data/real/liver_tumour_2d`, from
 * sarah-antillia/Image-Segmentation-Liver-Tumor, Medical Segmentation Decathlon Task03, CC BY-SA 4.0):
 *
 * ```
 * <dir>/images/<name>.jpg   a grey slice, 0..255 as stored (data/jpeg.ts: shape [1, H, W])
 * <dir>/masks/<name>.jpg    its mask: target (label 1) where the grey value is >= 128 (JPEG is lossy)
 * ```
 *
 * Case ids are the file stems. Slices of one patient must not fall in different splits (the liver
 * set holds up to four slices per patient, neighbours and their flipped or mirrored copies), so each
 * ref carries a `group`: the first run of 4 or more digits of the stem (`flipped_10001_103` ->
 * `10001`), else the stem itself (then every slice is its own group).
 *
 * @module
 */
import { basename, extname, join } from "node:path";
import type { CaseRef } from "./dataset.ts";
import type { LayoutListing } from "./dataset_layouts.ts";
import { exists, requireDir } from "./dataset_files.ts";
import { DatasetError } from "./errors.ts";

const JPEG = /\.jpe?g$/i;

/** The JPEG file names directly in `dir` (hidden files skipped), sorted. */
async function jpegNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && !e.name.startsWith(".") && JPEG.test(e.name)) names.push(e.name);
  }
  return names.sort();
}

/** The stem of a file name (without its extension). */
const stemOf = (name: string): string => name.slice(0, name.length - extname(name).length);

/** The patient group of a slice stem: its first run of >= 4 digits, else the stem (see the module doc). */
export function sliceGroup(stem: string): string {
  return /\d{4,}/.exec(stem)?.[0] ?? stem;
}

/** True when `dir` has `images/` and `masks/` subfolders and `images/` holds a JPEG file. */
export async function isImageMaskLayout(dir: string): Promise<boolean> {
  const images = join(dir, "images"), masks = join(dir, "masks");
  if (!(await exists(images)) || !(await exists(masks))) return false;
  if (!(await Deno.stat(images)).isDirectory || !(await Deno.stat(masks)).isDirectory) return false;
  return (await jpegNames(images)).length > 0;
}

/**
 * The cases of an image/mask folder (see the module doc): one ref per `images/<name>.jpg`, with
 * `labelsPath` `masks/<name>.jpg` (the same file name) and a patient `group`. Default target 1.
 *
 * @throws {DatasetError} naming the file when an image has no mask of the same name, a mask has no
 *   image, two files give one case id (`a.jpg` and `a.jpeg`), or when `images/` holds no JPEG
 */
export async function listImageMaskCases(dir: string): Promise<LayoutListing> {
  await requireDir(dir);
  const imagesDir = join(dir, "images"), masksDir = join(dir, "masks");
  await requireDir(imagesDir);
  await requireDir(masksDir);
  const images = await jpegNames(imagesDir), masks = new Set(await jpegNames(masksDir));
  const imageNames = new Set(images);
  if (images.length === 0) {
    throw new DatasetError(imagesDir, "holds no .jpg or .jpeg file", "JPEG slices, paired with masks/");
  }
  const byId = new Map<string, CaseRef>();
  for (const name of images) {
    const imagePath = join(imagesDir, name), id = stemOf(name);
    const other = byId.get(id);
    if (other) {
      throw new DatasetError(imagePath, `gives case id "${id}", as does ${other.imagePath}`, "unique ids");
    }
    if (!masks.has(name)) {
      throw new DatasetError(imagePath, `has no mask ${join(masksDir, name)}`, "a mask of the same name");
    }
    byId.set(id, { id, imagePath, labelsPath: join(masksDir, name), group: sliceGroup(id) });
  }
  for (const name of masks) {
    if (!imageNames.has(name)) {
      throw new DatasetError(
        join(masksDir, name),
        `has no image ${join(imagesDir, name)}`,
        "an image per mask",
      );
    }
  }
  return {
    name: basename(dir),
    refs: [...byId.values()],
    defaultTarget: 1,
    defaultTargetSource: "the JPEG masks (grey value >= 128 is 1)",
  };
}
