/**
 * The NIfTI voxel-to-world affine, shared by the reader and the writer: the choice among sform,
 * qform and pixdim (as nibabel chooses), the qform quaternion to a matrix, and back.
 *
 * Affines are 4x4 row-major Float64Array mapping NIfTI (i=x, j=y, k=z, 1) to world mm; quaternions
 * are NIfTI's (b, c, d) with a = sqrt(1 - b^2 - c^2 - d^2) >= 0, plus qfac = +-1 (pixdim[0]) for a
 * flipped k axis.
 *
 * @module
 */
import { NiftiError } from "./errors.ts";

/** nibabel's tolerance for b^2 + c^2 + d^2 slightly above 1 in a stored quaternion. */
const QUATERNION_TOLERANCE = 3 * 2 ** -23;
/** Relative tolerance for "the affine is a rotation times the voxel sizes". */
const RIGID_TOLERANCE = 1e-4;

/** The rotation part of a qform: NIfTI quaternion (b, c, d) and qfac (pixdim[0]: -1 flips k). */
export interface NiftiQuaternion {
  /** quatern_b. */
  b: number;
  /** quatern_c. */
  c: number;
  /** quatern_d. */
  d: number;
  /** -1 for left-handed voxel axes (k flipped), else 1. */
  qfac: 1 | -1;
}

/** The header fields the affine is chosen from, as stored in the file. */
export interface NiftiAffineFields {
  /** `sform_code` (0 = no sform). */
  sformCode: number;
  /** `qform_code` (0 = no qform). */
  qformCode: number;
  /** srow_x, srow_y, srow_z: 12 numbers, the first three rows of the affine (used when sformCode > 0). */
  srow: ArrayLike<number>;
  /** quatern_b, quatern_c, quatern_d. */
  quatern: readonly [number, number, number];
  /** qoffset_x, qoffset_y, qoffset_z (mm). */
  qoffset: readonly [number, number, number];
  /** pixdim[0..3]: qfac (its sign; 0 counts as 1), then the x,y,z voxel sizes (mm). */
  pixdim: ArrayLike<number>;
}

/**
 * Affine from the quaternion fields, as nibabel's `get_qform` (qfac = sign of pixdim[0], 0 -> 1).
 *
 * @throws {NiftiError} naming `name` when b^2 + c^2 + d^2 exceeds 1 beyond float32 rounding
 */
function qformAffine(f: NiftiAffineFields, name: string): Float64Array {
  const [b, c, d] = f.quatern;
  let w2 = 1 - (b * b + c * c + d * d);
  if (!(w2 >= -QUATERNION_TOLERANCE)) {
    throw new NiftiError(
      name,
      `invalid qform quaternion (b,c,d) = (${b}, ${c}, ${d}): b^2+c^2+d^2 = ${1 - w2}`,
      "b^2 + c^2 + d^2 <= 1",
    );
  }
  if (w2 < 0) w2 = 0;
  const a = Math.sqrt(w2);
  const s = 2 / (a * a + b * b + c * c + d * d);
  const r = [
    [1 - s * (c * c + d * d), s * (b * c - a * d), s * (b * d + a * c)],
    [s * (b * c + a * d), 1 - s * (b * b + d * d), s * (c * d - a * b)],
    [s * (b * d - a * c), s * (c * d + a * b), 1 - s * (b * b + c * c)],
  ];
  const qfac = f.pixdim[0] < 0 ? -1 : 1;
  const zoom = [f.pixdim[1], f.pixdim[2], f.pixdim[3] * qfac];
  const m = new Float64Array(16);
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) m[row * 4 + col] = r[row][col] * zoom[col];
    m[row * 4 + 3] = f.qoffset[row];
  }
  m[15] = 1;
  return m;
}

/**
 * The affine of a NIfTI header, by nibabel's choice: the sform if sform_code > 0, else the qform if
 * qform_code > 0, else diag(pixdim[1..3]) with voxel (0,0,0) at the origin (method 0 of nifti1.h;
 * nibabel instead centres the volume and flips x).
 *
 * @param name the file named in errors
 * @throws {NiftiError} on an invalid quaternion or a non-finite affine
 */
