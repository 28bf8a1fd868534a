/**
 * The `Scorer` contract: the reward model of SPARS. A scorer maps windows of a volume to
 * object-presence scores in [0, 1]. It is batched (many windows per call) and asynchronous
 * (a neural network may run on another device).
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3, Volume } from "../data/types.ts";

/**
 * Scores windows of a volume.
 *
 * `score(volume, corners, size)` receives `n` window corners packed as `corners[3i..3i+2]` =
 * (z, y, x) voxel indices, every window of size `size` (z,y,x) lying inside the volume, and resolves
 * to `n` scores in [0, 1] in the same order. For a given scorer the score depends only on the volume,
 * the corner and the size, which is what makes caching valid. `n` may be 0.
 *
 * `scoreBatch`, when present, scores windows of several volumes in one call (one network batch);
 * vector envs use it so that a step of N games is one call.
 */
export interface Scorer {
  /** A stable identifier (used in cache keys and reports). */
  readonly id: string;
  /** Scores `corners.length / 3` windows of size `size` (z,y,x) of `volume`. */
  score(volume: Volume, corners: Int32Array, size: Vec3): Promise<Float32Array>;
  /** Optional: scores several volumes' windows at once; one result per request, in order. */
  scoreBatch?(requests: readonly ScoreRequest[], size: Vec3): Promise<Float32Array[]>;
}

/** Windows of one volume to score: `corners` packed z,y,x triples. */
export interface ScoreRequest {
  /** The volume. */
  readonly volume: Volume;
  /** Packed corners (z,y,x triples). */
  readonly corners: Int32Array;
}

/**
 * Scores several requests with as few scorer calls as the scorer allows: one `scoreBatch` call when
 * it has one, else one `score` call per request. Checks every result: its length and that each
 * score lies in [0, 1].
 * @throws {InvalidArgumentError} naming the scorer when it returns the wrong count or a bad score
 */
export async function scoreRequests(
  scorer: Scorer,
  requests: readonly ScoreRequest[],
  size: Vec3,
): Promise<Float32Array[]> {
  const results = scorer.scoreBatch
    ? await scorer.scoreBatch(requests, size)
    : await Promise.all(requests.map((r) => scorer.score(r.volume, r.corners, size)));
  if (results.length !== requests.length) {
    throw new InvalidArgumentError(
      `scorer ${scorer.id}`,
      `returned ${results.length} results`,
      `${requests.length}`,
    );
  }
  results.forEach((scores, r) => checkScores(scorer.id, scores, requests[r].corners.length / 3));
  return results;
}

/**
 * Checks one scorer result: `n` values, each in [0, 1].
 * @throws {InvalidArgumentError} naming the scorer otherwise
 */
export function checkScores(scorerId: string, scores: Float32Array, n: number): void {
  if (scores.length !== n) {
    throw new InvalidArgumentError(
      `scorer ${scorerId}`,
      `returned ${scores.length} scores for ${n} windows`,
      "one score per window",
    );
  }
  for (let i = 0; i < n; i++) {
    if (!(scores[i] >= 0 && scores[i] <= 1)) {
      throw new InvalidArgumentError(
        `scorer ${scorerId}`,
        `returned score ${scores[i]} for window ${i}`,
        "a score in [0, 1]",
      );
    }
  }
}
