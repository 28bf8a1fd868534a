/**
 * Baselines of the patch and pixel task ids (`deno task baselines`), on each task's test split:
 *
 * - `SparsGym/Patch-Oracle-v0`: `trainPatch` (train/patch_train.ts: masked PPO of
 *   agents/patch_policy.ts against a PFSP pool, train:patch's learner defaults) on the task's data,
 *   split and game rules, then `evaluatePatchPlayers` (each player plays both sides): learned
 *   (argmax, sampled), random, greedy (takes patches scoring above the presence threshold).
 * - `SparsGym/Pixel-Phantom-v0`: on the task's env: random per-pixel actions, the start mask kept,
 *   the per-pixel reward-greedy oracle (reads the labels), an intensity band fit on the train slices,
 *   and the actor-critic of agents/pixel_a2c.ts trained by `trainPixel` for a wall-clock budget.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import { DEFAULT_PATCH_CONFIG } from "../env/patch/config.ts";
import { phantomPixelSlices } from "../env/pixel/pixel_data.ts";
import type { PixelSegEnv, PixelSlice } from "../env/pixel/pixel_env.ts";
import { make, spec } from "../env/registry.ts";
import { dice } from "../eval/metrics.ts";
import { PIXEL_NETWORK_PRESETS, PixelNetwork } from "../models/pixel_network.ts";
import { PixelA2cLearner } from "../agents/pixel_a2c.ts";
import { DEFAULT_PATCH_TRAIN_CONFIG, type PatchTrainConfig, trainPatch } from "../train/patch_train.ts";
import {
  evaluatePixelPolicy,
  fitThresholdBaseline,
  thresholdMasks,
  trainPixel,
} from "../train/pixel_train.ts";
import {
  PATCH_TASK_ID,
  patchTaskCases,
  type PatchTaskOptions,
  PIXEL_TASK_ID,
  type PixelTaskOptions,
} from "../tasks/game_tasks.ts";
import type { BaselineRow, BaselineTask } from "./baselines_table.ts";

const ORACLE = "voxel labels (oracle scorer)";
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Mean Dice over the cases with target voxels, and their count. */
function meanDice(values: readonly number[]): { mean: number; cases: number } {
  const valid = values.filter((v) => !Number.isNaN(v));
  return { mean: valid.length ? mean(valid) : NaN, cases: valid.length };
}

/** The patch training config that plays exactly the task's data, split and game rules. */
export function patchTaskTrainConfig(o: PatchTaskOptions, seed: number, updates: number): PatchTrainConfig {
  if (!o.intensityRange) {
    // trainPatch always maps a fixed HU range; per-image ranges would be another game.
    throw new InvalidArgumentError(
      "intensityRange",
      "is unset in the patch task",
      "a fixed [lo, hi] HU range",
    );
  }
  return {
    ...DEFAULT_PATCH_TRAIN_CONFIG,
    seed,
    updates,
    cases: o.data.count,
    shape: o.data.shape,
    mirror: false,
    grid: o.grid ?? DEFAULT_PATCH_CONFIG.grid,
    observationShape: o.observationShape ?? DEFAULT_PATCH_CONFIG.observationShape,
    intensityRange: o.intensityRange,
    presenceThreshold: o.presenceThreshold ?? DEFAULT_PATCH_CONFIG.presenceThreshold,
    terminationWeight: o.terminationWeight ?? DEFAULT_PATCH_CONFIG.terminationWeight,
    earlyTerminationPenalty: o.earlyTerminationPenalty ?? DEFAULT_PATCH_CONFIG.earlyTerminationPenalty,
  };
}