export function chooseNiftiAffine(f: NiftiAffineFields, name: string): Float64Array {
  let m: Float64Array;
  if (f.sformCode > 0) {
    m = new Float64Array(16);
    for (let i = 0; i < 12; i++) m[i] = f.srow[i];
    m[15] = 1;
  } else if (f.qformCode > 0) {
    m = qformAffine(f, name);
  } else {
    m = Float64Array.of(f.pixdim[1], 0, 0, 0, 0, f.pixdim[2], 0, 0, 0, 0, f.pixdim[3], 0, 0, 0, 0, 1);
  }
  for (const v of m) {
    if (!Number.isFinite(v)) {
      throw new NiftiError(
        name,
        `non-finite affine (${f.sformCode > 0 ? "sform" : "qform"})`,
        "finite numbers",
      );
    }
  }
  return m;
}

/** Unit quaternion (a >= 0) of a proper rotation matrix (row-major 3x3), by Shepperd's branches. */
function rotationToQuaternion(r: number[]): [number, number, number, number] {
  const [r00, r01, r02, r10, r11, r12, r20, r21, r22] = r;
  const trace = r00 + r11 + r22;
  let a: number, b: number, c: number, d: number;
  if (trace > 0) {
    const s = 2 * Math.sqrt(trace + 1);
    [a, b, c, d] = [s / 4, (r21 - r12) / s, (r02 - r20) / s, (r10 - r01) / s];
  } else if (r00 > r11 && r00 > r22) {
    const s = 2 * Math.sqrt(1 + r00 - r11 - r22);
    [a, b, c, d] = [(r21 - r12) / s, s / 4, (r01 + r10) / s, (r02 + r20) / s];
  } else if (r11 > r22) {
    const s = 2 * Math.sqrt(1 + r11 - r00 - r22);
    [a, b, c, d] = [(r02 - r20) / s, (r01 + r10) / s, s / 4, (r12 + r21) / s];
  } else {
    const s = 2 * Math.sqrt(1 + r22 - r00 - r11);
    [a, b, c, d] = [(r10 - r01) / s, (r02 + r20) / s, (r12 + r21) / s, s / 4];
  }
  const norm = Math.hypot(a, b, c, d) * (a < 0 ? -1 : 1);
  return [a / norm, b / norm, c / norm, d / norm];
}

/**
 * The qform of an affine whose 3x3 part is R * diag(zooms) with R orthonormal and zooms equal to
 * the voxel sizes `pixdim` (x,y,z, mm) within a relative 1e-4; null when it is not (sheared, or
 * scaled unlike pixdim). An improper R (left-handed voxel axes) gives qfac -1.
 */
export function qformFromAffine(affine: Float64Array, pixdim: readonly number[]): NiftiQuaternion | null {
  const r: number[] = new Array(9);
  for (let col = 0; col < 3; col++) {
    const norm = Math.hypot(affine[col], affine[4 + col], affine[8 + col]);
    if (Math.abs(norm - pixdim[col]) > RIGID_TOLERANCE * pixdim[col]) return null;
    for (let row = 0; row < 3; row++) r[row * 3 + col] = affine[row * 4 + col] / norm;
  }
  for (let i = 0; i < 3; i++) {
    for (let j = i; j < 3; j++) {
      const dot = r[i] * r[j] + r[3 + i] * r[3 + j] + r[6 + i] * r[6 + j];
      if (Math.abs(dot - (i === j ? 1 : 0)) > RIGID_TOLERANCE) return null;
    }
  }
  const det = r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6]) +
    r[2] * (r[3] * r[7] - r[4] * r[6]);
  // An improper R (left-handed voxel axes) is stored as a proper rotation with qfac = -1 (k flipped).
  const qfac: 1 | -1 = det < 0 ? -1 : 1;
  if (qfac < 0) { for (const i of [2, 5, 8]) r[i] = -r[i]; }
  const [, b, c, d] = rotationToQuaternion(r);
  return { b, c, d, qfac };
}
