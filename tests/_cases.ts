/** Small hand-made cases for env tests: a gradient image with one labelled box. */
import { type Case, diagonalAffine, type Vec3 } from "../data/types.ts";
import { MapScorer } from "../env/map_scorer.ts";

/**
 * A case of `shape` whose image value at (z,y,x) is `z*100 + y*10 + x` minus 1000 (HU-like, never
 * in 0..255), with label `value` inside the box `[corner, corner + size)`.
 */
export function boxCase(id: string, shape: Vec3, corner: Vec3, size: Vec3, value = 1): Case {
  const [nz, ny, nx] = shape;
  const image = new Float32Array(nz * ny * nx);
  const labels = new Uint8Array(image.length);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const i = (z * ny + y) * nx + x;
        image[i] = z * 100 + y * 10 + x - 1000;
        const inside = z >= corner[0] && z < corner[0] + size[0] && y >= corner[1] &&
          y < corner[1] + size[1] &&
          x >= corner[2] && x < corner[2] + size[2];
        labels[i] = inside ? value : 0;
      }
    }
  }
  const spacing: Vec3 = [2, 1, 1];
  const affine = diagonalAffine(spacing);
  return {
    id,
    image: { id, shape, spacing, affine, data: image },
    labels: { id, shape, spacing, affine, data: labels },
    presence: 1,
  };
}

/** A 1x1x12 strip whose map-scorer scores rise with x (window 1x1x2: score = mean of 2 voxels, x / 16). */
export function scoredStrip(): { c: Case; scorer: MapScorer } {
  const c = boxCase("strip", [1, 1, 12], [0, 0, 0], [1, 1, 1]);
  const scores = Float32Array.from({ length: 12 }, (_, x) => x / 16);
  return { c, scorer: new MapScorer("mean").set(c.image, scores) };
}
