/** Hand-made cases and an oracle patch env shared by the patch game tests. */
import { type Case, diagonalAffine, type Vec3 } from "../data/types.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { PatchEnv, type PatchEnvOptions } from "../env/patch/patch_env.ts";

/** A case of `shape` whose label is 1 at the listed voxels (z,y,x); image = label * 100 + x. */
export function handCase(id: string, shape: Vec3, voxels: readonly Vec3[]): Case {
  const [nz, ny, nx] = shape, n = nz * ny * nx;
  const labels = new Uint8Array(n), image = new Float32Array(n);
  for (const [z, y, x] of voxels) labels[(z * ny + y) * nx + x] = 1;
  for (let i = 0; i < n; i++) image[i] = labels[i] * 100 + (i % nx);
  const spacing: Vec3 = [1, 1, 1], affine = diagonalAffine(spacing);
  return {
    id,
    image: { id, shape, spacing, affine, data: image },
    labels: { id, shape, spacing, affine, data: labels },
    presence: voxels.length ? 1 : 0,
  };
}

/** Every voxel of patch (iy, ix) of an 8x8 image cut 4x4 (2x2 patches), first `k` of them. */
export function patchVoxels(p: number, k = 4): Vec3[] {
  const iy = Math.floor(p / 4), ix = p % 4;
  return ([[0, 0], [0, 1], [1, 0], [1, 1]] as const).slice(0, k).map(([dy, dx]) =>
    [0, 2 * iy + dy, 2 * ix + dx] as Vec3
  );
}

// Patch 0: score 1; patch 5: 0.75; patch 10: 0.25; every other patch 0.
export const scored: Case = handCase("scored", [1, 8, 8], [
  ...patchVoxels(0),
  ...patchVoxels(5, 3),
  ...patchVoxels(10, 1),
]);

/** A patch env on `c` with the oracle scorer, a 4x4 grid and an 8x8 observation. */
export function envOn(c: Case, options: Partial<PatchEnvOptions> = {}): PatchEnv {
  return new PatchEnv({
    scorer: new OracleScorer([c]),
    cases: [c],
    grid: [1, 4, 4],
    observationShape: [1, 8, 8],
    ...options,
  });
}

/** The size of the tiny `trainPatch` runs of the tests: 14 phantoms of 1x32x32, a 4x4 grid, 2 games. */
export const TINY_PATCH_RUN: {
  readonly cases: number;
  readonly shape: Vec3;
  readonly grid: Vec3;
  readonly observationShape: Vec3;
  readonly envs: number;
} = { cases: 14, shape: [1, 32, 32], grid: [1, 4, 4], observationShape: [1, 16, 16], envs: 2 };
