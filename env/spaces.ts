/**
 * Spaces in the manner of Gymnasium's `spaces/`: each describes a set of values, draws seeded
 * samples from it and tests membership. Each space owns an {@link Rng} (sfc32), seeded by `seed()`.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";

/** A set of valid values of type `T`. */
export interface Space<T> {
  /** Reseeds the space's own generator (used only by `sample`). */
  seed(seed: number): void;
  /** A random member of the space. */
  sample(): T;
  /** True when `value` is a member of the space (type, shape, dtype and bounds). */
  contains(value: unknown): boolean;
}

/** The integers `start, start + 1, ..., start + n - 1`. */
export class Discrete implements Space<number> {
  /** Number of values (>= 1). */
  readonly n: number;
  /** Smallest value. */
  readonly start: number;
  #rng = new Rng(0);

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @throws {InvalidArgumentError} unless `n` is a positive integer and `start` an integer */
  constructor(n: number, start = 0) {
    if (!Number.isInteger(n) || n < 1) {
      throw new InvalidArgumentError("Discrete.n", `is ${n}`, "a positive integer");
    }
    if (!Number.isInteger(start)) {
      throw new InvalidArgumentError("Discrete.start", `is ${start}`, "an integer");
    }
    this.n = n;
    this.start = start;
  }

  /** Reseeds the space's generator. */
  seed(seed: number): void {
    this.#rng.reseed(seed);
  }

  /**
   * A random member of the space. With `mask` (Gymnasium's action mask: a Uint8Array or Int8Array
   * of length `n`, 1 = allowed, 0 = not allowed), a uniform member among the allowed values, or
   * `start` when none is allowed (as Gymnasium). An all-ones mask draws what no mask draws.
   * @throws {InvalidArgumentError} for a mask of another type or length, or values besides 0 and 1
   */
  sample(mask?: Uint8Array | Int8Array): number {
    if (mask === undefined) return this.start + this.#rng.int(this.n);
    if (!(mask instanceof Uint8Array || mask instanceof Int8Array) || mask.length !== this.n) {
      const kind = (mask as object | null)?.constructor?.name ?? String(mask);
      const length = (mask as { length?: unknown } | null)?.length;
      throw new InvalidArgumentError(
        "mask",
        `is ${kind}${typeof length === "number" ? ` of length ${length}` : ""}`,
        `a Uint8Array or Int8Array of length n = ${this.n} (1 = allowed, 0 = not), or no mask`,
      );
    }
    let allowed = 0;
    for (let i = 0; i < this.n; i++) {
      const m = mask[i];
      if (m !== 0 && m !== 1) {
        throw new InvalidArgumentError("mask", `holds ${m} at ${i}`, "only 0 (not allowed) and 1 (allowed)");
      }
      allowed += m;
    }
    if (allowed === 0) return this.start;
    let k = this.#rng.int(allowed);
    for (let i = 0; i < this.n; i++) {
      if (mask[i] === 1 && k-- === 0) return this.start + i;
    }
    return this.start; // unreachable: k < allowed
  }

  /** True when `value` is a member of the space. */
  contains(value: unknown): boolean {
    return typeof value === "number" && Number.isInteger(value) && value >= this.start &&
      value < this.start + this.n;
  }
}

/** Element types of a {@link Box}. */
export type BoxDtype = "float32" | "int32" | "uint8";

/** The typed array of a {@link Box} of element type `D`. */
export type BoxArray<D extends BoxDtype> = D extends "float32" ? Float32Array : D extends "int32" ? Int32Array
: Uint8Array;

/**
 * A box in R^n: typed arrays of `shape` with `low <= x <= high` elementwise. Bounds may be infinite
 * (float32 only). Samples: uniform where both bounds are finite, shifted exponential where one is,
 * standard normal where neither is (as Gymnasium).
 */
