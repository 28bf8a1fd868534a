/**
 * `flatdim` / `flatten` / `unflatten` / `flattenSpace`, as Gymnasium's `spaces.utils`: members of
 * any supported space to and from one flat Float32Array.
 *
 * | space | flat form | flatdim |
 * | --- | --- | --- |
 * | Box | its elements, row-major | size |
 * | Discrete(n, start) | one-hot of `x - start` | n |
 * | MultiDiscrete(nvec) | one one-hot per element, concatenated | sum(nvec) |
 * | MultiBinary(n) | the bits | n |
 * | Tuple | the sub-spaces' flat forms in order | sum |
 * | Dict | the sub-spaces' flat forms in sorted key order (Gymnasium's Dict order) | sum |
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { Box, type BoxArray, type BoxDtype, Dict, Discrete, type Space } from "./spaces.ts";
import { MultiBinary, MultiDiscrete, Tuple } from "./spaces_multi.ts";

function unsupported(space: unknown): never {
  throw new InvalidArgumentError(
    "space",
    `is ${(space as object | null)?.constructor?.name ?? String(space)}`,
    "Box, Discrete, MultiDiscrete, MultiBinary, Tuple or Dict",
  );
}

function dictKeys(d: Dict<Record<string, unknown>>): string[] {
  return Object.keys(d.spaces).sort();
}

/**
 * Length of the flat form of a member of `space`.
 * @throws {InvalidArgumentError} for an unsupported space
 */
export function flatdim(space: Space<unknown>): number {
  if (space instanceof Box) return space.size;
  if (space instanceof Discrete) return space.n;
  if (space instanceof MultiDiscrete) return space.nvec.reduce((p, n) => p + n, 0);
  if (space instanceof MultiBinary) return space.n;
  if (space instanceof Tuple) {
    return (space.spaces as readonly Space<unknown>[]).reduce((p, s) => p + flatdim(s), 0);
  }
  if (space instanceof Dict) {
    const d = space as Dict<Record<string, unknown>>;
    return dictKeys(d).reduce((p, k) => p + flatdim(d.spaces[k]), 0);
  }
  return unsupported(space);
}

/** Writes the flat form of `x` at `out[offset..]`; returns the offset after it. */
function write(space: Space<unknown>, x: unknown, out: Float32Array, offset: number): number {
  if (!space.contains(x)) {
    throw new InvalidArgumentError("flatten(x)", "is not a member of the space", "a member of the space");
  }
  if (space instanceof Box || space instanceof MultiBinary) {
    out.set(x as ArrayLike<number>, offset);
    return offset + (x as ArrayLike<number>).length;
  }
  if (space instanceof Discrete) {
    out[offset + (x as number) - space.start] = 1;
    return offset + space.n;
  }
  if (space instanceof MultiDiscrete) {
    const v = x as Int32Array;
    for (let i = 0; i < v.length; i++) {
      out[offset + v[i] - space.start[i]] = 1;
      offset += space.nvec[i];
    }
    return offset;
  }
  if (space instanceof Tuple) {
    (space.spaces as readonly Space<unknown>[]).forEach((s, i) =>
      offset = write(s, (x as unknown[])[i], out, offset)
    );
    return offset;
  }
  if (space instanceof Dict) {
    const d = space as Dict<Record<string, unknown>>;
    for (const k of dictKeys(d)) offset = write(d.spaces[k], (x as Record<string, unknown>)[k], out, offset);
    return offset;
  }
  return unsupported(space);
}

/**
 * The flat form of `x`, a member of `space` (see the module table): a new Float32Array of
 * `flatdim(space)` values.
 * @throws {InvalidArgumentError} for an unsupported space or an `x` that is not a member
 */
export function flatten<T>(space: Space<T>, x: T): Float32Array {
  const out = new Float32Array(flatdim(space));
  write(space, x, out, 0);
  return out;
}

