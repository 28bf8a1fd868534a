/**
 * Animated PNG (APNG, https://wiki.mozilla.org/APNG_Specification) from frames of one size, built on
 * the PNG encoder: each frame is encoded by {@link encodePng} and its IDAT payload reused — as IDAT
 * for the first frame (so viewers without APNG support show it as a still image) and as `fdAT` for
 * the others — with `acTL` (frame and loop count) and one `fcTL` (full-frame rectangle, delay, no
 * disposal, source blending) per frame; `fcTL` and `fdAT` share one sequence counter from 0.
 *
 * @module
 */
import { writeFileAtomic } from "../data/atomic_write.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { encodePng, PNG_SIGNATURE, pngChunk, type RgbaFrame, type RgbFrame } from "./png.ts";

/** Options of {@link encodeApng}. */
export interface ApngOptions {
  /** Display time of every frame in milliseconds (integer 1..65535), or one per frame; default 200. */
  readonly delayMs?: number | readonly number[];
  /** Times the animation plays; 0 (default) loops forever. */
  readonly loops?: number;
}

/** The IHDR chunk (whole, with length and CRC) and the concatenated IDAT payloads of a PNG. */
function pngParts(png: Uint8Array): { ihdr: Uint8Array; idat: Uint8Array } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let offset = PNG_SIGNATURE.length, ihdr: Uint8Array = new Uint8Array(0);
  const idats: Uint8Array[] = [];
  while (offset < png.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    if (type === "IHDR") ihdr = png.subarray(offset, offset + 12 + length);
    if (type === "IDAT") idats.push(png.subarray(offset + 8, offset + 8 + length));
    offset += 12 + length;
  }
  const idat = new Uint8Array(idats.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of idats) {
    idat.set(p, at);
    at += p.length;
  }
  return { ihdr, idat };
}

function u32s(...values: number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(4 * i, v));
  return out;
}

/** An fcTL body: sequence, full-frame size at (0, 0), delay `ms`/1000 s, dispose none, blend source. */
function frameControl(sequence: number, width: number, height: number, ms: number): Uint8Array {
  const body = new Uint8Array(26);
  body.set(u32s(sequence, width, height, 0, 0), 0);
  const view = new DataView(body.buffer);
  view.setUint16(20, ms);
  view.setUint16(22, 1000);
  body[24] = 0; // APNG_DISPOSE_OP_NONE
  body[25] = 0; // APNG_BLEND_OP_SOURCE
  return body;
}

function validate(frames: readonly (RgbaFrame | RgbFrame)[], options: ApngOptions): number[] {
  if (frames.length === 0) {
    throw new InvalidArgumentError("encodeApng(frames)", "is empty", "at least one frame");
  }
  const { width, height } = frames[0];
  frames.forEach((f, k) => {
    if (f.width !== width || f.height !== height) {
      throw new InvalidArgumentError(
        `encodeApng(frames[${k}])`,
        `is ${f.width}x${f.height}`,
        `the first frame's size ${width}x${height}`,
      );
    }
  });
  const d = options.delayMs ?? 200;
  const delays = typeof d === "number" ? frames.map(() => d) : [...d];
  if (delays.length !== frames.length || !delays.every((v) => Number.isInteger(v) && v >= 1 && v <= 65535)) {
    throw new InvalidArgumentError(
      "encodeApng(options.delayMs)",
      `is ${JSON.stringify(d)}`,
      `an integer 1..65535 (ms) or one per frame (${frames.length})`,
    );
  }
  const loops = options.loops ?? 0;
  if (!(Number.isInteger(loops) && loops >= 0 && loops < 2 ** 31)) {
    throw new InvalidArgumentError(
      "encodeApng(options.loops)",
      `is ${loops}`,
      "an integer >= 0 (0 = forever)",
    );
  }
  return delays;
}

/**
 * Encodes frames (all the same size; RGB frames are encoded opaque) as an 8-bit RGBA APNG that
 * shows each frame for its delay and loops `options.loops` times (0 = forever).
 * @throws {InvalidArgumentError} for no frame, frames of different sizes, a bad delay or loop count,
 * or a frame `encodePng` rejects
 */
export function encodeApng(frames: readonly (RgbaFrame | RgbFrame)[], options: ApngOptions = {}): Uint8Array {
  const delays = validate(frames, options);
  const { width, height } = frames[0];
  const parts: Uint8Array[] = [Uint8Array.from(PNG_SIGNATURE)];
  let sequence = 0;
  frames.forEach((frame, k) => {
    const { ihdr, idat } = pngParts(encodePng(frame));
    if (k === 0) parts.push(ihdr, pngChunk("acTL", u32s(frames.length, options.loops ?? 0)));
    parts.push(pngChunk("fcTL", frameControl(sequence++, width, height, delays[k])));
    if (k === 0) {
      parts.push(pngChunk("IDAT", idat));
    } else {
      const body = new Uint8Array(4 + idat.length);
      body.set(u32s(sequence++), 0);
      body.set(idat, 4);
      parts.push(pngChunk("fdAT", body));
    }
  });
  parts.push(pngChunk("IEND", new Uint8Array(0)));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Encodes frames as an APNG ({@link encodeApng}) and writes it to `path` atomically (the folder must
 * exist). Encoding errors are thrown before anything is written.
 */
export async function writeApng(
  path: string,
  frames: readonly (RgbaFrame | RgbFrame)[],
  options: ApngOptions = {},
): Promise<void> {
  await writeFileAtomic(path, encodeApng(frames, options));
}
