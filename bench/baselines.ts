/**
 * `deno task baselines`: the baseline table of every registered task id, written to `BASELINES.md`
 * (the numbers to beat). For each task run: random, greedy, dense (SPARS), oracle (where the task's
 * scorer is not), and a learned row trained for a fixed budget per seed (self-play PPO for the
 * SPARS tasks, masked PPO for the patch task, the pixel actor-critic for the pixel task), all on
 * the task's test split, Dice as mean +- sd over seeds; tasks that cannot run say why.
 *
 * ```sh
 * deno task baselines                                   # every task, seeds 0,1,2, BASELINES.md
 * deno task baselines --tasks SparsGym/Spars-Oracle-v0 --seeds 0 --out .tmp/b.md --ppo-steps 512
 * ```
 *
 * Every option is validated before anything runs; `--out` is written atomically and only over a
 * file this command wrote (its first line is {@link BASELINES_MARKER}).
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { registry } from "../env/registry.ts";
import { initBackend } from "../models/backend.ts";
import "../tasks/phantom_task.ts"; // registers the tasks (spars_tasks.ts and game_tasks.ts too)
import "../tasks/game_tasks.ts";
import { benchArgs, type BenchCli, parseBenchArgs } from "./_cli.ts";
import { runPatchTask, runPixelTask } from "./baselines_games.ts";
import { runSparsTask } from "./baselines_spars.ts";
import {
  BASELINES_MARKER,
  baselinesMarkdown,
  type BaselineTask,
  formatDice,
  formatSeconds,
} from "./baselines_table.ts";

/** The task ids this command knows how to run, in display order. */
export const RUNNABLE_TASKS: readonly string[] = [
  "SparsGym/Spars-Oracle-v0",
  "SparsGym/Spars-Phantom-v0",
  "SparsGym/Spars-Oracle-Paper-v0",
  "SparsGym/Patch-Oracle-v0",
  "SparsGym/Pixel-Phantom-v0",
];

/** Registered ids this command does not run, and why (listed in the file as "not run"). */
export const NOT_RUNNABLE: Readonly<Record<string, string>> = {
  "SparsGym/Spars-Classifier-v0":
    "it needs a classifier checkpoint (`checkpoint`); `SparsGym/Spars-Phantom-v0` is this task with the shipped one",
};

/** The command line. */
export const BASELINES_CLI: BenchCli = {
  usage: "deno task baselines [options]",
  about: `
Writes the baseline table of every registered task id (BASELINES.md): on each task's test split,
random, greedy, dense sliding window (SPARS), oracle (where the task's scorer is not) and a learned
row trained per seed for a fixed budget (self-play PPO; the patch game's masked PPO; the pixel
actor-critic), Dice as mean +- sd over seeds, cost per case and supervision level of every row.
The default run takes about 25 minutes on 2 cores.`,
  options: {
    tasks: { default: RUNNABLE_TASKS.join(","), help: "task ids to run (comma list)" },
    seeds: {
      default: "0,1,2",
      help: "seeds (comma list of integers >= 0): agents' seeds and learners' init",
    },
    out: {
      default: "BASELINES.md",
      help: "the Markdown file (folder must exist; replaces only a file this command wrote)",
    },
    "ppo-steps": { default: "8192", help: "SPARS tasks: self-play PPO env steps per seed (0 = no PPO row)" },
    "ppo-skip": {
      default: "SparsGym/Spars-Oracle-Paper-v0",
      help: "SPARS tasks run without the PPO row (comma list, or none): 180x256x256 volumes train slowly",
    },
    "ppo-envs": { default: "8", help: "SPARS tasks: parallel games of PPO" },
    starts: { default: "2", help: "SPARS tasks: starts per test case in evaluation" },
    "patch-updates": { default: "60", help: "patch task: masked PPO updates per seed (8 games x 32 steps)" },
    "pixel-seconds": { default: "30", help: "pixel task: actor-critic training wall time per seed, seconds" },
    "val-cases": {
      default: "6",
      help: "SPARS tasks: validation cases (with a target) choosing each method's mask rule",
    },
    "max-cases": { default: "all", help: "SPARS tasks: play only the first N test cases (smoke runs)" },
  },
};