/** Index of the single 1 of a one-hot segment. */
function hot(flat: ArrayLike<number>, offset: number, n: number, source: string): number {
  let found = -1;
  for (let i = 0; i < n; i++) {
    const v = flat[offset + i];
    if (v === 1 && found < 0) found = i;
    else if (v !== 0) {
      throw new InvalidArgumentError(
        source,
        `segment ${offset}..${offset + n - 1} is not one-hot`,
        "one 1, the rest 0",
      );
    }
  }
  if (found < 0) {
    throw new InvalidArgumentError(source, `segment ${offset}..${offset + n - 1} has no 1`, "one-hot");
  }
  return found;
}

function read(space: Space<unknown>, flat: ArrayLike<number>, offset: number): [unknown, number] {
  if (space instanceof Box) {
    const b = space as Box<BoxDtype>;
    const ctor = b.dtype === "float32" ? Float32Array : b.dtype === "int32" ? Int32Array : Uint8Array;
    const v = new ctor(b.size);
    for (let i = 0; i < b.size; i++) v[i] = flat[offset + i];
    return [v as BoxArray<BoxDtype>, offset + b.size];
  }
  if (space instanceof Discrete) {
    return [space.start + hot(flat, offset, space.n, "unflatten"), offset + space.n];
  }
  if (space instanceof MultiDiscrete) {
    const v = new Int32Array(space.nvec.length);
    for (let i = 0; i < v.length; i++) {
      v[i] = space.start[i] + hot(flat, offset, space.nvec[i], "unflatten");
      offset += space.nvec[i];
    }
    return [v, offset];
  }
  if (space instanceof MultiBinary) {
    const v = new Uint8Array(space.n);
    for (let i = 0; i < space.n; i++) v[i] = flat[offset + i];
    return [v, offset + space.n];
  }
  if (space instanceof Tuple) {
    const items = (space.spaces as readonly Space<unknown>[]).map((s) => {
      const [v, next] = read(s, flat, offset);
      offset = next;
      return v;
    });
    return [items, offset];
  }
  if (space instanceof Dict) {
    const d = space as Dict<Record<string, unknown>>;
    const out: Record<string, unknown> = {};
    for (const k of dictKeys(d)) [out[k], offset] = read(d.spaces[k], flat, offset);
    return [out, offset];
  }
  return unsupported(space);
}

/**
 * The member of `space` whose flat form is `flat` (the inverse of {@link flatten}). Box elements
 * are cast to the Box's dtype; Discrete and MultiDiscrete segments must be exactly one-hot.
 * @throws {InvalidArgumentError} for an unsupported space, `flat` of another length, or a segment that is not one-hot
 */
export function unflatten<T>(space: Space<T>, flat: ArrayLike<number>): T {
  const n = flatdim(space);
  if (flat?.length !== n) {
    throw new InvalidArgumentError("unflatten(flat)", `has length ${flat?.length}`, `flatdim(space) = ${n}`);
  }
  return read(space, flat, 0)[0] as T;
}

function bounds(space: Space<unknown>, low: number[], high: number[]): void {
  if (space instanceof Box) {
    low.push(...space.low);
    high.push(...space.high);
  } else if (space instanceof Tuple) {
    for (const s of space.spaces as readonly Space<unknown>[]) bounds(s, low, high);
  } else if (space instanceof Dict) {
    const d = space as Dict<Record<string, unknown>>;
    for (const k of dictKeys(d)) bounds(d.spaces[k], low, high);
  } else {
    const n = flatdim(space);
    for (let i = 0; i < n; i++) low.push(0), high.push(1);
  }
}

/**
 * The float32 Box of flat forms: shape `[flatdim(space)]`, Box bounds kept, 0..1 for one-hot and
 * bit segments.
 * @throws {InvalidArgumentError} for an unsupported space
 */
export function flattenSpace(space: Space<unknown>): Box {
  const low: number[] = [], high: number[] = [];
  bounds(space, low, high);
  return new Box([low.length], low, high);
}
