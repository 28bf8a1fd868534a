/**
 * Value readers of the `deno task eval` command line: each reads one flag's text and names the flag
 * in its typed error.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";

/**
 * Reads `--<name>` as three positive integers `ZxYxX` (z,y,x voxels).
 * @throws {InvalidArgumentError} naming the flag otherwise
 */
export function vec(name: string, text: string): Vec3 {
  const parts = text.split("x").map(Number);
  if (parts.length !== 3 || !parts.every((d) => Number.isInteger(d) && d > 0)) {
    throw new InvalidArgumentError(`--${name}`, `is '${text}'`, "three positive integers like 24x48x48");
  }
  return parts as unknown as Vec3;
}

/**
 * Reads `--<name>` as a finite number (an integer when `integer`); undefined stays undefined.
 * @throws {InvalidArgumentError} naming the flag otherwise
 */
export function num(name: string, text: string | undefined, integer = false): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new InvalidArgumentError(`--${name}`, `is '${text}'`, integer ? "an integer" : "a number");
  }
  return v;
}

/**
 * Reads `--<name>` as one of `allowed`; undefined stays undefined.
 * @throws {InvalidArgumentError} naming the flag and the allowed values otherwise
 */
export function oneOf<T extends string>(
  name: string,
  text: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (text === undefined) return undefined;
  if (!allowed.includes(text as T)) {
    throw new InvalidArgumentError(`--${name}`, `is '${text}'`, allowed.join(" | "));
  }
  return text as T;
}

/**
 * Reads `--<name>` as an integer >= 0; undefined stays undefined.
 * @throws {InvalidArgumentError} naming the flag otherwise
 */
export function nonNegative(name: string, text: string | undefined): number | undefined {
  const v = num(name, text, true);
  if (v !== undefined && v < 0) {
    throw new InvalidArgumentError(`--${name}`, `is '${text}'`, "an integer >= 0");
  }
  return v;
}

/**
 * Reads `--<name>` as an integer >= 1; undefined stays undefined.
 * @throws {InvalidArgumentError} naming the flag otherwise
 */
export function positive(name: string, text: string | undefined): number | undefined {
  const v = num(name, text, true);
  if (v !== undefined && v < 1) {
    throw new InvalidArgumentError(`--${name}`, `is '${text}'`, "an integer >= 1");
  }
  return v;
}