/** The validated options. */
export interface BaselinesRequest {
  /** Task ids to run, in display order. */
  readonly tasks: readonly string[];
  /** Seeds. */
  readonly seeds: readonly number[];
  /** Output file. */
  readonly out: string;
  /** PPO env steps per seed (SPARS). */
  readonly ppoSteps: number;
  /** Parallel games of PPO (SPARS). */
  readonly ppoEnvs: number;
  /** SPARS tasks run without PPO. */
  readonly ppoSkip: readonly string[];
  /** Starts per test case (SPARS). */
  readonly starts: number;
  /** Masked PPO updates per seed (patch). */
  readonly patchUpdates: number;
  /** Actor-critic seconds per seed (pixel). */
  readonly pixelSeconds: number;
  /** First N test cases only (SPARS); undefined = all. */
  readonly maxCases?: number;
  /** Validation cases choosing the mask rules (SPARS). */
  readonly valCases: number;
}

function integer(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!(text.trim() !== "" && Number.isInteger(n) && n >= min)) {
    throw new InvalidArgumentError(`--${flag}`, `is "${text}"`, `an integer >= ${min}`);
  }
  return n;
}

function list(flag: string, text: string): string[] {
  const items = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (!items.length) throw new InvalidArgumentError(`--${flag}`, `is "${text}"`, "a comma-separated list");
  if (new Set(items).size !== items.length) {
    throw new InvalidArgumentError(`--${flag}`, `repeats an item ("${text}")`, "each item once");
  }
  return items;
}

/**
 * Refuses an `--out` that is a folder, whose folder is missing, or an existing file that does not
 * start with {@link BASELINES_MARKER} (a file this command did not write).
 * @throws {InvalidArgumentError} naming `--out`
 */
export async function checkOutPath(out: string): Promise<void> {
  const folder = await Deno.stat(dirname(resolve(out))).catch(() => undefined);
  if (!folder?.isDirectory) {
    throw new InvalidArgumentError(
      "--out",
      `${out}: folder ${dirname(out)} does not exist`,
      "an existing folder",
    );
  }
  const existing = await Deno.lstat(out).catch(() => undefined);
  if (!existing) return;
  if (!existing.isFile) {
    throw new InvalidArgumentError(
      "--out",
      `${out} exists and is not a file`,
      "a new file or one this command wrote",
    );
  }
  const head = (await Deno.readTextFile(out)).split("\n", 1)[0];
  if (head !== BASELINES_MARKER) {
    throw new InvalidArgumentError(
      "--out",
      `${out} exists and was not written by this command (no "${BASELINES_MARKER}" first line)`,
      "a new file, or a BASELINES.md this command wrote",
    );
  }
}

/**
 * Parses and validates the arguments (reads `--out` if it exists; writes nothing).
 * @returns `"help"` for `--help`
 * @throws {InvalidArgumentError} naming the flag and what was expected
 */
export async function parseBaselinesArgs(args: readonly string[]): Promise<BaselinesRequest | "help"> {
  const v = parseBenchArgs(args, BASELINES_CLI);
  if (v === "help") return "help";
  const registered = new Set(registry().map((s) => s.id));
  const tasks = list("tasks", v.tasks);
  for (const id of tasks) {
    if (!registered.has(id)) {
      throw new InvalidArgumentError(
        "--tasks",
        `names "${id}", which is not registered`,
        RUNNABLE_TASKS.join(", "),
      );
    }
    if (!RUNNABLE_TASKS.includes(id)) {
      throw new InvalidArgumentError(
        "--tasks",
        `names "${id}": ${NOT_RUNNABLE[id] ?? "no baselines for it"}`,
        RUNNABLE_TASKS.join(", "),
      );
    }
  }
  const seeds = list("seeds", v.seeds).map((s) => integer("seeds", s, 0));
  const ppoSkip = v["ppo-skip"] === "none" ? [] : list("ppo-skip", v["ppo-skip"]);
  for (const id of ppoSkip) {
    if (!RUNNABLE_TASKS.includes(id)) {
      throw new InvalidArgumentError(
        "--ppo-skip",
        `names "${id}"`,
        `"none" or ids of ${RUNNABLE_TASKS.join(", ")}`,
      );
    }
  }
  await checkOutPath(v.out);
  return {
    tasks: RUNNABLE_TASKS.filter((id) => tasks.includes(id)),
    seeds,
    out: v.out,
    ppoSteps: integer("ppo-steps", v["ppo-steps"], 0),
    ppoEnvs: integer("ppo-envs", v["ppo-envs"], 1),
    ppoSkip,
    starts: integer("starts", v.starts, 1),
    patchUpdates: integer("patch-updates", v["patch-updates"], 1),
    pixelSeconds: integer("pixel-seconds", v["pixel-seconds"], 1),
    maxCases: v["max-cases"] === "all" ? undefined : integer("max-cases", v["max-cases"], 1),
    valCases: integer("val-cases", v["val-cases"], 1),
  };
}

