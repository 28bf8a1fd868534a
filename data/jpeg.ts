/**
 * Reading JPEG images (baseline or progressive, 8-bit, grey or colour) into a grey {@link Volume} of
 * depth 1, decoded by the pure-JS `jpeg-js` package. A 2D image is a volume of shape `[1, H, W]`
 * (z,y,x) with spacing `[1, 1, 1]` (JPEG has no physical pixel size) and a diagonal affine.
 *
 * Colour pixels become grey by the ITU-R BT.601 luma `Y = 0.299 R + 0.587 G + 0.114 B` (the Y of
 * JPEG's own YCbCr), so a grey picture stored as three components (R = G = B, as the liver-tumour
 * slices are) reads back as its grey values. Values stay as stored, 0..255, not rescaled.
 *
 * JPEG is lossy: a mask saved as JPEG holds values near 0 and 255, not exactly; {@link readJpegMask}
 * thresholds it (default >= 128).
 *
 * @module
 */
import { basename, extname } from "node:path";
import jpeg from "jpeg-js";
import { JpegError } from "./errors.ts";
import { diagonalAffine, type Labels, type Volume } from "./types.ts";

/** Largest image, in megapixels, that is decoded (a guard against hostile headers). */
export const JPEG_MAX_MEGAPIXELS: number = 100;

/** The BT.601 luma weights of R, G and B (they sum to 1). */
export const LUMA_WEIGHTS: readonly [number, number, number] = [0.299, 0.587, 0.114];

/** Options of {@link decodeJpeg} and the JPEG readers. */
export interface JpegReadOptions {
  /** Identifier of the result (default: the file stem, or `<bytes>`). */
  readonly id?: string;
}

/** The two JPEG start-of-image bytes. */
const SOI = [0xff, 0xd8];

/**
 * Decodes JPEG bytes to a grey volume `[1, H, W]` (z,y,x), values 0..255 as stored (colour through
 * BT.601 luma, see the module doc), spacing `[1, 1, 1]`.
 *
 * @param bytes the file's bytes
 * @param source the file path (or a name) used in errors
 * @throws {JpegError} naming `source` when the bytes are not a JPEG (no start-of-image marker), are
 *   truncated or corrupt, use an unsupported mode (e.g. 12-bit, 2 components), or exceed
 *   {@link JPEG_MAX_MEGAPIXELS}
 */
export function decodeJpeg(bytes: Uint8Array, source: string, options: JpegReadOptions = {}): Volume {
  if (bytes.length < 4 || bytes[0] !== SOI[0] || bytes[1] !== SOI[1]) {
    throw new JpegError(source, "does not start with the JPEG start-of-image marker FF D8", "a JPEG file");
  }
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    // Not tolerant: a truncated file is an error, not a partly grey image.
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: JPEG_MAX_MEGAPIXELS,
    });
  } catch (e) {
    throw new JpegError(source, `cannot be decoded (${(e as Error).message})`, "a valid 8-bit JPEG file");
  }
  const { width, height, data } = decoded;
  if (!(width > 0 && height > 0 && data.length === width * height * 3)) {
    throw new JpegError(source, `decodes to ${width}x${height} pixels`, "a non-empty image");
  }
  const grey = new Float32Array(width * height);
  const [wr, wg, wb] = LUMA_WEIGHTS;
  for (let i = 0, j = 0; i < grey.length; i++, j += 3) {
    grey[i] = wr * data[j] + wg * data[j + 1] + wb * data[j + 2];
  }
  const id = options.id ?? stem(source);
  return { id, shape: [1, height, width], spacing: [1, 1, 1], data: grey, affine: diagonalAffine([1, 1, 1]) };
}

/** The file name without its extension. */
function stem(path: string): string {
  const name = basename(path);
  return name.slice(0, name.length - extname(name).length);
}

/** The bytes of `path`, or a {@link JpegError} naming it. */
async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    throw new JpegError(path, `cannot be read (${(e as Error).message})`, "a readable JPEG file");
  }
}

/**
 * Reads a JPEG file as a grey volume `[1, H, W]` (see {@link decodeJpeg}); id: the file stem.
 * @throws {JpegError} naming `path` when it cannot be read or decoded
 */
export async function readJpeg(path: string, options: JpegReadOptions = {}): Promise<Volume> {
  return decodeJpeg(await readBytes(path), path, { id: options.id ?? stem(path) });
}

/** Options of {@link readJpegMask}. */
export interface JpegMaskOptions extends JpegReadOptions {
  /** Grey values >= this are label 1, the rest 0 (default 128: JPEG is lossy, see the module doc). */
  readonly threshold?: number;
}

/**
 * Reads a JPEG mask as labels `[1, H, W]`: 1 where the grey value is >= `threshold` (default 128),
 * else 0; spacing and affine as {@link readJpeg}.
 * @throws {JpegError} naming `path` when it cannot be read or decoded, or when `threshold` is not a
 *   number in (0, 255]
 */
export async function readJpegMask(path: string, options: JpegMaskOptions = {}): Promise<Labels> {
  const threshold = options.threshold ?? 128;
  if (!(threshold > 0 && threshold <= 255)) {
    throw new JpegError(path, `is read with mask threshold ${threshold}`, "a threshold in (0, 255]");
  }
  const grey = await readJpeg(path, options);
  const data = new Uint8Array(grey.data.length);
  for (let i = 0; i < data.length; i++) data[i] = grey.data[i] >= threshold ? 1 : 0;
  return { id: grey.id, shape: grey.shape, spacing: grey.spacing, data, affine: grey.affine };
}
