/**
 * `deno task train:patch`: self-play PPO on the patch game ("Competing for pixels") over several
 * seeds on the embedded 2D phantoms, then the test-split table (learned vs random vs greedy, Dice
 * mean and sd over seeds). Writes `runs/patch-<date>-<time>/` (or `--run DIR`): `config.json`,
 * `metrics.jsonl` (one line per update and seed), `policy-seed<k>.bin`, `eval.json`, `eval.md`.
 *
 * Options: `--seeds 0,1,2` `--updates N` `--envs N` `--cases N` `--grid ZxYxX` `--observation ZxYxX`
 * `--network fcn|dense` (the fully convolutional per-patch-logit network, default, or the dense head)
 * `--termination-weight W` `--early-termination-penalty P` `--reward-scale S` `--paper-rules` (w 100,
 * penalty 1, scale 0.1: the paper's rules, under which the policy does not learn at this budget;
 * explicit flags override it, in any order) `--no-mirror` (the phantoms as generated, without their
 * 4 mirror variants) `--backend wasm|cpu` (default wasm: the package's conv3d kernels, ~10x the cpu backend here) `--run DIR` `--help`.
 *
 * @module
 */
import { join } from "node:path";
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";
import { writeWeightsFile } from "../agents/snapshot.ts";
import { type BackendName, initBackend } from "../models/backend.ts";
import {
  DEFAULT_PATCH_TRAIN_CONFIG,
  PAPER_PATCH_RULES,
  PATCH_NETWORK_KINDS,
  type PatchNetworkKind,
  type PatchTrainConfig,
  trainPatch,
} from "./patch_train.ts";
import { createRunFolder, defaultRunDir, writeJsonAtomic } from "./run_folder.ts";

const HELP = `deno task train:patch [--seeds 0,1,2] [--updates ${DEFAULT_PATCH_TRAIN_CONFIG.updates}] ` +
  `[--envs ${DEFAULT_PATCH_TRAIN_CONFIG.envs}] [--cases ${DEFAULT_PATCH_TRAIN_CONFIG.cases}] ` +
  `[--grid 1x8x8] [--observation 1x32x32] [--network fcn|dense] [--termination-weight ${DEFAULT_PATCH_TRAIN_CONFIG.terminationWeight}] ` +
  `[--early-termination-penalty ${DEFAULT_PATCH_TRAIN_CONFIG.earlyTerminationPenalty}] ` +
  `[--reward-scale ${DEFAULT_PATCH_TRAIN_CONFIG.rewardScale}] [--paper-rules] [--no-mirror] [--backend wasm|cpu] [--run DIR]\n` +
  `  --paper-rules: termination weight 100, early penalty 1, reward scale 0.1 (the paper's rules; ` +
  `explicit flags override them)\n` +
  `  --network: fcn (default; one logit per patch from a convolutional trunk over the image and the ` +
  `taken mask) or dense (the window game's network with a dense head over all patches)\n` +
  `  --no-mirror: play the phantoms as generated (default: each case also mirrored along y and x)`;

/** Parsed command line. */
export interface PatchCliArgs {
  /** Seeds, one run each. */
  readonly seeds: number[];
  /** Config shared by the seeds (its `seed` is replaced). */
  readonly config: PatchTrainConfig;
  /** tfjs backend. */
  readonly backend: BackendName;
  /** Run folder (default `runs/patch-<stamp>`). */
  readonly run?: string;
}

/**
 * Parses the flags.
 * @throws {InvalidArgumentError} naming the flag for a bad value or an unknown flag
 */
