/**
 * Reading NIfTI-1 and NIfTI-2 single-file images (`.nii`, `.nii.gz`) into {@link Volume} and
 * {@link Labels}. Header fields are parsed by nifti-reader-js; the voxel data, the affine (chosen
 * as nibabel does) and every validation are ours, so that each failure is a typed error naming
 * the file.
 *
 * NIfTI stores x fastest, so its data order read as (k, j, i) is already our z,y,x order: shape is
 * `[dim[3], dim[2], dim[1]]`, spacing `[pixdim[3], pixdim[2], pixdim[1]]`, and no transpose is made.
 *
 * @module
 */
import { basename } from "node:path";
import { NiftiError } from "./errors.ts";
import { applyNonFinitePolicy, type NonFinitePolicy } from "./finite.ts";
import {
  checkNiftiExtensions,
  type NiftiHeaderInfo,
  type ParsedNiftiHeader,
  parseNiftiHeader,
} from "./nifti_header.ts";
import { loadNiftiBytes } from "./nifti_source.ts";
import { voxelView } from "./nifti_voxels.ts";
import type { Labels, Volume } from "./types.ts";

export type { NiftiDatatype } from "./nifti_voxels.ts";
export type { NiftiHeaderInfo } from "./nifti_header.ts";
export type { NonFinitePolicy } from "./finite.ts";

/** Default of {@link NiftiLoadOptions.maxBytes}: 2 GiB. */
export const DEFAULT_NIFTI_MAX_BYTES: number = 2 ** 31;

/** Options of every NIfTI reader: naming, and how strictly the file length is held to its header. */
export interface NiftiLoadOptions {
  /** Identifier of the result and name of a byte source in errors (default: file stem or `<bytes>`). */
  id?: string;
  /**
   * Accept (and ignore) bytes after the last voxel. Default false: the file (decompressed, for gzip)
   * must be exactly `vox_offset + dim[1]*dim[2]*dim[3]*bitpix/8` bytes long, so that a header whose
   * dims were shrunk or whose vox_offset was moved is refused instead of read as other data.
   */
  allowTrailingBytes?: boolean;
  /**
   * Largest file, in bytes after decompression, that the header may describe (default
   * {@link DEFAULT_NIFTI_MAX_BYTES}); a larger one is refused before anything is inflated.
   */
  maxBytes?: number;
}

/** Options of {@link readNifti} and {@link readNiftiWithInfo}. */
export interface ReadNiftiOptions extends NiftiLoadOptions {
  /**
   * What to do with NaN or +-Infinity voxels (after scaling), the policy of `data/finite.ts`:
   * `"error"` (default) throws `NonFiniteVoxelError`; `"zero"` replaces them with 0 (the count is
   * returned by {@link readNiftiWithInfo}).
   */
  nonFinite?: NonFinitePolicy;
}

/** Result of {@link readNiftiWithInfo}. */
export interface NiftiReadResult {
  /** The image, Float32 intensities after scl_slope/scl_inter. */
  volume: Volume;
  /** Header facts as stored in the file. */
  info: NiftiHeaderInfo;
  /** Number of NaN/Inf voxels that were replaced by 0 (always 0 with `nonFinite: "error"`). */
  nonFiniteCount: number;
}

/** A typed view of on-disk voxels in host byte order (any of the supported integer/float arrays). */
type RawArray = ArrayLike<number>;

/** A validated header plus a host-endian view of the voxels; shared by the Volume and Labels readers. */
interface ParsedNifti extends ParsedNiftiHeader {
  name: string;
  raw: RawArray;
}

function fail(name: string, problem: string, expected: string): never {
  throw new NiftiError(name, problem, expected);
}

/** Loads the bytes (bounded by the header), then checks extensions and the exact length. */
async function loadParsed(
  source: string | Uint8Array,
  name: string,
  options: NiftiLoadOptions,
): Promise<ParsedNifti> {
  const maxBytes = options.maxBytes ?? DEFAULT_NIFTI_MAX_BYTES;
  const bytes = await loadNiftiBytes(source, name, {
    allowTrailingBytes: options.allowTrailingBytes ?? false,
    expectedBytes: (head) => {
      const { fileBytes } = parseNiftiHeader(head, name);
      if (!(fileBytes <= maxBytes)) {
        fail(name, `header describes a ${fileBytes}-byte file`, `at most maxBytes = ${maxBytes} bytes`);
      }
      return fileBytes;
    },
  });
  const header = parseNiftiHeader(bytes, name);
  checkNiftiExtensions(bytes, header, name);
  const { voxOffset, fileBytes, count, spec, shape } = header;
  if (bytes.length < fileBytes) {
    fail(
      name,
      `truncated data: ${Math.max(0, bytes.length - voxOffset)} bytes after vox_offset ${voxOffset}`,
      `${fileBytes - voxOffset} bytes for ${shape[2]}x${shape[1]}x${shape[0]} ${spec.name} voxels`,
    );
  }
  return { ...header, name, raw: voxelView(bytes, voxOffset, count, spec, header.little) };
}

function sourceName(source: string | Uint8Array, id: string | undefined): string {
  return typeof source === "string" ? source : id ?? "<bytes>";
}

function defaultId(source: string | Uint8Array, id: string | undefined): string {
  if (id !== undefined) return id;
  if (typeof source !== "string") return "<bytes>";
  return basename(source).replace(/\.nii(\.gz)?$/i, "").replace(/\.gz$/i, "");
}

