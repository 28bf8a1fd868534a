/**
 * Parsing and cross-checking NIfTI-1/NIfTI-2 single-file headers: every header fact the reader uses
 * is validated here, before any voxel is read, and checked against the other fields (bitpix against
 * datatype) and against the bytes that follow the header (header extensions must end at or before
 * `vox_offset`). Field parsing is nifti-reader-js's; the rules and the typed errors are ours.
 *
 * @module
 */
import * as nifti from "nifti-reader-js";
import { NiftiError } from "./errors.ts";
import { chooseNiftiAffine } from "./nifti_affine.ts";
import { type NiftiDatatype, type NiftiDatatypeSpec, niftiDatatypeSpec } from "./nifti_voxels.ts";
import type { Vec3 } from "./types.ts";

/** Bytes that always hold a whole header of either version (the NIfTI-2 header is 540 bytes). */
export const NIFTI_HEAD_BYTES = 540;

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

/** A validated header: what the voxel decoder needs, plus the facts as stored. */
export interface ParsedNiftiHeader {
  /** Header facts as stored. */
  info: NiftiHeaderInfo;
  /** Byte order of the file. */
  little: boolean;
  /** 348 (NIfTI-1) or 540 (NIfTI-2). */
  headerSize: number;
  /** The voxel datatype. */
  spec: NiftiDatatypeSpec;
  /** Voxel counts z,y,x = dim[3], dim[2], dim[1]. */
  shape: Vec3;
  /** Voxel size in mm z,y,x = pixdim[3], pixdim[2], pixdim[1]. */
  spacing: Vec3;
  /** The voxel-to-world affine (nibabel's rule). */
  affine: Float64Array;
  /** Effective first-voxel offset in bytes (a stored 0 means right after the header and extender). */
  voxOffset: number;
  /** Number of voxels (product of dim[1..3]). */
  count: number;
  /** Exact byte length of the file: `voxOffset + count * bytes per voxel`. */
  fileBytes: number;
  /** Effective scaling, or null when the header means "no scaling". */
  scaling: { slope: number; inter: number } | null;
}