/** Runs the patch task's rows for every seed; `updates` PPO updates per seed. */
export async function runPatchTask(
  seeds: readonly number[],
  updates: number,
  log: (line: string) => void,
): Promise<BaselineTask> {
  const started = performance.now();
  const taskSpec = spec<unknown, PatchTaskOptions>(PATCH_TASK_ID);
  const o = taskSpec.defaults as PatchTaskOptions;
  const testIds = patchTaskCases(o.data, "test").map((c) => c.id);
  // trainPatch's evaluation rows, keyed by player name (it may evaluate more players than these).
  const perSeed = new Map<string, { dice: number[]; moves: number[]; cases: number }>();
  let trainSeconds = 0;
  for (const seed of seeds) {
    log(`${PATCH_TASK_ID} seed ${seed}: masked PPO, ${updates} updates, then the test split`);
    const config = patchTaskTrainConfig(o, seed, updates);
    // trainPatch draws its data and split with data seed 0: the task's only when the task's is 0.
    if (o.data.seed !== 0) {
      throw new InvalidArgumentError(
        `${PATCH_TASK_ID} data.seed`,
        `is ${o.data.seed}`,
        "0 (trainPatch's data seed)",
      );
    }
    const result = await trainPatch(config);
    result.network.dispose();
    if (JSON.stringify(result.testIds) !== JSON.stringify(testIds)) {
      throw new InvalidArgumentError(
        PATCH_TASK_ID,
        "has another test split than trainPatch",
        "the same cases",
      );
    }
    trainSeconds += result.seconds;
    for (const r of result.rows) {
      const entry = perSeed.get(r.player) ?? { dice: [], moves: [], cases: r.positives };
      entry.dice.push(r.dice);
      entry.moves.push(r.meanSteps);
      perSeed.set(r.player, entry);
    }
  }
  const row = (player: string, method: string, deterministic = false): BaselineRow => {
    const p = perSeed.get(player);
    if (!p) {
      throw new InvalidArgumentError("trainPatch rows", `lack player "${player}"`, "its evaluation rows");
    }
    return {
      method,
      supervision: ORACLE,
      dicePerSeed: deterministic ? p.dice.slice(0, 1) : p.dice,
      deterministic,
      cases: p.cases,
      costPerSeed: deterministic ? p.moves.slice(0, 1) : p.moves,
      costUnit: "moves per game",
    };
  };
  // The trainer's network kind, where it has a choice of them.
  const network = (DEFAULT_PATCH_TRAIN_CONFIG as { network?: string }).network;
  const known: Record<string, string> = {
    random: "random players",
    greedy: "greedy players (patches scoring above the presence threshold)",
    "learned (argmax)": `learned: masked PPO (agents/patch_policy.ts${
      network ? `, ${network} network` : ""
    }), ${updates} updates per seed, argmax`,
    "learned (sampled)": "learned: the same policy, sampled actions",
  };
  const others = [...perSeed.keys()].filter((name) => !(name in known));
  const g = patchTaskTrainConfig(o, 0, updates);
  return {
    id: PATCH_TASK_ID,
    description: taskSpec.description,
    rows: [
      row("random", known.random),
      row("greedy", known.greedy, true),
      ...others.map((name) => row(name, `${name} (a player of trainPatch's evaluation)`)),
      row("learned (argmax)", known["learned (argmax)"]),
      row("learned (sampled)", known["learned (sampled)"]),
    ],
    notes: [
      `${testIds.length} test cases (the task's split, as generated: no mirroring); every player plays both ` +
      `sides; Dice of the union of taken patches; target-free cases excluded from Dice.`,
      `Game as registered: grid ${
        g.grid.join("x")
      }, presence threshold ${g.presenceThreshold}, termination ` +
      `weight ${g.terminationWeight}, early termination penalty ${g.earlyTerminationPenalty} (the paper's rules).`,
      `Learned: \`trainPatch\` with train:patch's learner defaults (${DEFAULT_PATCH_TRAIN_CONFIG.envs} games x ` +
      `32 steps per update, learning rate 1e-3, PFSP pool, reward scale ${DEFAULT_PATCH_TRAIN_CONFIG.rewardScale}) ` +
      `on the task's train split, ${updates} updates per seed (${
        (trainSeconds / seeds.length).toFixed(0)
      } s ` +
      `per seed with its evaluation). README: with the paper's termination weight 100 it learns little; ` +
      "`deno task train:patch` defaults to weight 1.",
      "Greedy reads the oracle's patch scores, so it is the oracle row; it does not depend on the seed.",
      "Cost per case: moves per game (both players, refused moves included).",
    ],
    seconds: (performance.now() - started) / 1000,
  };
}

/** Plays every test slice with `choose` giving the action map of each step; Dice per slice. */
function playPixel(
  env: PixelSegEnv,
  slices: readonly PixelSlice[],
  choose: (mask: Uint8Array, slice: PixelSlice) => Int32Array,
): number[] {
  return slices.map((s, i) => {
    env.reset({ options: { index: i } });
    for (let t = 0; t < env.tMax; t++) env.step(choose(env.mask, s));
    return dice(env.mask, s.truth);
  });
}

