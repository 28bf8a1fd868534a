/**
 * The command-line shell shared by the re-evaluations of the other games' run folders
 * (`deno task eval --run <train:pixel run>`, `<train:patch run>`): options `--run`, `--split`,
 * `--out`, `--help`; recognising a run folder by its `config.json`; exit codes and error lines.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { InvalidArgumentError, SparsGymError } from "../data/errors.ts";
import { checkOutputLocation } from "../data/output_location.ts";
import type { SplitName } from "../data/split.ts";

/** Options of a run folder's re-evaluation. */
export interface GameRunEvalOptions {
  /** The run folder. */
  readonly run: string;
  /** Split evaluated (default test). */
  readonly split?: SplitName;
  /** Output folder (default `<run>/eval`); refused when it exists. */
  readonly out?: string;
}

/**
 * Parses `--run DIR [--split test|val|train] [--out DIR] [--help]`.
 * @param kind the run kind named in errors, e.g. "pixel"
 * @throws {InvalidArgumentError} naming the flag for an unknown option, a missing run or a bad split
 */
export function parseGameRunEvalArgs(args: readonly string[], kind: string): GameRunEvalOptions | "help" {
  let values;
  try {
    values = parseArgs({
      args: [...args],
      strict: true,
      options: {
        run: { type: "string" },
        split: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean" },
      },
    }).values;
  } catch (e) {
    throw new InvalidArgumentError("options", (e as Error).message, `--run, --split, --out (${kind} runs)`);
  }
  if (values.help) return "help";
  if (!values.run) throw new InvalidArgumentError("--run", "is missing", `a ${kind} run folder`);
  const split = (values.split ?? "test") as SplitName;
  if (!["train", "val", "test"].includes(split)) {
    throw new InvalidArgumentError("--split", `is "${split}"`, "test | val | train");
  }
  return { run: values.run, split, ...(values.out ? { out: values.out } : {}) };
}

/**
 * True when the command line's `--run` folder (`--run X` or `--run=X`) holds a `config.json` that
 * `isConfig` accepts; false for no `--run` or an unreadable file (the SPARS path then reports it).
 */
export async function runFolderMatches(
  args: readonly string[],
  isConfig: (config: unknown) => boolean,
): Promise<boolean> {
  const i = args.findIndex((a) => a === "--run" || a.startsWith("--run="));
  if (i < 0) return false;
  const run = args[i] === "--run" ? args[i + 1] : args[i].slice("--run=".length);
  if (!run) return false;
  try {
    return isConfig(JSON.parse(await Deno.readTextFile(join(run, "config.json"))));
  } catch {
    return false;
  }
}

/** Where a re-evaluation writes its text. */
export interface GameRunEvalIo {
  /** Normal output. */
  readonly out: (text: string) => void;
  /** Error lines. */
  readonly err: (text: string) => void;
}

/** A game's run-folder re-evaluation, as `deno task eval --run <run>` dispatches to it. */
export interface GameRunEval {
  /** The run kind named in errors, e.g. "pixel". */
  readonly kind: string;
  /** Its `--help` text. */
  readonly help: string;
  /** True for a `config.json` (parsed) of this game's runs. */
  readonly isConfig: (config: unknown) => boolean;
  /** Evaluates the parsed options; returns the text printed on success. */
  readonly evaluate: (options: GameRunEvalOptions) => Promise<string>;
}

/**
 * Runs a re-evaluation CLI: parses, checks the output location, evaluates and prints its summary.
 * @returns the exit code: 0 ok, 2 a bad option or run folder, 1 another package error
 */
export async function gameRunEvalMain(
  args: readonly string[],
  io: GameRunEvalIo,
  spec: GameRunEval,
): Promise<number> {
  try {
    const options = parseGameRunEvalArgs(args, spec.kind);
    if (options === "help") {
      io.out(`${spec.help}\n`);
      return 0;
    }
    checkOutputLocation(options.out ?? join(options.run, "eval"), "--out", "eval/eval_cli.ts");
    io.out(await spec.evaluate(options));
    return 0;
  } catch (e) {
    if (e instanceof SparsGymError) {
      io.err(`error: ${e.message}\n`);
      return e instanceof InvalidArgumentError ? 2 : 1;
    }
    throw e;
  }
}

/**
 * Reads a JSON file of a run folder.
 * @throws {InvalidArgumentError} naming `--run` and the file when it cannot be read or parsed
 */
export async function readRunJson(run: string, name: string, kind: string): Promise<unknown> {
  try {
    return JSON.parse(await Deno.readTextFile(join(run, name)));
  } catch (e) {
    throw new InvalidArgumentError("--run", `${join(run, name)}: ${(e as Error).message}`, `a ${kind} run`);
  }
}

/**
 * Reads a run folder's `config.json` and checks that it is one of `kind`'s runs.
 * @throws {InvalidArgumentError} naming `--run` when it cannot be read or is another command's
 */
export async function readRunConfig<T>(
  run: string,
  isConfig: (config: unknown) => config is T,
  kind: string,
): Promise<T> {
  const config = await readRunJson(run, "config.json", kind);
  if (!isConfig(config)) {
    throw new InvalidArgumentError("--run", `${run}/config.json is not a ${kind} run's`, `a ${kind} run`);
  }
  return config;
}

/**
 * Refuses an output folder that exists (a re-evaluation never overwrites).
 * @throws {InvalidArgumentError} naming `--out`
 */
export async function refuseExistingOutput(dir: string): Promise<void> {
  if (await Deno.stat(dir).then(() => true, () => false)) {
    throw new InvalidArgumentError(
      "--out",
      `${dir} exists`,
      "a folder that does not exist yet (choose --out)",
    );
  }
}
