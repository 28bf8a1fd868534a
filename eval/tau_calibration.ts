/**
 * Termination-threshold inference from weak labels: tau is set to a named quantile of the scores
 * the reward model gives windows of TUMOUR-FREE validation volumes (volumes whose image-level label
 * says "no target"). No voxel label is read. With quantile q, a window of a tumour-free volume
 * reaches tau with probability about 1 - q, so episodes stop on a false positive rarely; the
 * paper's fixed tau (0.3) sits below the false-positive level of a saturating classifier, so every
 * episode ended at step 1.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Rng } from "../data/random.ts";
import type { Case, Vec3 } from "../data/types.ts";
import { latticeAxis } from "../env/geometry.ts";
import type { Scorer } from "../env/scorer.ts";

/**
 * The `q` quantile of `scores` with linear interpolation between order statistics (numpy's default
 * `linear` method: position `q * (n - 1)` in the sorted values).
 * @throws {InvalidArgumentError} for no scores, a non-finite score, or `q` outside [0, 1]
 */
export function scoreQuantile(scores: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new InvalidArgumentError("tauQuantile", `is ${q}`, "a value in [0, 1]");
  if (!scores.length) {
    throw new InvalidArgumentError("scores", "is empty", "scores of at least one tumour-free window");
  }
  const sorted = Float64Array.from(scores).sort();
  if (!sorted.every(Number.isFinite)) {
    throw new InvalidArgumentError("scores", "holds a non-finite value", "finite window scores");
  }
  const pos = q * (sorted.length - 1), lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** What {@link calibrateTau} found. */
export interface TauCalibration {
  /** The calibrated termination threshold. */
  readonly tau: number;
  /** The quantile asked for. */
  readonly quantile: number;
  /** Windows scored. */
  readonly windows: number;
  /** Tumour-free cases used (ids). */
  readonly cases: readonly string[];
  /** Where the scores came from, for reports. */
  readonly source: string;
}

/**
 * Scores `windowsPerCase` lattice windows (drawn without replacement by `rng`; all of them when
 * the lattice is smaller) of every case whose image-level label says tumour-free (`presence === 0`)
 * and returns the `quantile` of those scores as tau.
 *
 * @param cases validation cases; only their `presence` is read, never their voxel labels
 * @param window window size z,y,x (voxels); `stride` the game's move length (voxels)
 * @throws {InvalidArgumentError} when no case is tumour-free, or for a bad quantile or count
 */
export async function calibrateTau(
  cases: readonly Case[],
  scorer: Scorer,
  options: { window: Vec3; stride: number; quantile: number; windowsPerCase: number; rng: Rng },
): Promise<TauCalibration> {
  const { window, stride, quantile, windowsPerCase, rng } = options;
  if (!(Number.isInteger(windowsPerCase) && windowsPerCase >= 1)) {
    throw new InvalidArgumentError("windowsPerCase", `is ${windowsPerCase}`, "a positive integer");
  }
  const negatives = cases.filter((c) => c.presence === 0);
  if (!negatives.length) {
    throw new InvalidArgumentError(
      "validation cases",
      "hold no tumour-free case (image-level label 0)",
      "at least one tumour-free validation volume to calibrate tau, or a fixed --tau",
    );
  }
  const scores: number[] = [];
  for (const c of negatives) {
    const axes = [0, 1, 2].map((a) => latticeAxis(c.image.shape[a], window[a], stride));
    const total = axes[0].length * axes[1].length * axes[2].length;
    const picks = Array.from({ length: total }, (_, i) => i);
    rng.shuffle(picks);
    const chosen = picks.slice(0, Math.min(windowsPerCase, total));
    const corners = new Int32Array(3 * chosen.length);
    chosen.forEach((i, k) => {
      const x = i % axes[2].length, y = Math.floor(i / axes[2].length) % axes[1].length;
      const z = Math.floor(i / (axes[2].length * axes[1].length));
      corners.set([axes[0][z], axes[1][y], axes[2][x]], 3 * k);
    });
    scores.push(...await scorer.score(c.image, corners, window));
  }
  return {
    tau: scoreQuantile(scores, quantile),
    quantile,
    windows: scores.length,
    cases: negatives.map((c) => c.id),
    source: "windows of tumour-free validation volumes (image-level labels only)",
  };
}