/** Runs one task's rows. */
function runTask(id: string, r: BaselinesRequest, log: (line: string) => void): Promise<BaselineTask> {
  if (id === "SparsGym/Patch-Oracle-v0") return runPatchTask(r.seeds, r.patchUpdates, log);
  if (id === "SparsGym/Pixel-Phantom-v0") return runPixelTask(r.seeds, r.pixelSeconds, log);
  return runSparsTask(id, r.seeds, {
    ppoSteps: r.ppoSkip.includes(id) ? 0 : r.ppoSteps,
    ppoSkipped: r.ppoSkip.includes(id),
    numEnvs: r.ppoEnvs,
    starts: r.starts,
    maxCases: r.maxCases,
    valCases: r.valCases,
  }, log);
}

function machine(): string {
  let load = "";
  try {
    load = `, load average ${Deno.loadavg()[0].toFixed(1)} at the end`;
  } catch { /* --allow-sys not granted: no load figure */ }
  return `${navigator.hardwareConcurrency} cores${load} (tfjs wasm backend)`;
}

/**
 * Runs every requested task and writes the file (see the module doc).
 * @returns the tasks' sections as written
 */
export async function runBaselines(
  r: BaselinesRequest,
  command: string,
  log: (line: string) => void = (line) => console.error(line),
): Promise<BaselineTask[]> {
  const started = performance.now();
  const stamp = () => formatSeconds((performance.now() - started) / 1000);
  const sections: BaselineTask[] = [];
  for (const id of r.tasks) {
    const task = await runTask(id, r, (line) => log(`[${stamp()}] ${line}`));
    for (const row of task.rows) {
      log(`[${stamp()}] ${id}: ${row.method}: Dice % ${formatDice(row.dicePerSeed)}`);
    }
    sections.push(task);
  }
  // Every other registered id is listed with the reason it was not run.
  for (const s of registry()) {
    if (r.tasks.includes(s.id)) continue;
    const notRun = RUNNABLE_TASKS.includes(s.id)
      ? "not in --tasks"
      : NOT_RUNNABLE[s.id] ?? "no baselines for it in this command";
    sections.push({ id: s.id, description: s.description, rows: [], notes: [], seconds: 0, notRun });
  }
  const order = (id: string) => {
    const i = RUNNABLE_TASKS.indexOf(id);
    return i < 0 ? RUNNABLE_TASKS.length : i;
  };
  sections.sort((a, b) => order(a.id) - order(b.id) || a.id.localeCompare(b.id));
  const markdown = baselinesMarkdown({
    command,
    seeds: r.seeds,
    seconds: (performance.now() - started) / 1000,
    machine: machine(),
    date: new Date().toISOString().slice(0, 10),
  }, sections);
  await checkOutPath(r.out); // again: a file may have appeared while the tasks ran
  await writeFileAtomic(r.out, markdown);
  log(`[${stamp()}] wrote ${r.out}`);
  return sections;
}

if (import.meta.main) {
  benchArgs(BASELINES_CLI); // prints --help or a usage error and exits
  let request: BaselinesRequest | "help";
  try {
    request = await parseBaselinesArgs(Deno.args);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(2);
  }
  if (request !== "help") {
    await initBackend("wasm");
    const command = ["deno task baselines", ...Deno.args].join(" ");
    await runBaselines(request, command);
  }
}
