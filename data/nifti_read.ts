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
import * as nifti from "nifti-reader-js";
import { gunzipSync } from "node:zlib";
import { basename } from "node:path";
import { NiftiError, NonFiniteVoxelError } from "./errors.ts";
import { chooseNiftiAffine } from "./nifti_affine.ts";
import { type NiftiDatatype, niftiDatatypeSpec, voxelView } from "./nifti_voxels.ts";
import type { Labels, Vec3, Volume } from "./types.ts";

export type { NiftiDatatype } from "./nifti_voxels.ts";

/** Header facts of a NIfTI file, as stored in the file (no defaults or fixes applied). */
export interface NiftiHeaderInfo {
  /** 1 for NIfTI-1 (348-byte header), 2 for NIfTI-2 (540-byte header). */
  version: 1 | 2;
  /** On-disk voxel type. */
  datatype: NiftiDatatype;
  /** The 8 entries of `dim` as in the file: dim[0] = number of dimensions, dim[1..3] = x,y,z sizes. */
  dims: number[];
  /** Byte offset of the first voxel (header extensions may sit before it). */
  voxOffset: number;
  /** `scl_slope` as stored; 0 or NaN means "no scaling" (nibabel convention). */
  sclSlope: number;
  /** `scl_inter` as stored (ignored when the slope means "no scaling"). */
  sclInter: number;
  /** `qform_code` (0 = no qform). */
  qformCode: number;
  /** `sform_code` (0 = no sform). */
  sformCode: number;
  /** The 8 entries of `pixdim` as in the file: pixdim[0] = qfac, pixdim[1..3] = x,y,z voxel size (mm). */
  pixdim: number[];
}

