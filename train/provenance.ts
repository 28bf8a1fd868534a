/**
 * Provenance of a run: which code, runtime and command produced it. Written into every training
 * run's `config.json` (key `provenance`) by `createRunFolder`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import denoJson from "../deno.json" with { type: "json" };

/** What produced a run. Unknown values are the string `"unknown"` (never missing). */
export interface Provenance {
  /** Package name and version from deno.json, e.g. `@spars/gym@0.1.0`. */
  readonly package: string;
  /** Git commit (40 hex digits) of the checkout, or `"unknown"` (no `.git`, published package, no read permission). */
  readonly gitCommit: string;
  /** Deno, V8 and TypeScript versions of the runtime. */
  readonly deno: { readonly deno: string; readonly v8: string; readonly typescript: string };
  /** tfjs-core version. */
  readonly tfjs: string;
  /** tfjs backend active when recorded (`null` before any backend was set); requested backends are in the config. */
  readonly tfjsBackend: string | null;
  /** The command line: main module then arguments. */
  readonly commandLine: readonly string[];
  /** When recorded, ISO 8601 UTC. */
  readonly recordedAt: string;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch {
    return undefined; // absent, unreadable or not permitted
  }
}

/**
 * The commit checked out in the git repository at `root` (a folder path), read from `.git/HEAD`
 * and the ref it names (loose ref file, then `packed-refs`); `.git` may be a `gitdir:` file
 * (worktrees). No subprocess, only `--allow-read`. Returns `"unknown"` when anything is missing.
 */
export async function gitCommit(root: string): Promise<string> {
  let gitDir = `${root.replace(/\/$/, "")}/.git`;
  const pointer = await readText(gitDir);
  if (pointer?.startsWith("gitdir:")) {
    const target = pointer.slice(7).trim();
    gitDir = target.startsWith("/") ? target : `${root}/${target}`;
  }
  const head = await readText(`${gitDir}/HEAD`);
  if (!head) return "unknown";
  const isSha = (s: string | undefined): s is string => !!s && /^[0-9a-f]{40}$/.test(s);
  if (isSha(head)) return head; // detached HEAD
  const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
  if (!ref) return "unknown";
  // A worktree's refs live in the common dir.
  const common = await readText(`${gitDir}/commondir`);
  const dirs = [gitDir, ...(common ? [common.startsWith("/") ? common : `${gitDir}/${common}`] : [])];
  for (const d of dirs) {
    const loose = await readText(`${d}/${ref}`);
    if (isSha(loose)) return loose;
    const packed = await readText(`${d}/packed-refs`);
    const line = packed?.split("\n").find((l) => l.endsWith(` ${ref}`));
    const sha = line?.split(" ")[0];
    if (isSha(sha)) return sha;
  }
  return "unknown";
}

/** The package's root folder as a path, or undefined when the code is not run from files. */
function packageRoot(): string | undefined {
  const url = new URL("../", import.meta.url);
  return url.protocol === "file:" ? decodeURIComponent(url.pathname) : undefined;
}

/** Records the provenance of the current process (see {@link Provenance}). */
export async function collectProvenance(): Promise<Provenance> {
  const root = packageRoot();
  const engine = tf.engine() as unknown as { backendName?: string | null };
  return {
    package: `${denoJson.name}@${denoJson.version}`,
    gitCommit: root ? await gitCommit(root) : "unknown",
    deno: { deno: Deno.version.deno, v8: Deno.version.v8, typescript: Deno.version.typescript },
    tfjs: tf.version_core,
    tfjsBackend: engine.backendName ?? null,
    commandLine: [Deno.mainModule, ...Deno.args],
    recordedAt: new Date().toISOString(),
  };
}

/**
 * `config` with a `provenance` key added (replacing one already there, e.g. of a resumed run's
 * config). A `config` that is not a plain object is returned unchanged.
 */
export async function withProvenance<T>(config: T): Promise<T | (T & { provenance: Provenance })> {
  if (typeof config !== "object" || config === null || Array.isArray(config)) return config;
  return { ...config, provenance: await collectProvenance() };
}
