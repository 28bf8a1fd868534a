/**
 * Typed errors of the data layer. Every error names its source (a file path or an argument)
 * and says what was expected, so that a user can fix the input without reading our code.
 *
 * @module
 */

/** Base class of every error thrown by SPARS Gym on bad input. */
export class SparsGymError extends Error {
  /** The file, argument or object at fault. */
  readonly source: string;
  /** What was expected instead (human-readable). */
  readonly expected: string;
  /**
   * Creates the instance; see the class documentation for the arguments.
   * @param source the file path, argument name or object at fault
   * @param problem what is wrong
   * @param expected what was expected instead
   */
  constructor(source: string, problem: string, expected: string) {
    super(`${source}: ${problem} (expected ${expected})`);
    this.name = new.target.name;
    this.source = source;
    this.expected = expected;
  }
}

/** A file is not a valid NIfTI file, is truncated, or uses an unsupported feature. */
export class NiftiError extends SparsGymError {}

/** Voxel values are not finite (NaN or +-Infinity). */
export class NonFiniteVoxelError extends SparsGymError {}

/** Two arrays that must agree (image and labels, a volume and a map) differ in shape or affine. */
export class ShapeMismatchError extends SparsGymError {}

/** A dataset folder, CSV or split is malformed or empty. */
export class DatasetError extends SparsGymError {}

/** A function or option received an invalid value. */
export class InvalidArgumentError extends SparsGymError {}

/** A file is not a valid JPEG file, is truncated, or uses an unsupported mode. */
export class JpegError extends SparsGymError {}
