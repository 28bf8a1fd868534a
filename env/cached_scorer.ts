/**
 * Memoisation of any scorer. A window's score depends only on (volume, size, corner), and moves on
 * the stride lattice revisit corners often, so most steps become a lookup. Misses of one call are
 * forwarded to the inner scorer in ONE call (one `scoreBatch` across volumes when it has one).
 *
 * @module
 */
import type { Vec3, Volume } from "../data/types.ts";
import { type Scorer, type ScoreRequest, scoreRequests } from "./scorer.ts";

/** Counters of a {@link CachedScorer}. */
export interface CacheStats {
  /** Windows answered from the cache. */
  hits: number;
  /** Windows forwarded to the inner scorer. */
  misses: number;
  /** Calls received (`score` or `scoreBatch`). */
  calls: number;
  /** Calls made to the inner scorer (only when there were misses). */
  innerCalls: number;
  /** Largest number of windows forwarded in one inner call. */
  largestInnerBatch: number;
  /** Number of cached scores. */
  entries: number;
}

/** Wraps a scorer with a per-volume, per-size, per-corner memo. */
export class CachedScorer implements Scorer {
  /** `cached(<inner id>)`. */
  readonly id: string;
  /** The wrapped scorer. */
  readonly inner: Scorer;
  #memo = new WeakMap<Volume, Map<string, Map<number, number>>>();
  #stats: CacheStats = { hits: 0, misses: 0, calls: 0, innerCalls: 0, largestInnerBatch: 0, entries: 0 };

  /** Creates the instance; see the class documentation for the arguments. */
  constructor(inner: Scorer) {
    this.inner = inner;
    this.id = `cached(${inner.id})`;
  }

  /** A copy of the counters. */
  get stats(): CacheStats {
    return { ...this.#stats };
  }

  /** Forgets all scores and zeroes the counters. */
  clear(): void {
    this.#stats = { hits: 0, misses: 0, calls: 0, innerCalls: 0, largestInnerBatch: 0, entries: 0 };
    this.#memo = new WeakMap();
  }

  /** Scores the windows at `corners` (packed z,y,x) of size `size`; see {@link Scorer}. */
  async score(volume: Volume, corners: Int32Array, size: Vec3): Promise<Float32Array> {
    const [scores] = await this.scoreBatch([{ volume, corners }], size);
    return scores;
  }

  /** Scores several volumes' windows in one call; see {@link Scorer}. */
  async scoreBatch(requests: readonly ScoreRequest[], size: Vec3): Promise<Float32Array[]> {
    this.#stats.calls++;
    const sizeKey = `${size[0]}x${size[1]}x${size[2]}`;
    const outputs = requests.map((r) => new Float32Array(r.corners.length / 3));
    // Per request: the output slots that missed, and the distinct missing corners to forward.
    const pending: { request: number; slots: number[]; keys: number[]; corners: number[] }[] = [];
    requests.forEach((r, ri) => {
      const memo = this.#table(r.volume, sizeKey);
      const [, ny, nx] = r.volume.shape;
      const slots: number[] = [], keys: number[] = [], corners: number[] = [];
      const forwarded = new Set<number>();
      for (let i = 0; i < r.corners.length / 3; i++) {
        const z = r.corners[3 * i], y = r.corners[3 * i + 1], x = r.corners[3 * i + 2];
        const key = (z * ny + y) * nx + x;
        const hit = memo.get(key);
        if (hit !== undefined) {
          outputs[ri][i] = hit;
          this.#stats.hits++;
          continue;
        }
        slots.push(i);
        if (forwarded.has(key)) continue; // a corner repeated within one call is forwarded once
        forwarded.add(key);
        keys.push(key);
        corners.push(z, y, x);
      }
      if (slots.length) pending.push({ request: ri, slots, keys, corners });
    });
    if (!pending.length) return outputs;
    const inner = pending.map((p) => ({
      volume: requests[p.request].volume,
      corners: Int32Array.from(p.corners),
    }));
    const total = pending.reduce((s, p) => s + p.keys.length, 0);
    this.#stats.misses += total;
    this.#stats.innerCalls++;
    this.#stats.largestInnerBatch = Math.max(this.#stats.largestInnerBatch, total);
    const results = await scoreRequests(this.inner, inner, size);
    pending.forEach((p, k) => {
      const r = requests[p.request];
      const memo = this.#table(r.volume, sizeKey);
      p.keys.forEach((key, j) => memo.set(key, results[k][j]));
      this.#stats.entries += p.keys.length;
      const [, ny, nx] = r.volume.shape;
      for (const i of p.slots) {
        outputs[p.request][i] = memo.get(
          (r.corners[3 * i] * ny + r.corners[3 * i + 1]) * nx + r.corners[3 * i + 2],
        )!;
      }
    });
    return outputs;
  }

  #table(volume: Volume, sizeKey: string): Map<number, number> {
    let bySize = this.#memo.get(volume);
    if (!bySize) {
      bySize = new Map();
      this.#memo.set(volume, bySize);
    }
    let memo = bySize.get(sizeKey);
    if (!memo) {
      memo = new Map();
      bySize.set(sizeKey, memo);
    }
    return memo;
  }
}
