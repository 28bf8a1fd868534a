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
  if (!Array.isArray(results) || results.length !== requests.length) {
    throw new InvalidArgumentError(
      `scorer ${scorer.id}`,
      `scoreBatch returned ${describeResult(results)} for ${requests.length} requests`,
      `an array of ${requests.length} Float32Arrays, one per request (fix the scorer's scoreBatch)`,
    );
  }
  results.forEach((scores, r) => checkScores(scorer.id, scores, requests[r].corners.length / 3));
  return results;
}

function describeResult(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  const length = (value as { length?: unknown }).length;
  const kind = (value as object).constructor?.name ?? typeof value;
  const article = /^[AEIOU]/i.test(kind) ? "an" : "a";
  return typeof length === "number" ? `${article} ${kind} of length ${length}` : `${typeof value} ${kind}`;
}

/**
 * Checks one scorer result: an array-like of `n` numbers (a Float32Array by the contract), each in
 * [0, 1] (so never NaN or infinite).
 * @throws {InvalidArgumentError} naming the scorer otherwise (undefined, null, a non-array, a wrong
 *   length, a non-number or an out-of-range score)
 */
export function checkScores(
  scorerId: string,
  scores: unknown,
  n: number,
): asserts scores is ArrayLike<number> {
  const length = scores === null || scores === undefined
    ? undefined
    : (scores as { length?: unknown }).length;
  if (typeof scores !== "object" || length !== n) {
    throw new InvalidArgumentError(
      `scorer ${scorerId}`,
      `returned ${describeResult(scores)} for ${n} window${n === 1 ? "" : "s"}`,
      `a Float32Array of ${n} score${
        n === 1 ? "" : "s"
      } in [0, 1], one per window (fix the scorer's score())`,
    );
  }
  const values = scores as ArrayLike<unknown>;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!(typeof v === "number" && v >= 0 && v <= 1)) {
      throw new InvalidArgumentError(
        `scorer ${scorerId}`,
        `returned score ${typeof v === "number" ? v : JSON.stringify(v) ?? String(v)} for window ${i}`,
        "a finite score in [0, 1] for every window (fix the scorer's score())",
      );
    }
  }
}
