/**
 * A scorer wrapper used by inference: it meters the compute spent (distinct windows, calls, wall
 * time) and batches requests of one volume into one inner call.
 *
 * @module
 */
import type { Vec3, Volume } from "../data/types.ts";
import { type Scorer, type ScoreRequest, scoreRequests } from "../env/scorer.ts";

/**
 * A scorer wrapper that meters its calls (windows, calls, wall time) and, in `scoreBatch`, coalesces
 * the requests of one volume into ONE inner `score` call of their distinct corners (a network
 * scorer then sees one large batch, and a corner asked twice in one call is scored once). An inner
 * scorer with its own `scoreBatch` gets the de-duplicated requests in one call instead.
 */
export class MeteredScorer implements Scorer {
  /** Same id as the wrapped scorer (caches keyed on ids stay valid). */
  readonly id: string;
  /** The wrapped scorer. */
  readonly inner: Scorer;
  /** Distinct windows forwarded to the inner scorer so far. */
  windows = 0;
  /** Calls received so far (`score` or `scoreBatch`). */
  calls = 0;
  /** Milliseconds spent inside calls so far. */
  ms = 0;

  /**
   * Wraps a scorer.
   * @param inner the scorer to meter
   */
  constructor(inner: Scorer) {
    this.inner = inner;
    this.id = inner.id;
  }

  /** Scores one volume's windows (through {@link MeteredScorer.scoreBatch}). */
  async score(volume: Volume, corners: Int32Array, size: Vec3): Promise<Float32Array> {
    const [scores] = await this.scoreBatch([{ volume, corners }], size);
    return scores;
  }

  /** Scores several requests: per volume, one inner call with the distinct corners. */
  async scoreBatch(requests: readonly ScoreRequest[], size: Vec3): Promise<Float32Array[]> {
    const t0 = performance.now();
    try {
      // Per volume: distinct corners, and for every requested window the index of its corner.
      const groups = new Map<Volume, { corners: number[]; keys: Map<number, number> }>();
      const slots = requests.map((r) => {
        let g = groups.get(r.volume);
        if (!g) groups.set(r.volume, g = { corners: [], keys: new Map() });
        const [, ny, nx] = r.volume.shape;
        return Int32Array.from({ length: r.corners.length / 3 }, (_, i) => {
          const z = r.corners[3 * i], y = r.corners[3 * i + 1], x = r.corners[3 * i + 2];
          const key = (z * ny + y) * nx + x;
          let k = g!.keys.get(key);
          if (k === undefined) {
            k = g!.corners.length / 3;
            g!.keys.set(key, k);
            g!.corners.push(z, y, x);
          }
          return k;
        });
      });
      const volumes = [...groups.keys()];
      const inner = volumes.map((volume) => ({
        volume,
        corners: Int32Array.from(groups.get(volume)!.corners),
      }));
      for (const r of inner) this.windows += r.corners.length / 3;
      const results = await scoreRequests(this.inner, inner, size);
      return requests.map((r, i) => {
        const scores = results[volumes.indexOf(r.volume)];
        return Float32Array.from(slots[i], (k) => scores[k]);
      });
    } finally {
      this.calls++;
      this.ms += performance.now() - t0;
    }
  }
}