function fail(name: string, problem: string, expected: string): never {
  throw new NiftiError(name, problem, expected);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

/**
 * Parses and validates the header at the start of `bytes` (at least the whole header: 348 or 540
 * bytes; more is ignored, so the first {@link NIFTI_HEAD_BYTES} of a file suffice). It checks magic,
 * datatype, bitpix = 8 x bytes of the datatype, 3D dims (dim[4..dim[0]] = 1), positive finite pixdim,
 * an integer vox_offset >= header + 4-byte extender, finite scl_inter when scaling, and the affine.
 *
 * @param name the file named in errors
 * @throws {NiftiError} naming the file for every violated rule (never an untyped error)
 */
export function parseNiftiHeader(bytes: Uint8Array, name: string): ParsedNiftiHeader {
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
  // nifti-reader-js parses header extensions when it is given them; we check them ourselves
  // (checkNiftiExtensions), so it gets the header alone.
  // A copy (new Uint8Array(view), never slice(): Node Buffer's slice is a view of the caller's bytes).
  const headerCopy = new Uint8Array(bytes.subarray(0, headerSize + 4));
  if (headerCopy.length > headerSize) headerCopy[headerSize] = 0;
  const h = version === 1 ? new nifti.NIFTI1() : new nifti.NIFTI2();
  try {
    h.readHeader(headerCopy.buffer);
  } catch (e) {
    fail(name, `unreadable header: ${(e as Error).message}`, "a valid NIfTI header");
  }

  const spec = niftiDatatypeSpec(h.datatypeCode, name);
  const bitpix = Number(h.numBitsPerVoxel);
  if (bitpix !== spec.bytes * 8) {
    fail(
      name,
      `bitpix ${bitpix} contradicts datatype ${h.datatypeCode} (${spec.name}, ${spec.bytes * 8} bits)`,
      "bitpix equal to the bits per voxel of the datatype",
    );
  }
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
  if (![nx, ny, nz].every((d) => Number.isSafeInteger(d) && d >= 1)) {
    fail(name, `bad image size dim[1..3] = ${nx}x${ny}x${nz}`, "positive voxel counts");
  }
  const [px, py, pz] = [pixdim[1], pixdim[2], pixdim[3]];
  if (![px, py, pz].every((p) => Number.isFinite(p) && p > 0)) {
    fail(name, `bad voxel size pixdim[1..3] = ${px}, ${py}, ${pz} mm`, "positive finite sizes");
  }
  const storedOffset = Number(h.vox_offset);
  const minOffset = headerSize + 4;
  // nibabel reads vox_offset 0 in a single file as "right after the header".
  const voxOffset = storedOffset === 0 ? minOffset : storedOffset;
  if (!Number.isSafeInteger(voxOffset) || voxOffset < minOffset) {
    fail(name, `bad vox_offset ${storedOffset}`, `an integer >= ${minOffset}`);
  }
  const sclSlope = Number(h.scl_slope), sclInter = Number(h.scl_inter);
  let scaling: ParsedNiftiHeader["scaling"] = null;
  if (sclSlope !== 0 && Number.isFinite(sclSlope)) {
    if (!Number.isFinite(sclInter)) {
      fail(name, `scl_slope ${sclSlope} with non-finite scl_inter ${sclInter}`, "a finite scl_inter");
    }
    if (sclSlope !== 1 || sclInter !== 0) scaling = { slope: sclSlope, inter: sclInter };
  }
  const count = nx * ny * nz;
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
  const affine = chooseNiftiAffine({
    sformCode: h.sform_code,
    qformCode: h.qform_code,
    srow: Array.from(
      { length: 12 },
      (_, i) => version === 1 ? view.getFloat32(280 + 4 * i, little) : view.getFloat64(400 + 8 * i, little),
    ),
    quatern: [h.quatern_b, h.quatern_c, h.quatern_d],
    qoffset: [h.qoffset_x, h.qoffset_y, h.qoffset_z],
    pixdim,
  }, name);
  return {
    info,
    little,
    headerSize,
    spec,
    shape: [nz, ny, nx],
    spacing: [pz, py, px],
    affine,
    voxOffset,
    count,
    fileBytes: voxOffset + count * spec.bytes,
    scaling,
  };
}

/**
 * Checks the header extensions of a parsed file against its `vox_offset`. With extender byte 0 (at
 * the header's end) there are none and the bytes up to `vox_offset` are ignored. Otherwise
 * extensions follow back to back, each `esize` bytes (int32, >= 8: esize, ecode, content), until
 * fewer than 8 bytes remain before `vox_offset`; every one must end at or before `vox_offset`, so
 * that voxels are never read from extension content.
 *
 * @param bytes the file (at least `header.voxOffset` bytes)
 * @param name the file named in errors
 * @throws {NiftiError} naming the file for an esize below 8 or an extension that runs past vox_offset
 */
export function checkNiftiExtensions(bytes: Uint8Array, header: ParsedNiftiHeader, name: string): void {
  const { headerSize, voxOffset, little } = header;
  if (bytes.length < headerSize + 4 || bytes[headerSize] === 0) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = Math.min(voxOffset, bytes.length);
  let pos = headerSize + 4;
  while (pos + 8 <= end) {
    const esize = view.getInt32(pos, little), ecode = view.getInt32(pos + 4, little);
    if (esize < 8) {
      fail(
        name,
        `malformed header extension at byte ${pos}: esize ${esize} (ecode ${ecode})`,
        "extensions of esize >= 8 (a multiple of 16) up to vox_offset, or extender byte 0 for none",
      );
    }
    if (pos + esize > voxOffset) {
      fail(
        name,
        `vox_offset ${voxOffset} lies inside the header extension at bytes ${pos}..${
          pos + esize
        } (ecode ${ecode})`,
        "vox_offset at or after the end of the last header extension",
      );
    }
    pos += esize;
  }
}
