/**
 * Core data types of SPARS Gym. Every 3D array is stored in z,y,x order with x fastest
 * (index = (z * ny + y) * nx + x), which is the NIfTI on-disk order read as (k, j, i).
 *
 * @module
 */

/** A 3-vector in z,y,x order (voxel counts, voxel indices, or millimetres). */
export type Vec3 = readonly [number, number, number];

/**
 * An intensity volume.
 *
 * - `shape`: voxel counts, z,y,x.
 * - `spacing`: voxel size in millimetres, z,y,x.
 * - `data`: `shape[0] * shape[1] * shape[2]` values, x fastest.
 * - `affine`: 16 numbers, row-major 4x4, mapping the NIfTI voxel index (i, j, k, 1) = (x, y, z, 1)
 *   to world millimetres (RAS+, as nibabel's `img.affine`). Note the index order is x,y,z here,
 *   as in every NIfTI tool, although `shape` and `spacing` are z,y,x.
 */
export interface Volume {
  /** Identifier (file stem, phantom id, tile id). */
  readonly id: string;
  /** Voxel counts, z,y,x. */
  readonly shape: Vec3;
  /** Voxel size in mm, z,y,x. */
  readonly spacing: Vec3;
  /** Voxel values, x fastest. */
  readonly data: Float32Array;
  /** 4x4 row-major voxel(i=x,j=y,k=z)-to-world (mm, RAS+) matrix. */
  readonly affine: Float64Array;
}

/** A voxel label map (0 = background; other values are class ids). Same layout as {@link Volume}. */
export interface Labels {
  /** Identifier, usually the case id. */
  readonly id: string;
  /** Voxel counts, z,y,x. */
  readonly shape: Vec3;
  /** Voxel size in mm, z,y,x. */
  readonly spacing: Vec3;
  /** Label values, x fastest. */
  readonly data: Uint8Array;
  /** 4x4 row-major voxel-to-world matrix, as {@link Volume.affine}. */
  readonly affine: Float64Array;
}

/**
 * One case of a dataset: an image, optional voxel labels (used only for evaluation and for
 * deriving weak labels), and the image-level weak label `presence` (1 = holds the target).
 */
export interface Case {
  /** Case identifier, unique within a dataset. */
  readonly id: string;
  /** The image. */
  readonly image: Volume;
  /** Voxel labels, if known. Never used to act or to reward, only to evaluate. */
  readonly labels?: Labels;
  /** Image-level weak label: 1 if the target is present, 0 if absent. */
  readonly presence?: 0 | 1;
  /**
   * Every channel (modality) of a multi-channel case, in the dataset's channel order, each on the
   * image's grid and normalised on its own; `channels[0]` is `image`. Absent for one channel.
   */
  readonly channels?: readonly Volume[];
}

/** Number of voxels of a shape. */
export function voxelCount(shape: Vec3): number {
  return shape[0] * shape[1] * shape[2];
}

/**
 * A diagonal affine for a given spacing (z,y,x mm) and origin (world mm of voxel (0,0,0), x,y,z):
 * the default for volumes that were not read from a file.
 */
export function diagonalAffine(
  spacing: Vec3,
  origin: readonly [number, number, number] = [0, 0, 0],
): Float64Array {
  return Float64Array.from([
    spacing[2],
    0,
    0,
    origin[0],
    0,
    spacing[1],
    0,
    origin[1],
    0,
    0,
    spacing[0],
    origin[2],
    0,
    0,
    0,
    1,
  ]);
}
