/**
 * More spaces in the manner of Gymnasium's `spaces/`: {@link MultiDiscrete} (a vector of discrete
 * choices), {@link MultiBinary} (a vector of bits) and {@link Tuple} (a fixed sequence of spaces).
 * Each owns an sfc32 {@link Rng} seeded by `seed()`; `sample(mask)` follows Gymnasium's masks.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import type { Space } from "./spaces.ts";

/** A mask of one discrete choice: length `n`, 1 = allowed, 0 = not allowed. */
export type DiscreteMask = Uint8Array | Int8Array;

function describe(v: unknown): string {
  const kind = (v as object | null)?.constructor?.name ?? String(v);
  const length = (v as { length?: unknown } | null)?.length;
  return `${kind}${typeof length === "number" ? ` of length ${length}` : ""}`;
}

/** Draws among the allowed values of a 0/1 mask; `fallback` when none is allowed. */
function drawMasked(rng: Rng, mask: unknown, n: number, source: string, fallback: number): number {
  if (!(mask instanceof Uint8Array || mask instanceof Int8Array) || mask.length !== n) {
    throw new InvalidArgumentError(
      source,
      `is ${describe(mask)}`,
      `a Uint8Array or Int8Array of length ${n}`,
    );
  }
  let allowed = 0;
  for (let i = 0; i < n; i++) {
    const m = mask[i];
    if (m !== 0 && m !== 1) throw new InvalidArgumentError(source, `holds ${m} at ${i}`, "only 0 and 1");
    allowed += m;
  }
  if (allowed === 0) return fallback;
  let k = rng.int(allowed);
  for (let i = 0; i < n; i++) if (mask[i] === 1 && k-- === 0) return i;
  return fallback; // unreachable
}

/**
 * Vectors `x` (Int32Array of length `nvec.length`) with `start[i] <= x[i] < start[i] + nvec[i]`:
 * one discrete choice per element (e.g. one move per agent).
 */
export class MultiDiscrete implements Space<Int32Array> {
  /** Number of values of each element (positive integers). */
  readonly nvec: Int32Array;
  /** Smallest value of each element. */
  readonly start: Int32Array;
  #rng = new Rng(0);

  /**
   * Creates the instance.
   * @param nvec values per element, positive integers (at least one element)
   * @param start smallest value per element (default all 0)
   * @throws {InvalidArgumentError} for an empty or non-positive `nvec`, or `start` of another length
   */
  constructor(nvec: ArrayLike<number>, start?: ArrayLike<number>) {
    const ok = nvec.length >= 1 &&
      Array.from(nvec).every((n) => Number.isInteger(n) && n >= 1 && n < 2 ** 31);
    if (!ok) {
      throw new InvalidArgumentError(
        "MultiDiscrete.nvec",
        `is [${Array.from(nvec).join(",")}]`,
        "positive integers",
      );
    }
    this.nvec = Int32Array.from(nvec);
    if (start !== undefined && (start.length !== nvec.length || !Array.from(start).every(Number.isInteger))) {
      throw new InvalidArgumentError(
        "MultiDiscrete.start",
        `is [${Array.from(start).join(",")}]`,
        "one integer per element",
      );
    }
    this.start = start === undefined ? new Int32Array(nvec.length) : Int32Array.from(start);
  }

  /** Reseeds the space's generator. */
  seed(seed: number): void {
    this.#rng.reseed(seed);
  }

  /**
   * A random member. With `mask` (one {@link DiscreteMask} of length `nvec[i]` per element), each
   * element is drawn among its allowed values, or is `start[i]` when none is allowed (as Gymnasium).
   * @throws {InvalidArgumentError} for a mask of the wrong count, type, length or values
   */
  sample(mask?: readonly DiscreteMask[]): Int32Array {
    const out = new Int32Array(this.nvec.length);
    if (mask !== undefined && (!Array.isArray(mask) || mask.length !== this.nvec.length)) {
      throw new InvalidArgumentError("mask", `is ${describe(mask)}`, `an array of ${this.nvec.length} masks`);
    }
    for (let i = 0; i < out.length; i++) {
      const v = mask === undefined
        ? this.#rng.int(this.nvec[i])
        : drawMasked(this.#rng, mask[i], this.nvec[i], `mask[${i}]`, 0);
      out[i] = this.start[i] + v;
    }
    return out;
  }

  /** True for an Int32Array of the right length with every element in range. */
  contains(value: unknown): boolean {
    if (!(value instanceof Int32Array) || value.length !== this.nvec.length) return false;
    for (let i = 0; i < value.length; i++) {
      if (value[i] < this.start[i] || value[i] >= this.start[i] + this.nvec[i]) return false;
    }
    return true;
  }
}

/** Vectors of `n` bits: Uint8Array of length `n` holding only 0 and 1. */
export class MultiBinary implements Space<Uint8Array> {
  /** Number of bits (positive integer). */
  readonly n: number;
  #rng = new Rng(0);

