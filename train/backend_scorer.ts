/**
 * Runs a tfjs scorer (the classifier) on its own backend while the policy trains on another: the
 * classifier's 3D convolutions are fastest on `wasm` (this package's conv3d kernels), whereas the
 * policy's stride-2 convolutions need gradients that only the `cpu` kernels provide. tfjs has one
 * current backend; switching it costs about half a millisecond and moves no data as long as each
 * network's tensors are only ever used under their own backend, which this wrapper ensures by
 * switching around every scorer call and back afterwards.
 *
 * Calls are also serialised (one at a time, `scoreBatch` scoring requests in order): a scorer that
 * reuses an input buffer across awaits must not run twice at once.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Vec3, Volume } from "../data/types.ts";
import type { Scorer, ScoreRequest } from "../env/scorer.ts";

/** A scorer that runs `inner` under the tfjs backend `backend`, one call at a time. */
export class BackendScorer implements Scorer {
  /** The inner scorer's id (scores are the same, so caches may be shared). */
  readonly id: string;
  /** The wrapped scorer. */
  readonly inner: Scorer;
  /** The backend the inner scorer's tensors live on. */
  readonly backend: string;
  #queue: Promise<unknown> = Promise.resolve();

  /**
   * Wraps a scorer.
   * @param inner the scorer (its model must have been created under `backend`)
   * @param backend a tfjs backend name that is already initialised (e.g. by `initBackend`)
   */
  constructor(inner: Scorer, backend: string) {
    this.inner = inner;
    this.backend = backend;
    this.id = inner.id;
  }

  /** Scores windows of one volume (see `Scorer.score`) under the scorer's backend. */
  score(volume: Volume, corners: Int32Array, size: Vec3): Promise<Float32Array> {
    return this.#serial(() => this.inner.score(volume, corners, size));
  }

  /** Scores several volumes' windows in one serialised call under the scorer's backend. */
  scoreBatch(requests: readonly ScoreRequest[], size: Vec3): Promise<Float32Array[]> {
    return this.#serial(async () => {
      if (this.inner.scoreBatch) return await this.inner.scoreBatch(requests, size);
      const out: Float32Array[] = [];
      for (const r of requests) out.push(await this.inner.score(r.volume, r.corners, size));
      return out;
    });
  }

  #serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(async () => {
      const previous = tf.getBackend();
      if (previous !== this.backend) await tf.setBackend(this.backend);
      try {
        return await run();
      } finally {
        if (previous !== this.backend) await tf.setBackend(previous);
      }
    });
    this.#queue = next.catch(() => {});
    return next;
  }
}
