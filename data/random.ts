/**
 * Seeded pseudo-random numbers: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator,
 * 128-bit state, period >= 2^32), seeded through splitmix32 so that nearby seeds give
 * unrelated streams. The state is four uint32s and can be saved and restored (checkpoints).
 *
 * @module
 */

import { InvalidArgumentError } from "./errors.ts";

/** The serialisable state of an {@link Rng}: four uint32 words. */
export type RngState = readonly [number, number, number, number];

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * Checks a user-facing seed (Gymnasium's `reset(seed=...)`): `undefined` means "do not reseed";
 * anything else must be a non-negative safe integer (0 <= seed <= 2^53 - 1).
 * @param seed the value given
 * @param source the argument or CLI flag named in the error (default `seed`)
 * @throws {InvalidArgumentError} for null, NaN, strings, negative, fractional or unsafe numbers
 */
export function checkSeed(seed: unknown, source = "seed"): asserts seed is number | undefined {
  if (seed === undefined) return;
  if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0) {
    const shown = typeof seed === "string" ? `the string "${seed}"` : String(seed);
    throw new InvalidArgumentError(
      source,
      `is ${shown}`,
      "a non-negative safe integer (0 <= seed <= 2^53 - 1), or undefined to continue the current stream",
    );
  }
}

/** murmur3's 32-bit finaliser: a bijection on uint32 in which every input bit flips every output bit. */
export function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The seed of stream `index` derived from a user seed (game i of a vector env, random start i of
 * inference). Every bit of the seed counts: its low and high 32-bit words are hashed separately
 * with 32-bit integer arithmetic (`Math.imul`), so no precision is lost above 2^32 or 2^53 (a
 * float product such as `seed * 0x9e3779b1` drops low bits there). For a fixed index the map from
 * seeds below 2^32 is a bijection (no two such seeds share a stream); across indices and large
 * seeds the values collide as rarely as random 32-bit numbers.
 * @param seed a finite number (truncated; negative values use their two's-complement words)
 * @param index the stream number, a non-negative integer
 * @returns a uint32 seed for {@link Rng}
 */
export function deriveSeed(seed: number, index: number): number {
  const t = Math.trunc(seed);
  const lo = t >>> 0; // exact: ToUint32 reduces integers modulo 2^32
  const hi = Math.floor(t / 4294967296) >>> 0;
  const key = fmix32((fmix32(hi ^ 0x9e3779b9) + Math.imul(index, 0x85ebca6b)) >>> 0);
  return fmix32((lo ^ key) >>> 0);
}

/** A deterministic sfc32 generator. Same seed, same sequence, on every platform. */
export class Rng {
  #a = 0;
  #b = 0;
  #c = 0;
  #d = 0;
  #spareNormal: number | undefined;

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @param seed any finite number; its low 32 bits (after truncation) select the stream. */
  constructor(seed: number) {
    this.reseed(seed);
  }

  /** Restarts the stream from a seed. */
  reseed(seed: number): void {
    if (!Number.isFinite(seed)) throw new RangeError(`Rng seed must be finite, got ${seed}`);
    const sm = splitmix32(Math.trunc(seed) >>> 0);
    this.#a = sm();
    this.#b = sm();
    this.#c = sm();
    this.#d = sm();
    this.#spareNormal = undefined;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A uniform integer in [0, 2^32). */
  nextUint32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = (this.#b ^ (this.#b >>> 9)) >>> 0;
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** A uniform float in [0, 1) with 32 random bits. */
  float(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** A uniform integer in [0, n); `n` must be a positive integer below 2^32. */
  int(n: number): number {
    if (!(Number.isInteger(n) && n > 0 && n <= 4294967296)) {
      throw new RangeError(`Rng.int expects a positive integer bound, got ${n}`);
    }
    // Rejection sampling removes modulo bias.
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** A standard normal deviate (Marsaglia polar method). */
  normal(): number {
    if (this.#spareNormal !== undefined) {
      const s = this.#spareNormal;
      this.#spareNormal = undefined;
      return s;
    }
    let u = 0, v = 0, s = 0;
    do {
      u = 2 * this.float() - 1;
      v = 2 * this.float() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.#spareNormal = v * f;
    return u * f;
  }

  /** Shuffles an array in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }

  /** The generator state, for checkpoints. A pending spare normal deviate is dropped. */
  getState(): RngState {
    return [this.#a, this.#b, this.#c, this.#d];
  }

  /** Restores a state saved by {@link Rng.getState}. */
  setState(state: RngState): void {
    if (state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w < 4294967296)) {
      throw new RangeError("Rng.setState expects four uint32 words");
    }
    [this.#a, this.#b, this.#c, this.#d] = state;
    this.#spareNormal = undefined;
  }
}