/** Loads and parses a source: `name` names it in errors, `id` is the id of the result. */
async function readParsed(
  source: string | Uint8Array,
  options: NiftiLoadOptions,
): Promise<ParsedNifti & { id: string }> {
  const name = sourceName(source, options.id);
  return { ...await loadParsed(source, name, options), id: defaultId(source, options.id) };
}

/**
 * Reads a NIfTI image and its header facts.
 *
 * @param source a file path, or the file's bytes (gzip detected by its magic bytes 1f 8b, not by name)
 * @param options `id` (default: file stem), the NaN/Inf policy `nonFinite` (default `"error"`),
 *   `allowTrailingBytes` (default false) and `maxBytes` (default {@link DEFAULT_NIFTI_MAX_BYTES})
 * @returns the volume (shape z,y,x = dim[3], dim[2], dim[1]; spacing z,y,x mm; Float32 values after
 *   scl_slope/scl_inter; affine as nibabel's `img.affine` except that without sform and qform it is
 *   diag(pixdim) with the origin at voxel 0), the header info and the number of non-finite voxels zeroed
 * @throws NiftiError naming the path (or `options.id` / `<bytes>`) for a missing file, bad magic,
 *   truncated header or data, unsupported datatype, bitpix that contradicts the datatype, non-3D
 *   dims, bad pixdim, vox_offset or quaternion, a header extension that is malformed or runs past
 *   vox_offset, a file (decompressed) longer than the header describes (unless `allowTrailingBytes`)
 *   or than `maxBytes`, and a corrupt, truncated or multi-member gzip stream or data after it. A gzip
 *   bomb is refused after inflating at most the length its header describes.
 * @throws NonFiniteVoxelError when voxels are NaN/Inf and `nonFinite` is `"error"`
 */
export async function readNiftiWithInfo(
  source: string | Uint8Array,
  options: ReadNiftiOptions = {},
): Promise<NiftiReadResult> {
  const parsed = await readParsed(source, options);
  const { name, raw, scaling, id, shape, spacing, affine } = parsed;
  const n = raw.length;
  let data: Float32Array;
  if (scaling === null) {
    data = new Float32Array(raw); // native typed conversion (copies, never aliases the file buffer)
  } else {
    data = new Float32Array(n);
    const { slope, inter } = scaling;
    for (let i = 0; i < n; i++) data[i] = raw[i] * slope + inter;
  }
  const canBeNonFinite = scaling !== null || parsed.info.datatype === "float32" ||
    parsed.info.datatype === "float64";
  const read: Volume = { id, shape, spacing, data, affine };
  if (!canBeNonFinite) return { volume: read, info: parsed.info, nonFiniteCount: 0 };
  const { volume, count } = applyNonFinitePolicy(read, name, options.nonFinite ?? "error");
  return { volume, info: parsed.info, nonFiniteCount: count };
}

/**
 * Reads a NIfTI intensity image as a {@link Volume} (Float32 values after scl_slope/scl_inter,
 * shape and spacing z,y,x). See {@link readNiftiWithInfo} for the affine rule and the errors.
 *
 * @param source a file path or the file's bytes (.nii or gzip-compressed)
 * @param options `id` and the NaN/Inf policy `nonFinite` (default `"error"`)
 */
export async function readNifti(
  source: string | Uint8Array,
  options: ReadNiftiOptions = {},
): Promise<Volume> {
  return (await readNiftiWithInfo(source, options)).volume;
}

/**
 * Reads a NIfTI label map as {@link Labels} (Uint8 values, shape and spacing z,y,x). Any datatype is
 * accepted as long as every value, after scl_slope/scl_inter, is an integer in 0..255.
 *
 * @param source a file path or the file's bytes (.nii or gzip-compressed)
 * @param options `id` (default: file stem; also names a byte source in errors), `allowTrailingBytes`
 *   and `maxBytes` as for {@link readNiftiWithInfo}
 * @throws NiftiError naming the source when a value is not an integer in 0..255 (NaN included),
 *   and for every header/data problem listed at {@link readNiftiWithInfo}
 */
export async function readNiftiLabels(
  source: string | Uint8Array,
  options: NiftiLoadOptions = {},
): Promise<Labels> {
  const parsed = await readParsed(source, options);
  const { name, raw, scaling, id, shape, spacing, affine } = parsed;
  const n = raw.length;
  let data: Uint8Array;
  if (scaling === null && raw instanceof Uint8Array) {
    data = raw.slice();
  } else {
    data = new Uint8Array(n);
    const slope = scaling?.slope ?? 1, inter = scaling?.inter ?? 0;
    let bad = 0, firstBad = -1;
    for (let i = 0; i < n; i++) {
      const v = raw[i] * slope + inter;
      if (v >= 0 && v <= 255 && (v | 0) === v) {
        data[i] = v;
      } else {
        if (bad === 0) firstBad = i;
        bad++;
      }
    }
    if (bad > 0) {
      const [, ny, nx] = shape;
      const x = firstBad % nx, y = Math.floor(firstBad / nx) % ny, z = Math.floor(firstBad / (nx * ny));
      const first = raw[firstBad] * slope + inter;
      fail(
        name,
        `${bad} voxels are not integer labels in 0..255 (first: ${first} at x,y,z = ${x},${y},${z})`,
        "integer label values 0..255",
      );
    }
  }
  return { id, shape, spacing, data, affine };
}
