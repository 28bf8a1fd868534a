/**
 * A small PNG codec for rendered frames: encodes 8-bit RGBA (colour type 6) and decodes the
 * non-interlaced 8-bit greyscale, grey+alpha, RGB and RGBA files that tools and tests need.
 * Compression is zlib via `node:zlib`; the CRC-32 of each chunk is computed here.
 *
 * @module
 */
import { deflateSync, inflateSync } from "node:zlib";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { InvalidArgumentError } from "../data/errors.ts";

/**
 * An 8-bit RGBA image: `width * height * 4` bytes, row-major, top row first, channels R,G,B,A
 * (alpha 255 = opaque, not premultiplied).
 */
export interface RgbaFrame {
  /** Width in pixels (> 0). */
  readonly width: number;
  /** Height in pixels (> 0). */
  readonly height: number;
  /** `width * height * 4` bytes, pixel (x, y) at `(y * width + x) * 4`. */
  readonly data: Uint8ClampedArray;
}

/**
 * An 8-bit RGB image, Gymnasium's `rgb_array`: an H x W x 3 array (row-major, top row first,
 * channels R,G,B), `width * height * 3` bytes.
 */
export interface RgbFrame {
  /** Width W in pixels (> 0). */
  readonly width: number;
  /** Height H in pixels (> 0). */
  readonly height: number;
  /** Always 3. */
  readonly channels: 3;
  /** `height * width * 3` bytes, pixel (x, y) at `(y * width + x) * 3`. */
  readonly data: Uint8Array;
}

/**
 * The RGB frame of an RGBA frame: each pixel composited over black (`c * alpha / 255`, rounded),
 * which for opaque pixels (all the renderer draws) just drops alpha.
 * @throws {InvalidArgumentError} when `data.length !== width * height * 4`
 */
export function rgbaToRgb(frame: RgbaFrame): RgbFrame {
  validateFrame(frame, "rgbaToRgb(frame)");
  const n = frame.width * frame.height, src = frame.data;
  const data = new Uint8Array(n * 3);
  for (let i = 0, j = 0; i < n * 4; i += 4, j += 3) {
    const a = src[i + 3];
    if (a === 255) {
      data[j] = src[i];
      data[j + 1] = src[i + 1];
      data[j + 2] = src[i + 2];
    } else {
      data[j] = Math.round(src[i] * a / 255);
      data[j + 1] = Math.round(src[i + 1] * a / 255);
      data[j + 2] = Math.round(src[i + 2] * a / 255);
    }
  }
  return { width: frame.width, height: frame.height, channels: 3, data };
}

/** The opaque RGBA frame of an RGB frame (alpha 255); an RGBA frame is returned as is. */
export function rgbToRgba(frame: RgbaFrame | RgbFrame): RgbaFrame {
  if (!("channels" in frame && frame.channels === 3)) return frame as RgbaFrame;
  const n = frame.width * frame.height;
  if (!frame.data || frame.data.length !== n * 3) {
    throw new InvalidArgumentError(
      "frame.data",
      `has length ${frame.data?.length}`,
      `width * height * 3 = ${n * 3} bytes (an RGB frame)`,
    );
  }
  const data = new Uint8ClampedArray(n * 4);
  for (let i = 0, j = 0; j < n * 3; i += 4, j += 3) {
    data[i] = frame.data[j];
    data[i + 1] = frame.data[j + 1];
    data[i + 2] = frame.data[j + 2];
    data[i + 3] = 255;
  }
  return { width: frame.width, height: frame.height, data };
}

/** The 8-byte PNG signature that starts every PNG (and APNG) file. */
export const PNG_SIGNATURE: readonly number[] = [137, 80, 78, 71, 13, 10, 26, 10];
/** PNG's own limit on width and height. */
const MAX_DIMENSION = 2 ** 31 - 1;
/** Our limit on decoded pixels (1 GiB of RGBA), so a corrupt header cannot request absurd memory. */
const MAX_DECODED_PIXELS = 2 ** 28;

let crcTable: Uint32Array | undefined;

function getCrcTable(): Uint32Array {
  if (crcTable) return crcTable;
  crcTable = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crcTable[n] = c >>> 0;
  }
  return crcTable;
}

/**
 * CRC-32 (ISO-HDLC / zlib / PNG: reflected polynomial 0xEDB88320, initial and final XOR
 * 0xFFFFFFFF) of `bytes`, as an unsigned 32-bit integer. `crc32("123456789") = 0xCBF43926`;
 * an empty input gives 0.
 */