export function parsePatchArgs(argv: readonly string[]): PatchCliArgs | "help" {
  let seeds = [0, 1, 2], backend: BackendName = "wasm", run: string | undefined;
  const c: { -readonly [K in keyof PatchTrainConfig]: PatchTrainConfig[K] } = {
    ...DEFAULT_PATCH_TRAIN_CONFIG,
    ...(argv.includes("--paper-rules") ? PAPER_PATCH_RULES : {}),
  };
  const real = (flag: string, v: string | undefined, positive: boolean): number => {
    const n = Number(v);
    if (!(v !== undefined && v.trim() !== "" && Number.isFinite(n) && (positive ? n > 0 : n >= 0))) {
      throw new InvalidArgumentError(
        flag,
        `is ${v}`,
        positive ? "a finite number > 0" : "a finite number >= 0",
      );
    }
    return n;
  };
  const int = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (!(Number.isInteger(n) && n >= 1)) {
      throw new InvalidArgumentError(flag, `is ${v}`, "a positive integer");
    }
    return n;
  };
  const shape = (flag: string, v: string | undefined, example: string): Vec3 => {
    const g = (v ?? "").split("x").map(Number);
    if (!(g.length === 3 && g.every((n) => Number.isInteger(n) && n >= 1))) {
      throw new InvalidArgumentError(flag, `is ${v}`, `ZxYxX positive integers, e.g. ${example}`);
    }
    return [g[0], g[1], g[2]];
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i], v = argv[i + 1];
    if (flag === "--help" || flag === "-h") return "help";
    if (flag === "--paper-rules") continue;
    if (flag === "--no-mirror") {
      c.mirror = false;
      continue;
    }
    i++;
    if (flag === "--seeds") {
      seeds = (v ?? "").split(",").map((s) => Number(s));
      if (!seeds.length || !seeds.every((s) => Number.isInteger(s) && s >= 0)) {
        throw new InvalidArgumentError("--seeds", `is ${v}`, "comma-separated integers >= 0");
      }
    } else if (flag === "--updates") c.updates = int(flag, v);
    else if (flag === "--envs") c.envs = int(flag, v);
    else if (flag === "--cases") c.cases = int(flag, v);
    else if (flag === "--termination-weight") c.terminationWeight = real(flag, v, false);
    else if (flag === "--early-termination-penalty") c.earlyTerminationPenalty = real(flag, v, false);
    else if (flag === "--reward-scale") c.rewardScale = real(flag, v, true);
    else if (flag === "--grid") c.grid = shape(flag, v, "1x8x8");
    else if (flag === "--observation") c.observationShape = shape(flag, v, "1x32x32");
    else if (flag === "--network") {
      if (!PATCH_NETWORK_KINDS.includes(v as PatchNetworkKind)) {
        throw new InvalidArgumentError("--network", `is ${v}`, PATCH_NETWORK_KINDS.join(" or "));
      }
      c.network = v as PatchNetworkKind;
    } else if (flag === "--backend") {
      if (v !== "cpu" && v !== "wasm") throw new InvalidArgumentError("--backend", `is ${v}`, "cpu or wasm");
      backend = v;
    } else if (flag === "--run") {
      if (!v) throw new InvalidArgumentError("--run", "has no value", "a folder");
      run = v;
    } else throw new InvalidArgumentError("arguments", `have unknown flag ${flag}`, HELP);
  }
  if (!c.observationShape.every((s, a) => s >= c.grid[a])) {
    throw new InvalidArgumentError(
      "--observation",
      `is ${c.observationShape.join("x")} for the grid ${c.grid.join("x")}`,
      "at least one cell per patch along each axis",
    );
  }
  return { seeds, config: c, backend, run };
}

const fmt = (v: number) => Number.isNaN(v) ? "n/a" : v.toFixed(3);

