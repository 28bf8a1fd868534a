/**
 * Memoisation of any scorer. A window's score depends only on (volume, size, corner), and moves on
 * the stride lattice revisit corners often, so most steps become a lookup. The distinct misses of
 * one call (per volume, across requests) are forwarded to the inner scorer in ONE call (one
 * `scoreBatch` across volumes when it has one). The memo is bounded: `maxEntries` scores, least
 * recently used evicted first (the envs take the bound from the game option `scoreCacheEntries`).
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3, Volume } from "../data/types.ts";
import { type Scorer, type ScoreRequest, scoreRequests } from "./scorer.ts";

/**
 * Default bound of a {@link CachedScorer}: 2^20 scores (about 55 bytes each, so about 58 MB at
 * most). A game visits at most a few thousand corners of one volume, so this holds every window of
 * hundreds of volumes before evicting.
 */
export const DEFAULT_SCORE_CACHE_ENTRIES: number = 2 ** 20;

/** Options of a {@link CachedScorer}. */
export interface CachedScorerOptions {
  /**
   * Most scores kept (a positive integer); beyond it the least recently used score is evicted.
   * Default {@link DEFAULT_SCORE_CACHE_ENTRIES}.
   */
  readonly maxEntries?: number;
}

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
  /** Number of cached scores now (at most `maxEntries`). */
  entries: number;
  /** Scores dropped (least recently used first) to stay within `maxEntries`. */
  evictions: number;
}

// A cache key is table * 2^32 + corner key, where a table is one (volume, window size) pair and the
// corner key (z * ny + y) * nx + x is below the voxel count (< 2^32); tables below 2^21 keep keys
// exact (< 2^53).
const TABLE_STRIDE = 2 ** 32;
const MAX_TABLES = 2 ** 21;

/**
 * Wraps a scorer with a bounded memo keyed by (volume, size, corner), evicting the least recently
 * used score beyond `maxEntries`.
 */
export class CachedScorer implements Scorer {
  /** `cached(<inner id>)`. */
  readonly id: string;
  /** The wrapped scorer. */
  readonly inner: Scorer;
  /** Most scores kept. */
  readonly maxEntries: number;
  #tables = new WeakMap<Volume, Map<string, number>>();
  #nextTable = 0;
  /** Bumped when table ids restart, so that calls in flight do not store under reused ids. */
  #generation = 0;
  /** Scores by key; Map iteration order is the recency order (least recently used first). */
  #memo = new Map<number, number>();
  #stats = CachedScorer.#zero();

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @throws {InvalidArgumentError} unless `maxEntries` is a positive integer
   */
  constructor(inner: Scorer, options: CachedScorerOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_SCORE_CACHE_ENTRIES;
    if (!(Number.isSafeInteger(maxEntries) && maxEntries >= 1)) {
      throw new InvalidArgumentError(
        "maxEntries",
        `is ${maxEntries}`,
        `a positive integer number of cached scores (default ${DEFAULT_SCORE_CACHE_ENTRIES})`,
      );
    }
    this.inner = inner;
    this.maxEntries = maxEntries;
    this.id = `cached(${inner.id})`;
  }

