/**
 * Reading an image or label file of any format the datasets hold, chosen by the file extension:
 * `.jpg` / `.jpeg` through data/jpeg.ts (a grey volume `[1, H, W]`; a mask thresholded at 128),
 * everything else as NIfTI (data/nifti_read.ts).
 *
 * @module
 */
import { readJpeg, readJpegMask } from "./jpeg.ts";
import { readNifti, readNiftiLabels, type ReadNiftiOptions } from "./nifti_read.ts";
import type { Labels, Volume } from "./types.ts";

const JPEG = /\.jpe?g$/i;

/** True when `path` names a JPEG file (by extension, case-insensitive). */
export function isJpegPath(path: string): boolean {
  return JPEG.test(path);
}

/**
 * Reads an image: a JPEG as a grey volume `[1, H, W]` (z,y,x), values 0..255 as stored, spacing
 * `[1, 1, 1]` (JPEG pixels are always finite, so `nonFinite` does not apply); else a NIfTI volume.
 * @throws {JpegError} or {NiftiError} naming the file when it cannot be read or decoded
 */
export async function readImageFile(path: string, options: ReadNiftiOptions = {}): Promise<Volume> {
  if (isJpegPath(path)) return await readJpeg(path, options.id === undefined ? {} : { id: options.id });
  return await readNifti(path, options);
}

/**
 * Reads voxel labels: a JPEG mask as labels `[1, H, W]`, 1 where the grey value is >= 128 (lossy JPEG)
 * else 0; else NIfTI labels as stored.
 * @throws {JpegError} or {NiftiError} naming the file when it cannot be read or decoded
 */
export async function readLabelFile(path: string, options: { id?: string } = {}): Promise<Labels> {
  if (isJpegPath(path)) return await readJpegMask(path, options.id === undefined ? {} : { id: options.id });
  return await readNiftiLabels(path, options);
}