/** Runs the pixel task's rows; the actor-critic trains `seconds` of wall time per seed. */
export async function runPixelTask(
  seeds: readonly number[],
  seconds: number,
  log: (line: string) => void,
): Promise<BaselineTask> {
  const started = performance.now();
  const taskSpec = spec<PixelSegEnv, PixelTaskOptions>(PIXEL_TASK_ID);
  const o = taskSpec.defaults as PixelTaskOptions;
  const data = phantomPixelSlices({ count: o.data.count, seed: o.data.seed, shape: o.data.shape });
  const env = await make<PixelSegEnv, PixelTaskOptions>(PIXEL_TASK_ID, { split: "test" });
  const test = data.test;
  // The task's env plays slice i of its test split; it must be the slice scored here.
  const sliceIds = test.map((_, i) => (env.reset({ options: { index: i } }), env.slice?.id));
  if (sliceIds.join() !== test.map((s) => s.id).join()) {
    throw new InvalidArgumentError(
      PIXEL_TASK_ID,
      "plays other test slices than phantomPixelSlices",
      "the same",
    );
  }
  const k = env.actions.length;
  log(`${PIXEL_TASK_ID}: start mask, oracle and threshold band on ${test.length} test slices`);
  const keep = env.actions.findIndex((a) => a.name === "keep");
  const kept = meanDice(playPixel(env, test, (m) => new Int32Array(m.length).fill(keep)));
  // Per pixel, the action whose result equals the label (the reward map's maximum): reads the labels.
  const oracle = meanDice(playPixel(env, test, (m, s) =>
    Int32Array.from(m, (v, p) => {
      const a = env.actions.findIndex((action) => action.apply(v) === s.truth[p]);
      return a < 0 ? keep : a;
    })));
  const band = fitThresholdBaseline(data.train);
  const banded = meanDice(thresholdMasks(test, band).map((m, i) => dice(m, test[i].truth)));
  const random: number[] = [], learned: number[] = [];
  const trained: { updates: number; epochs: number }[] = [];
  for (const seed of seeds) {
    const rng = new Rng(seed);
    random.push(meanDice(playPixel(env, test, (m) => Int32Array.from(m, () => rng.int(k)))).mean);
    log(`${PIXEL_TASK_ID} seed ${seed}: pixel actor-critic, ${seconds} s`);
    const net = new PixelNetwork(PIXEL_NETWORK_PRESETS.small, seed);
    const learner = new PixelA2cLearner(net, { tMax: o.tMax }, seed);
    try {
      trained.push(await trainPixel(learner, data, { epochs: 200, maxSeconds: seconds, seed }));
      const evaluation = await evaluatePixelPolicy(learner, test);
      learned.push(meanDice(evaluation.masks.map((m, i) => dice(m, test[i].truth))).mean);
    } finally {
      learner.dispose();
      net.dispose();
    }
  }
  const cases = kept.cases;
  const fixed = (method: string, supervision: string, value: number): BaselineRow => ({
    method,
    supervision,
    dicePerSeed: [value],
    deterministic: true,
    cases,
  });
  return {
    id: PIXEL_TASK_ID,
    description: taskSpec.description,
    rows: [
      { method: "random per-pixel actions", supervision: "none", dicePerSeed: random, cases },
      fixed(`start mask kept (${o.initialMask})`, "none", kept.mean),
      fixed(`intensity band [${band.lo}, ${band.hi}] fit on the train slices`, "voxel labels", banded.mean),
      fixed("oracle: per pixel the action that matches the label", "voxel labels (reads them)", oracle.mean),
      {
        method: `learned: pixel actor-critic (agents/pixel_a2c.ts), ${seconds} s per seed, greedy actions`,
        supervision: "voxel labels (rewards)",
        dicePerSeed: learned,
        cases,
      },
    ],
    notes: [
      `${test.length} test slices ${o.data.shape[1]}x${o.data.shape[2]} of the task; ${o.tMax} steps per ` +
      `episode, actions ${env.actions.map((a) => a.name).join(" / ")}; Dice of the final mask.`,
      `Learned: \`trainPixel\` from random init (small network, train:pixel's defaults) for ${seconds} s of ` +
      `wall time per seed (${trained.map((t) => `${t.updates} updates`).join(", ")}), evaluated with ` +
      "`evaluatePixelPolicy`; README: the actor-critic from random init sets every pixel to background at " +
      "this budget, the cross-entropy FCN (`train:pixel --fcn-seconds`) is the stronger learned baseline.",
      "Greedy and dense have no meaning in this game (every pixel acts every step); the oracle is its greedy.",
    ],
    seconds: (performance.now() - started) / 1000,
  };
}
