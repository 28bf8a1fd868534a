/**
 * Validation shared by the mask metrics.
 *
 * @module
 */
import { InvalidArgumentError, ShapeMismatchError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";

/**
 * Throws unless `shape` is three positive integers and every mask holds that many voxels; returns
 * that voxel count.
 * @throws {InvalidArgumentError} for a bad shape
 * @throws {ShapeMismatchError} naming the mask whose length differs
 */
export function checkGrid(shape: Vec3, masks: Record<string, Uint8Array>): number {
  if (shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n > 0)) {
    throw new InvalidArgumentError("shape", `is [${shape.join(", ")}]`, "three positive integers (z,y,x)");
  }
  const count = shape[0] * shape[1] * shape[2];
  for (const [name, mask] of Object.entries(masks)) {
    if (mask.length !== count) {
      throw new ShapeMismatchError(
        name,
        `has ${mask.length} voxels but shape ${shape.join("x")} holds ${count}`,
        "a mask of exactly shape[0]*shape[1]*shape[2] voxels",
      );
    }
  }
  return count;
}