  /**
   * Creates the instance.
   * @throws {InvalidArgumentError} unless `n` is a positive integer
   */
  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1) {
      throw new InvalidArgumentError("MultiBinary.n", `is ${n}`, "a positive integer");
    }
    this.n = n;
  }

  /** Reseeds the space's generator. */
  seed(seed: number): void {
    this.#rng.reseed(seed);
  }

  /**
   * A random member: each bit 0 or 1 with probability 1/2. With `mask` (Gymnasium's: Int8Array or
   * Uint8Array of length `n`), a mask value 0 forces the bit to 0, 1 forces it to 1, 2 leaves it random.
   * @throws {InvalidArgumentError} for a mask of another type or length, or values besides 0, 1, 2
   */
  sample(mask?: Int8Array | Uint8Array): Uint8Array {
    const out = new Uint8Array(this.n);
    if (
      mask !== undefined &&
      (!(mask instanceof Uint8Array || mask instanceof Int8Array) || mask.length !== this.n)
    ) {
      throw new InvalidArgumentError(
        "mask",
        `is ${describe(mask)}`,
        `an Int8Array or Uint8Array of length ${this.n}`,
      );
    }
    for (let i = 0; i < this.n; i++) {
      const m = mask === undefined ? 2 : mask[i];
      if (m !== 0 && m !== 1 && m !== 2) {
        throw new InvalidArgumentError("mask", `holds ${m} at ${i}`, "0 (bit 0), 1 (bit 1) or 2 (random)");
      }
      out[i] = m === 2 ? this.#rng.int(2) : m;
    }
    return out;
  }

  /** True for a Uint8Array of length `n` holding only 0 and 1. */
  contains(value: unknown): boolean {
    if (!(value instanceof Uint8Array) || value.length !== this.n) return false;
    for (let i = 0; i < value.length; i++) if (value[i] > 1) return false;
    return true;
  }
}

/** A space whose `sample` takes a mask (Discrete, MultiDiscrete, MultiBinary, Tuple). */
interface MaskableSpace<T> extends Space<T> {
  sample(mask?: unknown): T;
}

/** Fixed-length arrays whose element `i` is a member of `spaces[i]`. */
export class Tuple<T extends readonly unknown[] = unknown[]> implements Space<T> {
  /** The sub-spaces, in order. */
  readonly spaces: { readonly [K in keyof T]: Space<T[K]> };

  /**
   * Creates the instance.
   * @throws {InvalidArgumentError} for an empty list or an element that is not a space
   */
  constructor(spaces: { readonly [K in keyof T]: Space<T[K]> }) {
    const list = spaces as readonly Space<unknown>[];
    if (!Array.isArray(list) || !list.length || !list.every((s) => typeof s?.contains === "function")) {
      throw new InvalidArgumentError("Tuple.spaces", `is ${describe(spaces)}`, "a non-empty array of spaces");
    }
    this.spaces = spaces;
  }

  /** Seeds sub-space `i` with `seed + i`. */
  seed(seed: number): void {
    (this.spaces as readonly Space<unknown>[]).forEach((s, i) => s.seed(seed + i));
  }

  /**
   * A random member. With `mask`, an array of one mask (or undefined) per sub-space, passed to that
   * sub-space's `sample`.
   * @throws {InvalidArgumentError} for a mask array of another length; sub-spaces check their masks
   */
  sample(mask?: readonly unknown[]): T {
    const list = this.spaces as readonly MaskableSpace<unknown>[];
    if (mask !== undefined && (!Array.isArray(mask) || mask.length !== list.length)) {
      throw new InvalidArgumentError("mask", `is ${describe(mask)}`, `an array of ${list.length} masks`);
    }
    return list.map((s, i) => mask?.[i] === undefined ? s.sample() : s.sample(mask[i])) as unknown as T;
  }

  /** True for an array of the right length whose elements are members of their spaces. */
  contains(value: unknown): boolean {
    const list = this.spaces as readonly Space<unknown>[];
    return Array.isArray(value) && value.length === list.length && list.every((s, i) => s.contains(value[i]));
  }
}
