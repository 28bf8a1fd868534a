/**
 * Memoisation of any scorer. A window's score depends only on (volume, size, corner), and moves on
 * the stride lattice revisit corners often, so most steps become a lookup. The distinct misses of
 * one call (per volume, across requests) are forwarded to the inner scorer in ONE call (one
 * `scoreBatch` across volumes when it has one).
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
    const outputs: Float32Array[] = [];
    // Per request with misses: its memo, the output slots that missed and their keys.
    let pending:
      | { request: number; memo: Map<number, number>; slots: number[]; keys: number[] }[]
      | undefined;
    for (let r = 0; r < requests.length; r++) {
      const { volume, corners } = requests[r];
      const memo = this.#table(volume, sizeKey);
      const [, ny, nx] = volume.shape;
      const out = new Float32Array(corners.length / 3);
      outputs.push(out);
      let slots: number[] | undefined, keys: number[] | undefined;
      for (let i = 0; i < out.length; i++) {
        const key = (corners[3 * i] * ny + corners[3 * i + 1]) * nx + corners[3 * i + 2];
        const hit = memo.get(key);
        if (hit !== undefined) out[i] = hit;
        else {
          (slots ??= []).push(i);
          (keys ??= []).push(key);
        }
      }
      this.#stats.hits += out.length - (slots?.length ?? 0);
      if (slots) (pending ??= []).push({ request: r, memo, slots, keys: keys! });
    }
    if (!pending) return outputs;
    // Forward each distinct missing corner of each volume once (requests may share a volume, e.g.
    // both agents of a game or several games on one case), all in one inner call.
    const byVolume = new Map<Volume, { memo: Map<number, number>; keys: number[]; corners: number[] }>();
    for (const p of pending) {
      const { volume, corners } = requests[p.request];
      let group = byVolume.get(volume);
      if (!group) byVolume.set(volume, group = { memo: p.memo, keys: [], corners: [] });
      const seen = new Set(group.keys);
      p.slots.forEach((i, j) => {
        if (seen.has(p.keys[j])) return;
        seen.add(p.keys[j]);
        group.keys.push(p.keys[j]);
        group.corners.push(corners[3 * i], corners[3 * i + 1], corners[3 * i + 2]);
      });
    }
    const groups = [...byVolume.entries()];
    const total = groups.reduce((n, [, g]) => n + g.keys.length, 0);
    this.#stats.misses += total;
    this.#stats.innerCalls++;
    this.#stats.largestInnerBatch = Math.max(this.#stats.largestInnerBatch, total);
    const inner = groups.map(([volume, g]) => ({ volume, corners: Int32Array.from(g.corners) }));
    const results = await scoreRequests(this.inner, inner, size);
    groups.forEach(([, g], k) => g.keys.forEach((key, j) => g.memo.set(key, results[k][j])));
    this.#stats.entries += total;
    for (const p of pending) {
      const out = outputs[p.request];
      p.slots.forEach((i, j) => out[i] = p.memo.get(p.keys[j])!);
    }
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
