/**
 * `deno task eval --run <pixel run>`: re-evaluates a `deno task train:pixel` run folder (its
 * `config.json` and `weights.json`) on a split of the same slices, and writes `<run>/eval/` (or
 * `--out`): `eval.json`, `eval.md` (Dice / IoU / sensitivity / PPV / HD95 of the learned policy after
 * tMax steps, the initial mask and the intensity-band threshold fit on the training split, and the
 * Dice after each step), `overlays/<slice>.png` (image, mask, truth contour, last action map) and
 * `masks/<slice>.png` (the final mask, 255 = foreground). Every row reads voxel labels: the pixel
 * game's rewards do, so its results are fully supervised.
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import type { SplitName } from "../data/split.ts";
import {
  type GameRunEval,
  type GameRunEvalOptions,
  parseGameRunEvalArgs,
  readRunConfig,
  readRunJson,
  refuseExistingOutput,
} from "./game_run_cli.ts";
import { phantomPixelSlices } from "../env/pixel/pixel_data.ts";
import type { PixelSlice } from "../env/pixel/pixel_env.ts";
import { renderPixelEnv } from "../env/pixel/pixel_render.ts";
import { folderPixelSlices } from "../env/pixel/pixel_volume_slices.ts";
import { writePng } from "../env/png.ts";
import { type BackendName, initBackend } from "../models/backend.ts";
import { PIXEL_NETWORK_PRESETS, PixelNetwork, type PixelWeight } from "../models/pixel_network.ts";
import { PixelA2cLearner, type PixelA2cOptions, resolvePixelA2cOptions } from "../agents/pixel_a2c.ts";
import {
  evaluatePixelPolicy,
  fitThresholdBaseline,
  PIXEL_SUPERVISION,
  pixelScoreRow,
  type PixelScores,
  scorePixelMasks,
  thresholdMasks,
} from "./pixel_eval.ts";

/** The fields of a pixel run's `config.json` this evaluation reads (written by `train:pixel`). */
export interface PixelRunSettings {
  /** Data: phantoms (`dir` null) or a dataset folder, and how slices were taken. */
  readonly data: {
    readonly dir: string | null;
    readonly channel: string;
    readonly sliceEvery: number;
    readonly count: number;
    readonly seed: number;
    readonly shape: [number, number, number];
    readonly target: number[];
  };
  /** Network preset name. */
  readonly network: "small" | "paper";
  /** The actor-critic's options (JSON: an infinite `maxGradNorm` reads as null). */
  readonly a2c: Omit<PixelA2cOptions, "maxGradNorm"> & { readonly maxGradNorm: number | null };
  /** Seed and backend of the run. */
  readonly train: { readonly seed: number; readonly backend: BackendName };
  /** Present in pixel runs only (how the dispatcher tells them apart). */
  readonly fcn: unknown;
}

/** True when `config` (a parsed `config.json`) is a `train:pixel` run's. */
export function isPixelRunConfig(config: unknown): config is PixelRunSettings {
  const c = config as Record<string, unknown> | null;
  return !!c && typeof c === "object" && "a2c" in c && "fcn" in c && "data" in c;
}

/** The `--help` text of the pixel run evaluation. */
export const PIXEL_EVAL_HELP = `deno task eval --run <pixel run> [--split test|val|train] [--out DIR]

Re-evaluates a deno task train:pixel run folder (config.json + weights.json) on a split of the same
slices [test]; writes <run>/eval (or --out, which must not exist): eval.json, eval.md, overlays/,
masks/. Every row reads voxel labels (fully supervised).`;

/** Options of {@link evaluatePixelRun}: the run folder, the split (default test), the output folder. */
export type PixelRunEvalOptions = GameRunEvalOptions;

/** What {@link evaluatePixelRun} wrote and measured. */
export interface PixelRunEvaluation {
  /** The output folder. */
  readonly dir: string;
  /** Slices evaluated. */
  readonly slices: number;
  /** Scores per row. */
  readonly scores: {
    readonly policy: PixelScores;
    readonly initial: PixelScores;
    readonly threshold: PixelScores;
  };
  /** Mean Dice after step 0 (initial mask) .. tMax. */
  readonly diceByStep: number[];
  /** The report's markdown. */
  readonly markdown: string;
}

/**
 * Parses the pixel evaluation's command line.
 * @throws {InvalidArgumentError} naming the flag for an unknown option or a bad split
 */
export function parsePixelEvalArgs(args: readonly string[]): PixelRunEvalOptions | "help" {
  return parseGameRunEvalArgs(args, "pixel");
}

/** The `channel` a pixel run records for a folder of grey 2D JPEG slices (no modality to pick). */
export const JPEG_CHANNEL = "grey (JPEG)";

/**
 * The slices of a pixel run, split as at training time: seeded phantoms (`data.dir` null) or the
 * dataset folder's slices (JPEG slices when `channel` is {@link JPEG_CHANNEL}, else per-case volumes
 * of that modality). Shared by `train:pixel` and its re-evaluation, so both read the same slices.
 * @throws {SparsGymError} for a missing or unreadable dataset folder
 */