async function main(): Promise<void> {
  const args = parsePatchArgs(Deno.args);
  if (args === "help") {
    console.log(HELP);
    return;
  }
  const info = await initBackend(args.backend);
  console.log(`tfjs backend: ${info.name} (${info.details})`);
  const dir = args.run ?? defaultRunDir("runs", "patch");
  const folder = await createRunFolder(dir, { command: "train:patch", seeds: args.seeds, ...args.config });
  const perSeed: {
    seed: number;
    rows: {
      player: string;
      dice: number;
      emptyCorrect: number;
      meanSteps: number;
      positives: number;
      negatives: number;
    }[];
    seconds: number;
  }[] = [];
  for (const seed of args.seeds) {
    const r = await trainPatch({ ...args.config, seed }, async (line) => {
      await Deno.writeTextFile(folder.metricsPath, JSON.stringify({ seed, ...line }) + "\n", {
        append: true,
      });
      if (line.update % 10 === 0 || line.update === 1) {
        console.log(
          `seed ${seed} update ${line.update}: return ${fmt(line.meanReturn)} length ${
            fmt(line.meanLength)
          } entropy ${fmt(line.entropy)} picks above threshold ${fmt(line.hitShare)} terminate share ${
            fmt(line.terminateShare)
          }`,
        );
      }
    });
    await writeWeightsFile(join(dir, `policy-seed${seed}.bin`), await r.network.getWeights(), {
      seed,
      grid: args.config.grid,
      network: args.config.network,
      observationShape: args.config.observationShape,
    });
    r.network.dispose();
    perSeed.push({
      seed,
      rows: r.rows.map(({ player, dice, emptyCorrect, meanSteps, positives, perCase }) => ({
        player,
        dice,
        emptyCorrect,
        meanSteps,
        positives,
        negatives: perCase.length - positives,
      })),
      seconds: r.seconds,
    });
    console.log(
      `seed ${seed}: ${r.rows.map((x) => `${x.player} ${fmt(x.dice)}`).join(", ")} (${
        r.seconds.toFixed(0)
      } s)`,
    );
  }
  const players = perSeed[0].rows.map((x) => x.player);
  const table = players.map((player, p) => {
    const ds = perSeed.map((s) => s.rows[p].dice);
    const mean = ds.reduce((a, b) => a + b, 0) / ds.length;
    const sd = ds.length > 1 ? Math.sqrt(ds.reduce((a, b) => a + (b - mean) ** 2, 0) / (ds.length - 1)) : 0;
    const empty = perSeed.map((s) => s.rows[p].emptyCorrect).reduce((a, b) => a + b, 0) / ds.length;
    const steps = perSeed.map((s) => s.rows[p].meanSteps).reduce((a, b) => a + b, 0) / ds.length;
    return { player, diceMean: mean, diceSd: sd, emptyCorrect: empty, meanSteps: steps };
  });
  const supervision = "voxel labels (oracle scorer)";
  const testCases = perSeed[0].rows[0].positives + perSeed[0].rows[0].negatives;
  const testPositives = perSeed[0].rows[0].positives;
  await writeJsonAtomic(join(dir, "eval.json"), { supervision, seeds: args.seeds, table, perSeed });
  const md = [
    `# Patch game: test split, ${args.seeds.length} seed(s), supervision: ${supervision}`,
    "",
    `Network ${args.config.network}, observation ${args.config.observationShape.join("x")}, grid ${
      args.config.grid.join("x")
    }, ${args.config.updates} PPO updates x ${args.config.envs} games x ${
      args.config.ppo.numSteps ?? 32
    } steps, PFSP pool. Rules: termination weight ${args.config.terminationWeight}, early termination ` +
    `penalty ${args.config.earlyTerminationPenalty}, learner reward scale ${args.config.rewardScale}. ` +
    `Dice over the ${testCases} test cases (${testPositives} with tumour${
      args.config.mirror ? "; each test phantom in its 4 mirror variants" : ""
    }; mean over seeds, sd across seeds).`,
    "",
    "| player | Dice mean | Dice sd (seeds) | tumour-free cases left empty | moves per game |",
    "| --- | --- | --- | --- | --- |",
    ...table.map((t) =>
      `| ${t.player} | ${fmt(t.diceMean)} | ${fmt(t.diceSd)} | ${fmt(t.emptyCorrect)} | ${
        t.meanSteps.toFixed(1)
      } |`
    ),
    "",
    `Wall time: ${perSeed.map((s) => `seed ${s.seed} ${s.seconds.toFixed(0)} s`).join(", ")}.`,
    "",
  ].join("\n");
  await Deno.writeTextFile(join(dir, "eval.md"), md);
  console.log(md);
  console.log(`run folder: ${dir}`);
}

if (import.meta.main) await main();
