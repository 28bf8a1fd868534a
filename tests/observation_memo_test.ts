/**
 * The shared observation memo (issue 16: training memory grew with the number of cases): an LRU
 * bounded in bytes, checked against a brute-force list-based LRU; encoders of several volumes
 * sharing one memo give the observations of encoders without a memo (no key collisions between
 * volumes) and never hold more than the budget.
 */
import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import { diagonalAffine, type Vec3, type Volume } from "../data/types.ts";
import { ObservationEncoder } from "../env/observation.ts";
import { ObservationMemo } from "../env/observation_memo.ts";

/** The reference: entries in use order (oldest first), evicted from the front. */
class ListLru {
  entries: { key: string; bytes: number; value: Float32Array }[] = [];
  constructor(readonly capacity: number) {}
  get(key: string): Float32Array | undefined {
    const i = this.entries.findIndex((e) => e.key === key);
    if (i < 0) return undefined;
    const [e] = this.entries.splice(i, 1);
    this.entries.push(e);
    return e.value;
  }
  set(key: string, value: Float32Array): void {
    if (value.byteLength > this.capacity) return;
    this.entries = this.entries.filter((e) => e.key !== key);
    while (this.entries.reduce((s, e) => s + e.bytes, 0) + value.byteLength > this.capacity) {
      this.entries.shift();
    }
    this.entries.push({ key, bytes: value.byteLength, value });
  }
}

Deno.test("ObservationMemo: same hits, evictions and bytes as a brute-force LRU over 2,000 random operations", () => {
  const rng = new Rng(7);
  const memo = new ObservationMemo(400);
  const ref = new ListLru(400);
  const owners = [memo.newOwner(), memo.newOwner(), memo.newOwner()];
  for (let i = 0; i < 2000; i++) {
    const owner = owners[Math.floor(rng.float() * 3)];
    const key = Math.floor(rng.float() * 12);
    if (rng.float() < 0.5) {
      assert.equal(memo.get(owner, key), ref.get(`${owner}/${key}`), `get ${i}`);
    } else {
      // 4 .. 120 floats: 16 .. 480 bytes, some over the whole budget (never stored).
      const value = new Float32Array(4 + Math.floor(rng.float() * 117)).fill(i);
      memo.set(owner, key, value);
      ref.set(`${owner}/${key}`, value);
    }
    const refBytes = ref.entries.reduce((s, e) => s + e.bytes, 0);
    assert.equal(memo.bytes, refBytes, `bytes after ${i}`);
    assert.equal(memo.size, ref.entries.length);
    assert.ok(memo.bytes <= 400);
  }
});

Deno.test("ObservationMemo: a zero budget keeps nothing; a bad budget is a typed error naming the option", () => {
  const memo = new ObservationMemo(0);
  memo.set(memo.newOwner(), 1, new Float32Array(1));
  assert.equal(memo.size, 0);
  for (const bad of [-1, 1.5, NaN]) {
    assert.throws(() => new ObservationMemo(bad), (e: unknown) => {
      return e instanceof InvalidArgumentError && /observationCacheBytes/.test(e.message);
    });
  }
});

Deno.test("encoders of three volumes sharing one small memo observe what memo-less encoders do", () => {
  const shape: Vec3 = [6, 12, 12], window: Vec3 = [3, 6, 6], obs: Vec3 = [2, 4, 4]; // not a multiple: memoised
  const volumes: Volume[] = [0, 1, 2].map((k) => {
    const data = new Float32Array(6 * 12 * 12).map((_, i) => Math.sin(i * (k + 1)) * 100 + k);
    return { id: `v${k}`, shape, spacing: [1, 1, 1], data, affine: diagonalAffine([1, 1, 1]) };
  });
  const oneObservation = 2 * 4 * 4 * 4 * 4; // window+position: 4 channels of float32
  const memo = new ObservationMemo(5 * oneObservation);
  const shared = volumes.map((v) => new ObservationEncoder(v, window, obs, "window+position", memo));
  const plain = volumes.map((v) => new ObservationEncoder(v, window, obs, "window+position", 0));
  const rng = new Rng(3);
  for (let i = 0; i < 300; i++) {
    const k = Math.floor(rng.float() * 3);
    // The same few corners in every volume: a key shared between volumes would return another's.
    const corner: Vec3 = [
      Math.floor(rng.float() * 2),
      Math.floor(rng.float() * 3),
      Math.floor(rng.float() * 3),
    ];
    assert.deepEqual(shared[k].encode(corner), plain[k].encode(corner), `step ${i}, volume ${k}`);
    assert.ok(memo.bytes <= 5 * oneObservation);
  }
  assert.equal(memo.size, 5);
});
