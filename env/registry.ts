/**
 * The env registry, in the manner of Gymnasium's `register` / `make` / `spec`: a task id names a
 * factory and its default options, and `make(id, overrides)` builds an env from them. The registry
 * knows no game: games and ready-made tasks (`tasks/`) register themselves when imported.
 *
 * Ids are `Namespace/Name-vN` (the namespace is optional: `Name-vN`): namespace and name start with
 * a letter and hold letters, digits, `_`, `.` and `-`; `N` is a non-negative integer without leading
 * zeros. A change of what a task means (data, game options, scorer) bumps its version.
 *
 * @module
 */
import { SparsGymError } from "../data/errors.ts";

/** A task id that is malformed, unknown, or already registered. */
export class RegistryError extends SparsGymError {}

/** Builds an env from the task's defaults merged with the caller's overrides. */
export type EnvFactory<E = unknown, O extends object = Record<string, unknown>> = (
  options: O,
) => E | Promise<E>;

/** The parts of a task id. */
export interface ParsedEnvId {
  /** Namespace before `/`, or undefined when the id has none. */
  readonly namespace?: string;
  /** Name between the namespace and `-vN`. */
  readonly name: string;
  /** Version `N`. */
  readonly version: number;
}

/** A registered task: its id, factory and defaults. */
export interface EnvSpec<E = unknown, O extends object = Record<string, unknown>> extends ParsedEnvId {
  /** The full id, `Namespace/Name-vN`. */
  readonly id: string;
  /** Builds the env (called by {@link make}). */
  readonly factory: EnvFactory<E, O>;
  /** Default options; `make` merges overrides over them (shallow: a given key replaces the default). */
  readonly defaults: Readonly<Partial<O>>;
  /** One line saying what the task is (data, scorer, supervision level). */
  readonly description: string;
}

/** Options of {@link register}. */
export interface RegisterOptions {
  /** Replace an id that is already registered (default false: that is an error). */
  readonly replace?: boolean;
  /** One line saying what the task is. */
  readonly description?: string;
}

const ID_PATTERN = /^(?:([A-Za-z][A-Za-z0-9_.-]*)\/)?([A-Za-z][A-Za-z0-9_.-]*)-v(0|[1-9][0-9]*)$/;

const specs = new Map<string, EnvSpec<unknown, object>>();

/**
 * Splits a task id into namespace, name and version.
 * @throws {RegistryError} when `id` is not `Namespace/Name-vN` or `Name-vN`
 */
export function parseEnvId(id: string): ParsedEnvId {
  const m = typeof id === "string" ? ID_PATTERN.exec(id) : null;
  if (!m) {
    throw new RegistryError(
      "id",
      `is ${JSON.stringify(id)}`,
      "'Namespace/Name-vN' or 'Name-vN' (letters, digits, _ . -; N a non-negative integer)",
    );
  }
  return { ...(m[1] !== undefined ? { namespace: m[1] } : {}), name: m[2], version: Number(m[3]) };
}

/**
 * Registers a task.
 * @param id `Namespace/Name-vN`
 * @param factory builds the env from the merged options
 * @param defaults default options of the task
 * @throws {RegistryError} for a malformed id, or one already registered unless `replace` is true
 */
export function register<E, O extends object>(
  id: string,
  factory: EnvFactory<E, O>,
  defaults: Readonly<Partial<O>> = {} as Partial<O>,
  options: RegisterOptions = {},
): EnvSpec<E, O> {
  const parsed = parseEnvId(id);
  if (typeof factory !== "function") {
    throw new RegistryError(`register(${id})`, "factory is not a function", "a function (options) => env");
  }
  if (specs.has(id) && !options.replace) {
    throw new RegistryError(
      `register(${id})`,
      "the id is already registered",
      "a new id (bump the version when the task changes), or { replace: true }",
    );
  }
  const s: EnvSpec<E, O> = Object.freeze({
    ...parsed,
    id,
    factory,
    defaults: Object.freeze({ ...defaults }),
    description: options.description ?? "",
  });
  specs.set(id, s as unknown as EnvSpec<unknown, object>);
  return s;
}

/** Edit distance between two strings, case-insensitive (for suggestions). */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** Registered ids close to `id`: other versions of the same name first, then by edit distance. */
export function closeMatches(id: string, limit = 3): string[] {
  const stem = id.replace(/-v\d*$/, "").toLowerCase();
  const scored = [...specs.keys()].map((k) => {
    const kStem = k.replace(/-v\d+$/, "").toLowerCase();
    return { k, d: kStem === stem ? 0 : distance(id, k) };
  });
  const maxD = Math.max(3, Math.floor(id.length / 3));
  return scored.filter((s) => s.d <= maxD).sort((x, y) => x.d - y.d || x.k.localeCompare(y.k))
    .slice(0, limit).map((s) => s.k);
}

/**
 * The spec of a registered task.
 * @throws {RegistryError} for a malformed id, or an unknown one (naming close matches)
 */
export function spec<E = unknown, O extends object = Record<string, unknown>>(id: string): EnvSpec<E, O> {
  parseEnvId(id);
  const s = specs.get(id);
  if (!s) {
    const near = closeMatches(id);
    throw new RegistryError(
      "id",
      `'${id}' is not registered`,
      near.length
        ? `one of the registered ids, e.g. ${near.map((n) => `'${n}'`).join(", ")}`
        : `a registered id (${specs.size} registered; import the module that registers it, e.g. tasks/mod.ts)`,
    );
  }
  return s as unknown as EnvSpec<E, O>;
}

/**
 * Builds the env of a registered task: the factory called with `{...defaults, ...overrides}`
 * (overrides given as `undefined` keep the default).
 * @throws {RegistryError} for a malformed or unknown id; otherwise whatever the factory throws
 */
export async function make<E = unknown, O extends object = Record<string, unknown>>(
  id: string,
  overrides: Readonly<Partial<O>> = {} as Partial<O>,
): Promise<E> {
  const s = spec<E, O>(id);
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return await s.factory({ ...s.defaults, ...given } as O);
}

/** Every registered spec, sorted by id. */
export function registry(): readonly EnvSpec<unknown, object>[] {
  return [...specs.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Removes a task (for tests and for replacing a family of ids); returns whether it was registered.
 * @throws {RegistryError} for a malformed id
 */
export function unregister(id: string): boolean {
  parseEnvId(id);
  return specs.delete(id);
}