export async function pixelRunSlices(
  c: Pick<PixelRunSettings, "data">,
): Promise<Record<SplitName, PixelSlice[]>> {
  if (c.data.dir === null) return phantomPixelSlices({ ...c.data });
  const jpeg = c.data.channel === JPEG_CHANNEL;
  return await folderPixelSlices(c.data.dir, {
    ...(jpeg ? {} : { channel: c.data.channel }),
    target: c.data.target,
    size: c.data.shape[2],
    every: c.data.sliceEvery,
    seed: c.data.seed,
  });
}

/** The final mask as a grey PNG frame (255 = foreground). */
function maskFrame(mask: Uint8Array, h: number, w: number) {
  const data = new Uint8Array(h * w * 3);
  mask.forEach((m, i) => data.fill(m ? 255 : 0, i * 3, i * 3 + 3));
  return { width: w, height: h, channels: 3 as const, data };
}

/**
 * Evaluates a pixel run folder (see the module doc).
 * @throws {InvalidArgumentError} when the run lacks its files, the output folder exists or the split is empty
 */
export async function evaluatePixelRun(options: PixelRunEvalOptions): Promise<PixelRunEvaluation> {
  const split = options.split ?? "test", dir = options.out ?? join(options.run, "eval");
  const config = await readRunConfig(options.run, isPixelRunConfig, "train:pixel");
  const weights = await readRunJson(options.run, "weights.json", "train:pixel") as { network: PixelWeight[] };
  await refuseExistingOutput(dir);
  await initBackend(config.train.backend);
  const data = await pixelRunSlices(config), slices = data[split];
  if (!slices.length) {
    throw new InvalidArgumentError("--split", `${split} has no slices`, "a non-empty split");
  }
  const a2c = resolvePixelA2cOptions({ ...config.a2c, maxGradNorm: config.a2c.maxGradNorm ?? Infinity });
  const net = new PixelNetwork(PIXEL_NETWORK_PRESETS[config.network], config.train.seed);
  net.setWeights(weights.network as PixelWeight[]);
  const learner = new PixelA2cLearner(net, a2c, config.train.seed);
  await Deno.mkdir(join(dir, "overlays"), { recursive: true });
  await Deno.mkdir(join(dir, "masks"), { recursive: true });
  const learned = await evaluatePixelPolicy(learner, slices, 8, async (env, k) => {
    const s = slices[k], name = `${s.id.replaceAll("/", "_")}.png`;
    await writePng(join(dir, "overlays", name), renderPixelEnv(env, 3));
    await writePng(join(dir, "masks", name), maskFrame(env.mask, ...s.shape));
  });
  const band = fitThresholdBaseline(data.train);
  const scores = {
    policy: scorePixelMasks(slices, learned.masks),
    initial: scorePixelMasks(slices, slices.map((s) => new Uint8Array(s.truth.length).fill(1))),
    threshold: scorePixelMasks(slices, thresholdMasks(slices, band)),
  };
  learner.dispose();
  net.dispose();
  const markdown = [
    `# Pixel actor-critic (PixelDRL-MG), ${split} split, re-evaluated from ${options.run}`,
    ``,
    `${slices.length} ${split} slices; network ${config.network}, seed ${config.train.seed}, tMax ${a2c.tMax}. ` +
    `The env's rewards read voxel labels: these rows are fully supervised.`,
    ``,
    `| method | supervision | Dice | IoU | sensitivity | PPV | HD95 mm |`,
    `| --- | --- | --- | --- | --- | --- | --- |`,
    pixelScoreRow(`learned policy after tMax = ${a2c.tMax} steps (greedy)`, scores.policy),
    pixelScoreRow("initial mask (all foreground)", scores.initial),
    pixelScoreRow(`threshold band [${band.lo}, ${band.hi}] (fit on train)`, scores.threshold),
    ``,
    `Mean ± sd over slices. Dice after each step (0 = initial mask): ${
      learned.diceByStep.map((d) => d.toFixed(3)).join(", ")
    }. Overlays in overlays/, final masks in masks/ (255 = foreground).`,
    ``,
  ].join("\n");
  await writeFileAtomic(join(dir, "eval.md"), markdown);
  const json = {
    run: options.run,
    split,
    supervision: PIXEL_SUPERVISION,
    band,
    diceByStep: learned.diceByStep,
    scores,
  };
  await writeFileAtomic(join(dir, "eval.json"), JSON.stringify(json, null, 2) + "\n");
  return { dir, slices: slices.length, scores, diceByStep: learned.diceByStep, markdown };
}

/** `deno task eval --run <train:pixel run>` (see the module doc), dispatched by `eval/game_runs.ts`. */
export const PIXEL_RUN_EVAL: GameRunEval = {
  kind: "pixel",
  help: PIXEL_EVAL_HELP,
  isConfig: isPixelRunConfig,
  evaluate: async (options) => {
    const r = await evaluatePixelRun(options);
    return `${r.markdown}\nreport: ${r.dir}/eval.md, ${r.dir}/eval.json, overlays/, masks/ (${r.slices} slices)\n`;
  },
};