  static #zero(): CacheStats {
    return { hits: 0, misses: 0, calls: 0, innerCalls: 0, largestInnerBatch: 0, entries: 0, evictions: 0 };
  }

  /** A copy of the counters. */
  get stats(): CacheStats {
    return { ...this.#stats, entries: this.#memo.size };
  }

  /** Forgets all scores and zeroes the counters. */
  clear(): void {
    this.#stats = CachedScorer.#zero();
    this.#restart();
  }

  #restart(): void {
    this.#memo = new Map();
    this.#tables = new WeakMap();
    this.#nextTable = 0;
    this.#generation++;
  }

  /** Scores the windows at `corners` (packed z,y,x) of size `size`; see {@link Scorer}. */
  async score(volume: Volume, corners: Int32Array, size: Vec3): Promise<Float32Array> {
    const [scores] = await this.scoreBatch([{ volume, corners }], size);
    return scores;
  }

  /** Scores several volumes' windows in one call; see {@link Scorer}. */
  async scoreBatch(requests: readonly ScoreRequest[], size: Vec3): Promise<Float32Array[]> {
    this.#stats.calls++;
    // Table ids run out after 2^21 (volume, size) pairs: start afresh (scores are recomputable).
    if (this.#nextTable + requests.length > MAX_TABLES) this.#restart();
    const generation = this.#generation;
    const sizeKey = `${size[0]}x${size[1]}x${size[2]}`;
    const memo = this.#memo;
    const outputs: Float32Array[] = [];
    // Per request with misses: the output slots that missed and their cache keys.
    let pending: { request: number; slots: number[]; keys: number[] }[] | undefined;
    for (let r = 0; r < requests.length; r++) {
      const { volume, corners } = requests[r];
      const base = this.#table(volume, sizeKey) * TABLE_STRIDE;
      const [, ny, nx] = volume.shape;
      const out = new Float32Array(corners.length / 3);
      outputs.push(out);
      let slots: number[] | undefined, keys: number[] | undefined;
      for (let i = 0; i < out.length; i++) {
        const key = base + (corners[3 * i] * ny + corners[3 * i + 1]) * nx + corners[3 * i + 2];
        const hit = memo.get(key);
        if (hit !== undefined) {
          out[i] = hit;
          memo.delete(key); // most recently used: move to the end of the order
          memo.set(key, hit);
        } else {
          (slots ??= []).push(i);
          (keys ??= []).push(key);
        }
      }
      this.#stats.hits += out.length - (slots?.length ?? 0);
      if (slots) (pending ??= []).push({ request: r, slots, keys: keys! });
    }
    if (!pending) return outputs;
    // Forward each distinct missing corner of each volume once (requests may share a volume, e.g.
    // both agents of a game or several games on one case), all in one inner call.
    const byVolume = new Map<Volume, { index: Map<number, number>; keys: number[]; corners: number[] }>();
    const where: number[][] = []; // per pending request: index of each slot's corner in its group
    for (const p of pending) {
      const { volume, corners } = requests[p.request];
      let group = byVolume.get(volume);
      if (!group) byVolume.set(volume, group = { index: new Map(), keys: [], corners: [] });
      const g = group;
      where.push(p.slots.map((i, j) => {
        const key = p.keys[j];
        let k = g.index.get(key);
        if (k === undefined) {
          k = g.keys.length;
          g.index.set(key, k);
          g.keys.push(key);
          g.corners.push(corners[3 * i], corners[3 * i + 1], corners[3 * i + 2]);
        }
        return k;
      }));
    }
    const groups = [...byVolume.entries()];
    const total = groups.reduce((n, [, g]) => n + g.keys.length, 0);
    this.#stats.misses += total;
    this.#stats.innerCalls++;
    this.#stats.largestInnerBatch = Math.max(this.#stats.largestInnerBatch, total);
    const inner = groups.map(([volume, g]) => ({ volume, corners: Int32Array.from(g.corners) }));
    const results = await scoreRequests(this.inner, inner, size);
    const groupOf = new Map(groups.map(([volume], k) => [volume, k]));
    pending.forEach((p, n) => {
      const scores = results[groupOf.get(requests[p.request].volume)!];
      const out = outputs[p.request];
      p.slots.forEach((i, j) => out[i] = scores[where[n][j]]);
    });
    if (generation === this.#generation) {
      groups.forEach(([, g], k) => g.keys.forEach((key, j) => this.#insert(key, results[k][j])));
    }
    return outputs;
  }

  #insert(key: number, score: number): void {
    const memo = this.#memo;
    memo.delete(key); // a concurrent call may have stored it meanwhile
    memo.set(key, score);
    if (memo.size > this.maxEntries) {
      memo.delete(memo.keys().next().value!);
      this.#stats.evictions++;
    }
  }

  /** The id of the (volume, size) table. */
  #table(volume: Volume, sizeKey: string): number {
    let bySize = this.#tables.get(volume);
    if (!bySize) {
      bySize = new Map();
      this.#tables.set(volume, bySize);
    }
    let table = bySize.get(sizeKey);
    if (table === undefined) {
      table = this.#nextTable++;
      bySize.set(sizeKey, table);
    }
    return table;
  }
}