/** Options of {@link readNifti} and {@link readNiftiWithInfo}. */
export interface ReadNiftiOptions {
  /** Identifier of the result and name of a byte source in errors (default: file stem or `<bytes>`). */
  id?: string;
  /**
   * What to do with NaN or +-Infinity voxels (after scaling): `"error"` (default) throws
   * {@link NonFiniteVoxelError}; `"zero"` replaces them with 0 (the count is returned by
   * {@link readNiftiWithInfo}).
   */
  nonFinite?: "error" | "zero";
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

/** A decoded header plus a host-endian view of the voxels; shared by the Volume and Labels readers. */
interface ParsedNifti {
  name: string;
  info: NiftiHeaderInfo;
  shape: Vec3;
  spacing: Vec3;
  affine: Float64Array;
  raw: RawArray;
  /** Effective scaling, or null when the header means "no scaling". */
  scaling: { slope: number; inter: number } | null;
}

function fail(name: string, problem: string, expected: string): never {
  throw new NiftiError(name, problem, expected);
}

async function loadBytes(source: string | Uint8Array, name: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  if (typeof source === "string") {
    try {
      bytes = await Deno.readFile(source);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        fail(name, "file not found", "an existing .nii or .nii.gz file");
      }
      fail(name, `cannot read file: ${(e as Error).message}`, "a readable .nii or .nii.gz file");
    }
  } else {
    bytes = source;
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      const out = gunzipSync(bytes);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (e) {
      fail(
        name,
        `corrupt or truncated gzip stream (${(e as Error).message})`,
        "a complete gzip-compressed NIfTI file",
      );
    }
  }
  return bytes;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

function parseNifti(bytes: Uint8Array, name: string): ParsedNifti {
  const notNifti = "a NIfTI file (sizeof_hdr 348 or 540 in the first 4 bytes)";
  if (bytes.length < 4) fail(name, `not a NIfTI file: only ${bytes.length} bytes`, notNifti);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sizeLe = view.getInt32(0, true), sizeBe = view.getInt32(0, false);
  let version: 1 | 2, little: boolean;
  if (sizeLe === 348 || sizeBe === 348) [version, little] = [1, sizeLe === 348];
  else if (sizeLe === 540 || sizeBe === 540) [version, little] = [2, sizeLe === 540];
  else fail(name, `not a NIfTI file: sizeof_hdr is ${sizeLe}`, notNifti);
  const headerSize = version === 1 ? 348 : 540;
  if (bytes.length < headerSize) {
    fail(name, `truncated header: ${bytes.length} bytes`, `the ${headerSize}-byte NIfTI-${version} header`);
  }
  const magic = version === 1 ? ascii(bytes, 344, 348) : ascii(bytes, 4, 12);
  const single = version === 1 ? "n+1\0" : "n+2\0\r\n\x1a\n";
  if (magic !== single) {
    const pair = magic.startsWith(version === 1 ? "ni1" : "ni2");
    fail(
      name,
      pair
        ? "a .hdr/.img header (separate image file) is not supported"
        : `bad magic ${JSON.stringify(magic)}`,
      `a single-file NIfTI-${version} (magic ${JSON.stringify(single)})`,
    );
  }
  // nifti-reader-js parses header extensions too; we only need vox_offset, so hide them from it
  // (a malformed extension must not make the voxels unreadable).
  const headerCopy = bytes.slice(0, Math.min(bytes.length, headerSize + 4));
  if (headerCopy.length > headerSize) headerCopy[headerSize] = 0;
  const h = version === 1 ? new nifti.NIFTI1() : new nifti.NIFTI2();
  try {
    h.readHeader(headerCopy.buffer);
  } catch (e) {
    fail(name, `unreadable header: ${(e as Error).message}`, "a valid NIfTI header");
  }

  const code = h.datatypeCode;
  const spec = niftiDatatypeSpec(code, name);
  const dims = h.dims.slice(0, 8).map(Number);
  const pixdim = h.pixDims.slice(0, 8).map(Number);
  const nd = dims[0];
  const extraOk = (nd === 4 || nd === 5) && dims.slice(4, nd + 1).every((d) => d === 1);
  if (nd !== 3 && !extraOk) {
    fail(
      name,
      `unsupported dimensions dim = [${dims.join(", ")}]`,
      "a 3D image: dim[0] = 3, or dim[0] = 4 or 5 with every dim[4..dim[0]] = 1",
    );
  }
  const [nx, ny, nz] = [dims[1], dims[2], dims[3]];
  if (![nx, ny, nz].every((d) => Number.isInteger(d) && d >= 1)) {
    fail(name, `bad image size dim[1..3] = ${nx}x${ny}x${nz}`, "positive voxel counts");
  }
  const [px, py, pz] = [pixdim[1], pixdim[2], pixdim[3]];
  if (![px, py, pz].every((p) => Number.isFinite(p) && p > 0)) {
    fail(name, `bad voxel size pixdim[1..3] = ${px}, ${py}, ${pz} mm`, "positive finite sizes");
  }
  const storedOffset = Number(h.vox_offset);
  let voxOffset = storedOffset;
  const minOffset = headerSize + 4;
  // nibabel reads vox_offset 0 in a single file as "right after the header".
  if (voxOffset === 0) voxOffset = minOffset;
  if (!Number.isInteger(voxOffset) || voxOffset < minOffset) {
    fail(name, `bad vox_offset ${storedOffset}`, `an integer >= ${minOffset}`);
  }
  const count = nx * ny * nz;
  const needed = count * spec.bytes;
  if (bytes.length < voxOffset + needed) {
    fail(
      name,
      `truncated data: ${Math.max(0, bytes.length - voxOffset)} bytes after vox_offset ${voxOffset}`,
      `${needed} bytes for ${nx}x${ny}x${nz} ${spec.name} voxels`,
    );
  }
  const sclSlope = Number(h.scl_slope), sclInter = Number(h.scl_inter);
  let scaling: ParsedNifti["scaling"] = null;
  if (sclSlope !== 0 && Number.isFinite(sclSlope)) {
    if (!Number.isFinite(sclInter)) {
      fail(name, `scl_slope ${sclSlope} with non-finite scl_inter ${sclInter}`, "a finite scl_inter");
    }
    if (sclSlope !== 1 || sclInter !== 0) scaling = { slope: sclSlope, inter: sclInter };
  }
  const info: NiftiHeaderInfo = {
    version,
    datatype: spec.name,
    dims,
    voxOffset: storedOffset,
    sclSlope,
    sclInter,
    qformCode: h.qform_code,
    sformCode: h.sform_code,
    pixdim,
  };
  return {
    name,
    info,
    shape: [nz, ny, nx],
    spacing: [pz, py, px],
    affine: chooseNiftiAffine({
      sformCode: h.sform_code,
      qformCode: h.qform_code,
      srow: Array.from(
        { length: 12 },
        (_, i) => version === 1 ? view.getFloat32(280 + 4 * i, little) : view.getFloat64(400 + 8 * i, little),
      ),
      quatern: [h.quatern_b, h.quatern_c, h.quatern_d],
      qoffset: [h.qoffset_x, h.qoffset_y, h.qoffset_z],
      pixdim,
    }, name),
    raw: voxelView(bytes, voxOffset, count, spec, little),
    scaling,
  };
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
  id: string | undefined,
): Promise<ParsedNifti & { id: string }> {
  const name = sourceName(source, id);
  return { ...parseNifti(await loadBytes(source, name), name), id: defaultId(source, id) };
}

/**
 * Reads a NIfTI image and its header facts.
 *
 * @param source a file path, or the file's bytes (gzip detected by its magic bytes 1f 8b, not by name)
 * @param options `id` (default: file stem) and the NaN/Inf policy `nonFinite` (default `"error"`)
 * @returns the volume (shape z,y,x = dim[3], dim[2], dim[1]; spacing z,y,x mm; Float32 values after
 *   scl_slope/scl_inter; affine as nibabel's `img.affine` except that without sform and qform it is
 *   diag(pixdim) with the origin at voxel 0), the header info and the number of non-finite voxels zeroed
 * @throws NiftiError naming the path (or `options.id` / `<bytes>`) for a missing file, bad magic,
 *   truncated header or data, unsupported datatype, non-3D dims, bad pixdim or quaternion
 * @throws NonFiniteVoxelError when voxels are NaN/Inf and `nonFinite` is `"error"`
 */
export async function readNiftiWithInfo(
  source: string | Uint8Array,
  options: ReadNiftiOptions = {},
): Promise<NiftiReadResult> {
  const parsed = await readParsed(source, options.id);
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
  let nonFiniteCount = 0;
  const canBeNonFinite = scaling !== null || parsed.info.datatype === "float32" ||
    parsed.info.datatype === "float64";
  if (canBeNonFinite) {
    for (let i = 0; i < n; i++) {
      const v = data[i];
      if (v - v !== 0) nonFiniteCount++;
    }
  }
  if (nonFiniteCount > 0) {
    if ((options.nonFinite ?? "error") === "error") {
      throw new NonFiniteVoxelError(
        name,
        `${nonFiniteCount} of ${n} voxels are NaN or infinite`,
        'finite intensities (or read with nonFinite: "zero")',
      );
    }
    for (let i = 0; i < n; i++) {
      const v = data[i];
      if (v - v !== 0) data[i] = 0;
    }
  }
  const volume: Volume = { id, shape, spacing, data, affine };
  return { volume, info: parsed.info, nonFiniteCount };
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
 * @param options `id` (default: file stem; also names a byte source in errors)
 * @throws NiftiError naming the source when a value is not an integer in 0..255 (NaN included),
 *   and for every header/data problem listed at {@link readNiftiWithInfo}
 */
export async function readNiftiLabels(
  source: string | Uint8Array,
  options: { id?: string } = {},
): Promise<Labels> {
  const parsed = await readParsed(source, options.id);
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
