/**
 * Writing {@link Volume} (float32) and {@link Labels} (uint8) as single-file NIfTI-1 (`.nii` or
 * `.nii.gz`) that overlays its source in ITK-SNAP and 3D Slicer: the affine goes to the sform
 * (code 1) and, when it is a rotation times the voxel sizes, to the qform too (code 1).
 *
 * @module
 */
import { gzipSync } from "node:zlib";
import { writeFileAtomic } from "./atomic_write.ts";
import { InvalidArgumentError, NiftiError, NonFiniteVoxelError, ShapeMismatchError } from "./errors.ts";
import { qformFromAffine } from "./nifti_affine.ts";
import { HOST_LITTLE_ENDIAN, swapByteOrder } from "./nifti_voxels.ts";
import type { Labels, Volume } from "./types.ts";

/** Options of {@link writeNifti}. */
export interface WriteNiftiOptions {
  /**
   * Copy the affine and spacing of this image (e.g. the source a mask was predicted on); its
   * shape must equal the written image's shape.
   */
  like?: Volume | Labels;
  /** Compress with gzip; default: true exactly when the path ends in `.gz`. */
  gzip?: boolean;
}

const HEADER_BYTES = 348;
const VOX_OFFSET = 352;
const NIFTI_INTENT_LABEL = 1002;
const UNITS_MM = 2;

function checkImage(image: Volume | Labels, like: Volume | Labels | undefined): void {
  const { shape, id } = image;
  if (!(image.data instanceof Float32Array) && !(image.data instanceof Uint8Array)) {
    throw new InvalidArgumentError(
      `image ${id}`,
      "data is neither Float32Array nor Uint8Array",
      "a Volume or Labels",
    );
  }
  if (shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n >= 1 && n <= 32767)) {
    throw new InvalidArgumentError(
      `image ${id}`,
      `shape ${shape.join("x")}`,
      "three integer sizes 1..32767 (z,y,x)",
    );
  }
  const count = shape[0] * shape[1] * shape[2];
  if (image.data.length !== count) {
    throw new ShapeMismatchError(
      `image ${id}`,
      `${image.data.length} voxels for shape ${shape.join("x")}`,
      `${count} voxels`,
    );
  }
  if (like && !like.shape.every((n, i) => n === shape[i])) {
    throw new ShapeMismatchError(
      `like (${like.id})`,
      `shape ${like.shape.join("x")} differs from image ${id} shape ${shape.join("x")}`,
      "the same shape (z,y,x)",
    );
  }
  const geometry = like ?? image;
  if (!geometry.spacing.every((s) => Number.isFinite(s) && s > 0)) {
    throw new InvalidArgumentError(
      `spacing of ${geometry.id}`,
      geometry.spacing.join(", "),
      "positive mm sizes",
    );
  }
  const a = geometry.affine;
  if (
    a.length !== 16 || !a.every(Number.isFinite) || a[12] !== 0 || a[13] !== 0 || a[14] !== 0 || a[15] !== 1
  ) {
    throw new InvalidArgumentError(
      `affine of ${geometry.id}`,
      `[${Array.from(a).join(", ")}]`,
      "16 finite numbers, row-major 4x4 with last row 0 0 0 1",
    );
  }
  if (image.data instanceof Float32Array) {
    const data = image.data;
    let bad = 0;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v - v !== 0) bad++;
    }
    if (bad > 0) {
      throw new NonFiniteVoxelError(`image ${id}`, `${bad} voxels are NaN or infinite`, "finite intensities");
    }
  }
}

/**
 * Encodes an image as uncompressed single-file NIfTI-1 bytes: little-endian, float32 for a
 * {@link Volume}, uint8 (intent "label") for {@link Labels}, vox_offset 352, scl_slope 1 /
 * scl_inter 0, xyzt_units mm, pixdim[1..3] = spacing x,y,z, sform_code 1 with the affine rows,
 * qform_code 1 with the quaternion of the affine when it is a rotation times the voxel sizes
 * (pixdim[0] = qfac = -1 for left-handed axes), else qform_code 0.
 *
 * @param image the image (shape z,y,x, each 1..32767; data x fastest)
 * @param options `like`: take the affine and spacing from this image instead (same shape required)
 * @returns the `.nii` file bytes (352 + voxels * 4 or * 1)
 * @throws ShapeMismatchError when data length or `like`'s shape disagree with the shape
 * @throws InvalidArgumentError for a bad shape, spacing or affine
 * @throws NonFiniteVoxelError when a Volume holds NaN or infinite values (they would not read back)
 */