export class Box<D extends BoxDtype = "float32"> implements Space<BoxArray<D>> {
  /** Array shape (row-major; observations use z,y,x,channel). */
  readonly shape: readonly number[];
  /** Per-element lower bounds. */
  readonly low: Float64Array;
  /** Per-element upper bounds. */
  readonly high: Float64Array;
  /** Element type. */
  readonly dtype: D;
  /** Number of elements. */
  readonly size: number;
  #rng = new Rng(0);

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @param shape array shape, positive integers
   * @param low scalar or per-element lower bound
   * @param high scalar or per-element upper bound
   * @param dtype element type (default float32)
   * @throws {InvalidArgumentError} for a bad shape, bounds of the wrong length, `low > high`, or infinite integer bounds
   */
  constructor(
    shape: readonly number[],
    low: number | ArrayLike<number>,
    high: number | ArrayLike<number>,
    dtype?: D,
  ) {
    if (!shape.length || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
      throw new InvalidArgumentError("Box.shape", `is [${shape.join(",")}]`, "positive integers");
    }
    this.shape = [...shape];
    this.dtype = (dtype ?? "float32") as D;
    this.size = shape.reduce((p, d) => p * d, 1);
    const expand = (name: string, v: number | ArrayLike<number>): Float64Array => {
      if (typeof v === "number") return new Float64Array(this.size).fill(v);
      if (v.length !== this.size) {
        throw new InvalidArgumentError(
          `Box.${name}`,
          `has ${v.length} values`,
          `${this.size} (one per element)`,
        );
      }
      return Float64Array.from(v);
    };
    this.low = expand("low", low);
    this.high = expand("high", high);
    for (let i = 0; i < this.size; i++) {
      if (!(this.low[i] <= this.high[i])) {
        throw new InvalidArgumentError(
          "Box",
          `low ${this.low[i]} > high ${this.high[i]} at ${i}`,
          "low <= high",
        );
      }
      if (this.dtype !== "float32" && !(Number.isFinite(this.low[i]) && Number.isFinite(this.high[i]))) {
        throw new InvalidArgumentError(
          "Box",
          `infinite bound for dtype ${this.dtype}`,
          "finite bounds for integers",
        );
      }
    }
  }

  /** Reseeds the space's generator. */
  seed(seed: number): void {
    this.#rng.reseed(seed);
  }

  /** A random member of the space. */
  sample(): BoxArray<D> {
    const out = this.#allocate();
    const r = this.#rng;
    for (let i = 0; i < this.size; i++) {
      const lo = this.low[i], hi = this.high[i];
      let v: number;
      if (this.dtype !== "float32") v = lo + r.int(hi - lo + 1);
      else if (Number.isFinite(lo) && Number.isFinite(hi)) v = r.uniform(lo, hi);
      else if (Number.isFinite(lo)) v = lo - Math.log(1 - r.float());
      else if (Number.isFinite(hi)) v = hi + Math.log(1 - r.float());
      else v = r.normal();
      out[i] = v;
    }
    // float32 rounding may push a uniform sample just past a bound.
    if (this.dtype === "float32") {
      for (let i = 0; i < this.size; i++) out[i] = Math.min(Math.max(out[i], this.low[i]), this.high[i]);
    }
    return out;
  }

  /** True when `value` is a member of the space. */
  contains(value: unknown): boolean {
    const ctor = this.dtype === "float32" ? Float32Array : this.dtype === "int32" ? Int32Array : Uint8Array;
    if (!(value instanceof ctor) || value.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) {
      const v = value[i];
      if (!(v >= this.low[i] && v <= this.high[i])) return false; // also rejects NaN
    }
    return true;
  }

  #allocate(): BoxArray<D> {
    if (this.dtype === "int32") return new Int32Array(this.size) as BoxArray<D>;
    if (this.dtype === "uint8") return new Uint8Array(this.size) as BoxArray<D>;
    return new Float32Array(this.size) as BoxArray<D>;
  }
}

/** A record of named sub-spaces; members are plain objects with exactly those keys. */
export class Dict<T extends Record<string, unknown>> implements Space<T> {
  /** The sub-spaces by key. */
  readonly spaces: { readonly [K in keyof T]: Space<T[K]> };

  /** Creates the instance; see the class documentation for the arguments. */
  constructor(spaces: { [K in keyof T]: Space<T[K]> }) {
    this.spaces = spaces;
  }

  /** Seeds each sub-space with `seed + i` in key order. */
  seed(seed: number): void {
    Object.keys(this.spaces).sort().forEach((k, i) => this.spaces[k as keyof T].seed(seed + i));
  }

  /** A random member of the space. */
  sample(): T {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(this.spaces)) out[k] = this.spaces[k as keyof T].sample();
    return out as T;
  }

  /** True when `value` is a member of the space. */
  contains(value: unknown): boolean {
    if (typeof value !== "object" || value === null) return false;
    const keys = Object.keys(this.spaces);
    const given = Object.keys(value);
    if (given.length !== keys.length) return false;
    return keys.every((k) => this.spaces[k as keyof T].contains((value as Record<string, unknown>)[k]));
  }
}
