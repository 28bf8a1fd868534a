/**
 * The spatial-prior baseline of the patch game: an IMAGE-BLIND player that always takes the same
 * patches, those most often holding the target in a set of labelled (training) cases. Why: on
 * phantoms whose tumours lie in the same few places, a policy can score well without reading the
 * image; this row shows what position alone is worth, so that image reading is shown, not assumed.
 *
 * Fit ({@link fitSpatialPrior}): patch p's frequency = share of cases with at least one target voxel
 * in patch p; order = patches by descending frequency (lower index first on ties); count K = the
 * prefix length maximising the mean Dice of "the union of the first K patches" over the cases that
 * hold target voxels (smallest K on ties; 0 when no case holds any). Dice is computed from per-patch
 * voxel counts: `2 * sum(target in K patches) / (voxels in K patches + target voxels)`.
 *
 * Play: the first untaken patch of the first K in order; terminate when all K are taken. In
 * self-play (both sides this agent) the segmentation is exactly the first K patches.
 *
 * @module
 */
import { InvalidArgumentError } from "../../data/errors.ts";
import type { Case, Vec3 } from "../../data/types.ts";
import type { PatchAgent, PatchAgentContext } from "./agents.ts";
import { PatchGrid } from "./grid.ts";

/** A fitted spatial prior. */
export interface SpatialPrior {
  /** Patch grid z,y,x it was fitted on. */
  readonly grid: Vec3;
  /** Per patch index: share of the fitting cases with a target voxel in that patch, in [0, 1]. */
  readonly frequency: Float64Array;
  /** Patch indices by descending frequency (lower index first on ties). */
  readonly order: Int32Array;
  /** Patches taken: the first `count` of `order` (0..patches). */
  readonly count: number;
  /** Mean Dice of those patches over the fitting cases with target voxels (NaN when none). */
  readonly fitDice: number;
}

/**
 * Fits the prior on labelled cases (any shapes; each is cut by its own {@link PatchGrid}).
 * @param cases cases with `labels`
 * @param grid patches z,y,x
 * @param target label values counted as the object (default [2], the phantoms' tumour)
 * @throws {InvalidArgumentError} for no cases, a case without labels, or a grid finer than a case
 */
export function fitSpatialPrior(
  cases: readonly Case[],
  grid: Vec3,
  target: readonly number[] = [2],
): SpatialPrior {
  if (!cases.length) throw new InvalidArgumentError("cases", "is empty", "at least one labelled case");
  const n = grid[0] * grid[1] * grid[2];
  const lut = new Uint8Array(256);
  for (const t of target) lut[t] = 1;
  const hits = new Float64Array(n);
  const perCase: { targetIn: Float64Array; voxelsIn: Float64Array; total: number }[] = [];
  for (const c of cases) {
    if (!c.labels) {
      throw new InvalidArgumentError(`case ${c.id}`, "has no labels", "voxel labels to fit a prior");
    }
    const g = new PatchGrid(c.image.shape, grid);
    const targetIn = new Float64Array(n), voxelsIn = new Float64Array(n);
    const [nz, ny, nx] = c.image.shape, labels = c.labels.data;
    for (let z = 0, i = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++, i++) {
          const p = g.patchOf(z, y, x);
          voxelsIn[p]++;
          targetIn[p] += lut[labels[i]];
        }
      }
    }
    let total = 0;
    for (let p = 0; p < n; p++) {
      total += targetIn[p];
      if (targetIn[p] > 0) hits[p]++;
    }
    if (total > 0) perCase.push({ targetIn, voxelsIn, total });
  }
  const frequency = hits.map((h) => h / cases.length);
  const order = Int32Array.from({ length: n }, (_, p) => p).sort((a, b) =>
    frequency[b] - frequency[a] || a - b
  );
  let count = 0, fitDice = perCase.length ? 0 : NaN;
  const tp = new Float64Array(perCase.length), size = new Float64Array(perCase.length);
  for (let k = 1; k <= n && perCase.length; k++) {
    const p = order[k - 1];
    let sum = 0;
    perCase.forEach((c, i) => {
      tp[i] += c.targetIn[p];
      size[i] += c.voxelsIn[p];
      sum += 2 * tp[i] / (size[i] + c.total);
    });
    if (sum / perCase.length > fitDice) [count, fitDice] = [k, sum / perCase.length];
  }
  return { grid: [grid[0], grid[1], grid[2]], frequency, order, count, fitDice };
}

/** Plays a {@link SpatialPrior}: always the same patches, whatever the image. */
export class SpatialPriorPatchAgent implements PatchAgent {
  /** `"spatial prior"`. */
  readonly name: string = "spatial prior";
  /** The prior played. */
  readonly prior: SpatialPrior;

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @param prior a fitted prior
   */
  constructor(prior: SpatialPrior) {
    this.prior = prior;
  }

  /**
   * One action per game: the first untaken patch of the prior's first `count`, else terminate.
   * @throws {InvalidArgumentError} when a game's grid differs from the prior's
   */
  act(_observations: readonly Float32Array[], contexts: readonly PatchAgentContext[]): Promise<Int32Array> {
    const { order, count, grid } = this.prior;
    return Promise.resolve(Int32Array.from(contexts, (c, i) => {
      if (c.grid.grid.some((g, a) => g !== grid[a])) {
        throw new InvalidArgumentError(`contexts[${i}].grid`, `is ${c.grid.grid.join("x")}`, grid.join("x"));
      }
      for (let j = 0; j < count; j++) if (c.actionMask[order[j]] === 1) return order[j];
      return c.grid.count;
    }));
  }
}