export function encodeNifti(image: Volume | Labels, options: { like?: Volume | Labels } = {}): Uint8Array {
  checkImage(image, options.like);
  const geometry = options.like ?? image;
  const isLabels = image.data instanceof Uint8Array;
  const bytesPerVoxel = isLabels ? 1 : 4;
  const [nz, ny, nx] = image.shape;
  const pixdim = [geometry.spacing[2], geometry.spacing[1], geometry.spacing[0]];
  const affine = geometry.affine;
  const q = qformFromAffine(affine, pixdim);

  const out = new Uint8Array(VOX_OFFSET + image.data.length * bytesPerVoxel);
  const view = new DataView(out.buffer);
  const le = true;
  view.setInt32(0, HEADER_BYTES, le);
  out[38] = 0x72; // "regular" = 'r', as nibabel writes
  const dims = [3, nx, ny, nz, 1, 1, 1, 1];
  dims.forEach((d, i) => view.setInt16(40 + 2 * i, d, le));
  view.setInt16(68, isLabels ? NIFTI_INTENT_LABEL : 0, le);
  view.setInt16(70, isLabels ? 2 : 16, le);
  view.setInt16(72, bytesPerVoxel * 8, le);
  const pix = [q?.qfac ?? 1, pixdim[0], pixdim[1], pixdim[2], 1, 1, 1, 1];
  pix.forEach((p, i) => view.setFloat32(76 + 4 * i, p, le));
  view.setFloat32(108, VOX_OFFSET, le);
  view.setFloat32(112, 1, le);
  view.setFloat32(116, 0, le);
  out[123] = UNITS_MM;
  const description = "SPARS Gym";
  for (let i = 0; i < description.length; i++) out[148 + i] = description.charCodeAt(i);
  view.setInt16(252, q ? 1 : 0, le);
  view.setInt16(254, 1, le);
  if (q) {
    view.setFloat32(256, q.b, le);
    view.setFloat32(260, q.c, le);
    view.setFloat32(264, q.d, le);
  }
  view.setFloat32(268, affine[3], le);
  view.setFloat32(272, affine[7], le);
  view.setFloat32(276, affine[11], le);
  for (let i = 0; i < 12; i++) view.setFloat32(280 + 4 * i, affine[i], le);
  out.set([0x6e, 0x2b, 0x31, 0], 344); // "n+1\0"; bytes 348..351 = 0: no extensions

  const data = image.data;
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), VOX_OFFSET);
  // NIfTI is written little-endian; typed arrays are in host order.
  if (!HOST_LITTLE_ENDIAN) swapByteOrder(out.subarray(VOX_OFFSET), bytesPerVoxel);
  return out;
}

/**
 * Writes an image as single-file NIfTI-1 (see {@link encodeNifti} for the header), atomically:
 * the bytes go to a temporary file in the same folder, which is then renamed over `path`.
 *
 * @param path destination ending in `.nii` or `.nii.gz`; its folder must exist
 * @param image a {@link Volume} (written as float32) or {@link Labels} (written as uint8)
 * @param options `like` (copy affine and spacing; same shape required), `gzip` (default: from the `.gz` extension)
 * @throws InvalidArgumentError when the path does not end in .nii or .nii.gz, plus every error of {@link encodeNifti}
 * @throws NiftiError naming the path when the file cannot be written
 */
export async function writeNifti(
  path: string,
  image: Volume | Labels,
  options: WriteNiftiOptions = {},
): Promise<void> {
  if (!/\.nii(\.gz)?$/i.test(path)) {
    throw new InvalidArgumentError(path, "unknown extension", "a path ending in .nii or .nii.gz");
  }
  const raw = encodeNifti(image, { like: options.like });
  const gzip = options.gzip ?? /\.gz$/i.test(path);
  const bytes = gzip ? gzipSync(raw) : raw;
  try {
    await writeFileAtomic(path, bytes);
  } catch (e) {
    throw new NiftiError(
      path,
      `cannot write: ${(e as Error).message}`,
      "a writable path in an existing folder",
    );
  }
}