export function crc32(bytes: Uint8Array): number {
  const table = getCrcTable();
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function validateFrame(frame: RgbaFrame, source: string): void {
  const { width, height } = frame;
  for (const [name, v] of [["width", width], ["height", height]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_DIMENSION) {
      throw new InvalidArgumentError(`${source}.${name}`, `got ${v}`, `an integer in 1..${MAX_DIMENSION}`);
    }
  }
  if (!frame.data || frame.data.length !== width * height * 4) {
    throw new InvalidArgumentError(
      `${source}.data`,
      `has length ${frame.data?.length}`,
      `width * height * 4 = ${width * height * 4} bytes`,
    );
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/** The byte predictor of filter `type` for byte i of a row (a: left, b: up, c: up-left). */
function predict(type: number, a: number, b: number, c: number): number {
  switch (type) {
    case 1:
      return a;
    case 2:
      return b;
    case 3:
      return (a + b) >>> 1;
    case 4:
      return paeth(a, b, c);
    default:
      return 0;
  }
}

/**
 * Filters one row with `type` and returns the sum of |residual as a signed byte| (the libpng
 * heuristic for choosing a filter); writes the residuals to `out[outOffset..]` when `out` is given.
 */
function filterRow(
  raw: Uint8ClampedArray,
  rowStart: number,
  prevStart: number, // -1 for the first row (the row above is all zeros)
  stride: number,
  bpp: number,
  type: number,
  out: Uint8Array | undefined,
  outOffset: number,
): number {
  let cost = 0;
  for (let i = 0; i < stride; i++) {
    const a = i >= bpp ? raw[rowStart + i - bpp] : 0;
    const b = prevStart >= 0 ? raw[prevStart + i] : 0;
    const c = i >= bpp && prevStart >= 0 ? raw[prevStart + i - bpp] : 0;
    const r = (raw[rowStart + i] - predict(type, a, b, c)) & 0xff;
    cost += r < 128 ? r : 256 - r;
    if (out) out[outOffset + i] = r;
  }
  return cost;
}

/**
 * One PNG chunk, whole: big-endian length, 4-letter type, body, CRC-32 of type and body.
 * @param type the chunk type (4 ASCII letters, e.g. "IDAT")
 */
export function pngChunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/**
 * Encodes a frame as an 8-bit RGBA PNG (colour type 6, non-interlaced). Each row gets the filter
 * (None, Sub, Up, Average or Paeth) with the smallest sum of absolute residuals; the filtered
 * data is deflated by zlib in a single IDAT chunk. Throws {@link InvalidArgumentError} when the
 * size is not a positive integer or `data.length !== width * height * 4` (`* 3` for an RGB frame,
 * encoded opaque).
 */
export function encodePng(input: RgbaFrame | RgbFrame): Uint8Array {
  const frame = rgbToRgba(input);
  validateFrame(frame, "encodePng(frame)");
  const { width, height, data } = frame;
  const stride = width * 4;
  const filtered = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const rowStart = y * stride, prevStart = y === 0 ? -1 : rowStart - stride;
    let best = 0, bestCost = Infinity;
    for (let type = 0; type <= 4; type++) {
      const cost = filterRow(data, rowStart, prevStart, stride, 4, type, undefined, 0);
      if (cost < bestCost) [best, bestCost] = [type, cost];
    }
    const outOffset = y * (stride + 1);
    filtered[outOffset] = best;
    filterRow(data, rowStart, prevStart, stride, 4, best, filtered, outOffset + 1);
  }
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8); // bit depth, colour type RGBA, deflate, adaptive filters, no interlace
  const idat = new Uint8Array(deflateSync(filtered));
  const parts = [
    Uint8Array.from(PNG_SIGNATURE),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", idat),
    pngChunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const SOURCE = "decodePng(bytes)";

function fail(problem: string, expected: string): never {
  throw new InvalidArgumentError(SOURCE, problem, expected);
}

/** Channels per pixel of the 8-bit colour types we decode. */
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/**
 * Decodes a PNG into RGBA. Supported: bit depth 8, colour types 0 (grey), 2 (RGB), 4 (grey+alpha)
 * and 6 (RGBA), no interlacing, all five row filters, IDAT split over several chunks. Every chunk's
 * CRC is checked; ancillary chunks (gamma, text, tRNS...) are skipped, so grey and RGB pixels come
 * back opaque. Throws {@link InvalidArgumentError} for a bad signature, CRC, truncation, an unknown
 * critical chunk, a palette image, another bit depth, interlacing, or data of the wrong length.
 */
export function decodePng(bytes: Uint8Array): RgbaFrame {
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    fail("does not start with the PNG signature", "bytes 89 50 4E 47 0D 0A 1A 0A");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8;
  let width = 0, height = 0, colourType = -1;
  const idatParts: Uint8Array[] = [];
  let sawEnd = false;
  while (!sawEnd) {
    if (offset + 12 > bytes.length) {
      fail(`is truncated at byte ${offset}`, "a complete chunk and an IEND chunk");
    }
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    if (offset + 12 + length > bytes.length) {
      fail(`chunk ${type} at byte ${offset} is truncated`, "its full length");
    }
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    const stored = view.getUint32(offset + 8 + length);
    if (crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== stored) {
      fail(`chunk ${type} at byte ${offset} has a bad CRC`, "the CRC-32 of its type and data");
    }
    if (offset === 8 && type !== "IHDR") fail(`first chunk is ${type}`, "IHDR first");
    if (type === "IHDR") {
      if (length !== 13) fail(`IHDR has length ${length}`, "13");
      width = view.getUint32(offset + 8);
      height = view.getUint32(offset + 12);
      const [depth, colour, compression, filterMethod, interlace] = body.subarray(8, 13);
      if (width < 1 || height < 1 || width > MAX_DIMENSION || height > MAX_DIMENSION) {
        fail(`has size ${width}x${height}`, "a width and height in 1..2^31-1");
      }
      if (width * height > MAX_DECODED_PIXELS) {
        fail(`has ${width * height} pixels`, `at most ${MAX_DECODED_PIXELS}`);
      }
      if (depth !== 8) fail(`has bit depth ${depth}`, "bit depth 8");
      if (!(colour in CHANNELS)) {
        fail(`has colour type ${colour}`, "0 (grey), 2 (RGB), 4 (grey+alpha) or 6 (RGBA)");
      }
      if (compression !== 0 || filterMethod !== 0) {
        fail("uses an unknown compression or filter method", "0 and 0");
      }
      if (interlace !== 0) fail("is interlaced (Adam7)", "a non-interlaced PNG");
      colourType = colour;
    } else if (type === "IDAT") {
      idatParts.push(body);
    } else if (type === "IEND") {
      sawEnd = true;
    } else if ((bytes[offset + 4] & 0x20) === 0) {
      fail(`has the unsupported critical chunk ${type}`, "only IHDR, IDAT and IEND as critical chunks");
    }
    offset += 12 + length;
  }
  if (idatParts.length === 0) fail("has no IDAT chunk", "at least one IDAT chunk");
  const channels = CHANNELS[colourType];
  const stride = width * channels;
  const expected = height * (stride + 1);
  const compressed = new Uint8Array(idatParts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of idatParts) {
    compressed.set(p, at);
    at += p.length;
  }
  let raw: Uint8Array;
  try {
    raw = new Uint8Array(inflateSync(compressed, { maxOutputLength: expected + 1 }));
  } catch (e) {
    fail(`image data does not inflate (${(e as Error).message})`, `a zlib stream of ${expected} bytes`);
  }
  if (raw.length !== expected) fail(`image data inflates to ${raw.length} bytes`, `${expected} bytes`);
  return toRgba(unfilter(raw, width, height, channels), width, height, channels);
}

/** Undoes the row filters in place; returns the unfiltered pixel bytes without filter-type bytes. */
function unfilter(raw: Uint8Array, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const type = raw[y * (stride + 1)];
    if (type > 4) fail(`row ${y} has filter type ${type}`, "a filter type 0..4");
    const src = y * (stride + 1) + 1, row = y * stride, prev = row - stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? pixels[row + i - bpp] : 0;
      const b = y > 0 ? pixels[prev + i] : 0;
      const c = i >= bpp && y > 0 ? pixels[prev + i - bpp] : 0;
      pixels[row + i] = (raw[src + i] + predict(type, a, b, c)) & 0xff;
    }
  }
  return pixels;
}

function toRgba(pixels: Uint8Array, width: number, height: number, channels: number): RgbaFrame {
  const n = width * height;
  const data = new Uint8ClampedArray(n * 4);
  for (let p = 0; p < n; p++) {
    const s = p * channels, d = p * 4;
    if (channels >= 3) {
      data[d] = pixels[s];
      data[d + 1] = pixels[s + 1];
      data[d + 2] = pixels[s + 2];
    } else {
      data[d] = data[d + 1] = data[d + 2] = pixels[s];
    }
    data[d + 3] = channels === 4 ? pixels[s + 3] : channels === 2 ? pixels[s + 1] : 255;
  }
  return { width, height, data };
}

/**
 * Encodes `frame` ({@link encodePng}) and writes it to `path` atomically (`writeFileAtomic`: a
 * temporary file in the same folder, then a rename), so readers never see a partial PNG. The folder
 * must exist. Encoding errors are thrown before anything is written; on a write error the temporary
 * file is removed.
 */
export async function writePng(path: string, frame: RgbaFrame | RgbFrame): Promise<void> {
  await writeFileAtomic(path, encodePng(frame));
}
