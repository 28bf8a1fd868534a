/**
 * A memory budget for memoised observations, shared by every volume of an env: one least-recently
 * used store of float32 arrays keyed by (owner, key), bounded in bytes. A budget per volume grew with
 * the number of cases (32 MiB x 36 training phantoms held 1.1 GiB); one shared budget does not.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";

/** Owners per key space: an owner's keys must be integers in [0, 2^32). */
const OWNER_STRIDE = 2 ** 32;

/** A byte-bounded LRU store of float32 arrays, shared by several owners (one per volume). */
export class ObservationMemo {
  /** The budget in bytes (0: nothing is kept). */
  readonly capacityBytes: number;
  readonly #entries = new Map<number, Float32Array>();
  #bytes = 0;
  #owners = 0;

  /**
   * @param capacityBytes the budget in bytes, an integer >= 0 (0 disables memoisation)
   * @throws {InvalidArgumentError} for a negative or non-integer budget
   */
  constructor(capacityBytes: number) {
    if (!(Number.isSafeInteger(capacityBytes) && capacityBytes >= 0)) {
      throw new InvalidArgumentError(
        "observationCacheBytes",
        `is ${capacityBytes}`,
        "an integer >= 0 (bytes)",
      );
    }
    this.capacityBytes = capacityBytes;
  }

  /** Bytes held now (the sum of the stored arrays' byte lengths, at most `capacityBytes`). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Arrays held now. */
  get size(): number {
    return this.#entries.size;
  }

  /** A new owner id: keys of different owners never collide. */
  newOwner(): number {
    if (this.#owners >= 2 ** 20) {
      throw new InvalidArgumentError("ObservationMemo", "has 2^20 owners", "fewer volumes");
    }
    return this.#owners++;
  }

  /**
   * The array stored under (owner, key), made the most recently used; undefined when absent.
   * @param key an integer in [0, 2^32)
   */
  get(owner: number, key: number): Float32Array | undefined {
    const k = owner * OWNER_STRIDE + key;
    const value = this.#entries.get(k);
    if (value) {
      this.#entries.delete(k);
      this.#entries.set(k, value);
    }
    return value;
  }

  /**
   * Stores `value` under (owner, key), evicting the least recently used arrays until it fits. An
   * array larger than the whole budget is not stored. The caller must not mutate a stored array.
   * @param key an integer in [0, 2^32)
   */
  set(owner: number, key: number, value: Float32Array): void {
    if (value.byteLength > this.capacityBytes) return;
    const k = owner * OWNER_STRIDE + key;
    const old = this.#entries.get(k);
    if (old) {
      this.#entries.delete(k);
      this.#bytes -= old.byteLength;
    }
    while (this.#bytes + value.byteLength > this.capacityBytes) {
      const [oldestKey, oldest] = this.#entries.entries().next().value!;
      this.#entries.delete(oldestKey);
      this.#bytes -= oldest.byteLength;
    }
    this.#entries.set(k, value);
    this.#bytes += value.byteLength;
  }
}
