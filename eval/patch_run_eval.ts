/**
 * `deno task eval --run <patch run>`: re-evaluates a `deno task train:patch` run folder on a split of
 * the same cases. Per seed it loads `policy-seed<k>.bin` (and, with the classifier scorer, the
 * checkpoint `classifier-seed<k>/`), rebuilds the run's data and game from `config.json`, and plays
 * the table's players (learned argmax and sampled, random, greedy, spatial prior:
 * {@link patchPlayers}). Writes `<run>/eval/` (or `--out`, refused when it exists): `eval.md` (the
 * table over seeds, as `train:patch` writes it, and the learned agent's Dice per seed), `eval.json`,
 * `overlays/seed<k>/<case>.png` (the learned argmax agent's final board: truth contour | the two
 * players' patches | score map and union) and `masks/seed<k>/<case>.png` (its segmentation, 255 =
 * foreground; `.nii.gz` for a case deeper than one slice).
 *
 * @module
 */
import { join } from "node:path";
import { InvalidArgumentError } from "../data/errors.ts";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { writeNifti } from "../data/nifti_write.ts";
import type { SplitName } from "../data/split.ts";
import type { Case, Vec3 } from "../data/types.ts";
import { CachedScorer } from "../env/cached_scorer.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import type { PatchConfig } from "../env/patch/config.ts";
import { folderPatchData, patchData, type PatchRunData, TUMOUR } from "../env/patch/patch_data.ts";
import { PatchEnv } from "../env/patch/patch_env.ts";
import { renderPatchRgb } from "../env/patch/render.ts";
import { fitSpatialPrior } from "../env/patch/spatial_prior.ts";
import { writePng } from "../env/png.ts";
import type { Scorer } from "../env/scorer.ts";
import { readWeightsFile } from "../agents/snapshot.ts";
import { createPatchModel, type PatchNetworkKind } from "../agents/patch_model.ts";
import { type BackendName, initBackend } from "../models/backend.ts";
import { ClassifierScorer } from "../models/classifier_scorer.ts";
import {
  evaluatePatchPlayers,
  patchPlayers,
  type PatchSeedRow,
  patchSeedRow,
  patchSeedTable,
  patchTableMarkdown,
  type PatchTableRow,
} from "./patch_eval.ts";
import {
  type GameRunEval,
  type GameRunEvalOptions,
  parseGameRunEvalArgs,
  readRunConfig,
  refuseExistingOutput,
} from "./game_run_cli.ts";

/** The fields of a patch run's `config.json` this evaluation reads (written by `train:patch`). */
export interface PatchRunSettings {
  /** `"train:patch"`: how the dispatcher tells a patch run apart. */
  readonly command: "train:patch";
  /** The tfjs backend of the run (absent in runs from before it was recorded: wasm, the default). */
  readonly backend?: BackendName;
  /** The seeds trained (one policy and, with the classifier, one checkpoint each). */
  readonly seeds: number[];
  /** Phantom count (with `data` null). */
  readonly cases: number;
  /** Dataset folder, or null for the phantoms. */
  readonly data: string | null;
  /** Case shape z,y,x. */
  readonly shape: Vec3;
  /** Cases played in their 4 mirror variants. */
  readonly mirror: boolean;
  /** Patch grid z,y,x. */
  readonly grid: Vec3;
  /** `oracle` or `classifier`. */
  readonly scorer: "oracle" | "classifier";
  /** The learned agent's network. */
  readonly network: PatchNetworkKind;
  /** Observation shape z,y,x. */
  readonly observationShape: Vec3;
  /** Score channel in the observation (absent in runs from before it existed: false). */
  readonly observeScores?: boolean;
  /** Intensities mapped to [0, 1]. */
  readonly intensityRange: readonly [number, number];
  /** The game's presence threshold. */
  readonly presenceThreshold: number;
  /** The game's termination weight. */
  readonly terminationWeight: number;
  /** The game's early termination penalty. */
  readonly earlyTerminationPenalty: number;
}

/** True when `config` (a parsed `config.json`) is a `train:patch` run's. */
export function isPatchRunConfig(config: unknown): config is PatchRunSettings {
  const c = config as Record<string, unknown> | null;
  return !!c && typeof c === "object" && c.command === "train:patch";
}

/** The `--help` text of the patch run evaluation. */
export const PATCH_EVAL_HELP = `deno task eval --run <patch run> [--split test|val|train] [--out DIR]

Re-evaluates a deno task train:patch run folder (config.json, policy-seed<k>.bin and, with the
classifier scorer, classifier-seed<k>/) on a split of the same cases [test]: the learned agent, random,
greedy and the spatial prior, every seed. Writes <run>/eval (or --out, which must not exist):
eval.json, eval.md, overlays/seed<k>/, masks/seed<k>/. Each row names its supervision level.`;

/** Options of {@link evaluatePatchRun}: the run folder, the split (default test), the output folder. */
export type PatchRunEvalOptions = GameRunEvalOptions;

/** What {@link evaluatePatchRun} wrote and measured. */
export interface PatchRunEvaluation {
  /** The output folder. */
  readonly dir: string;
  /** Cases evaluated per seed. */
  readonly cases: number;
  /** Per seed, each player's row. */
  readonly perSeed: { readonly seed: number; readonly rows: PatchSeedRow[] }[];
  /** Mean and sd over seeds per player. */
  readonly table: PatchTableRow[];
  /** The report's markdown. */
  readonly markdown: string;
}

/**
 * Parses the patch evaluation's command line.
 * @throws {InvalidArgumentError} naming the flag for an unknown option or a bad split
 */
export function parsePatchEvalArgs(args: readonly string[]): PatchRunEvalOptions | "help" {
  return parseGameRunEvalArgs(args, "patch");
}

/**
 * The cases of a patch run, split as at training time (`train:patch` builds them the same way):
 * the seeded phantoms (target: the tumour label) or the dataset folder's slices.
 * @throws {SparsGymError} for a missing or unreadable dataset folder
 */
export async function patchRunData(
  c: Pick<PatchRunSettings, "data" | "cases" | "shape" | "mirror">,
): Promise<PatchRunData> {
  return c.data === null
    ? { ...patchData(c), target: [TUMOUR] }
    : await folderPatchData(c.data, { shape: c.shape, mirror: c.mirror, seed: 0 });
}

/** The game options of a run (grid, observation, rules). */
export function patchRunGameOptions(
  c: Pick<
    PatchRunSettings,
    | "grid"
    | "observationShape"
    | "observeScores"
    | "intensityRange"
    | "presenceThreshold"
    | "terminationWeight"
    | "earlyTerminationPenalty"
  >,
): Partial<PatchConfig> {
  return {
    grid: c.grid,
    observationShape: c.observationShape,
    observeScores: c.observeScores ?? false,
    intensityRange: c.intensityRange,
    presenceThreshold: c.presenceThreshold,
    terminationWeight: c.terminationWeight,
    earlyTerminationPenalty: c.earlyTerminationPenalty,
  };
}

/** The final segmentation as a grey PNG frame of the middle slice (255 = foreground). */
function maskFrame(mask: Uint8Array, shape: Vec3) {
  const [, h, w] = shape, data = new Uint8Array(h * w * 3);
  for (let i = 0; i < h * w; i++) data.fill(mask[i] ? 255 : 0, i * 3, i * 3 + 3);
  return { width: w, height: h, channels: 3 as const, data };
}

/** The scorer of one seed: the oracle over the run's cases, or that seed's saved classifier. */
async function seedScorer(
  run: string,
  config: PatchRunSettings,
  data: PatchRunData,
  seed: number,
): Promise<{ scorer: Scorer; supervision: string; dispose: () => void }> {
  if (config.scorer === "oracle") {
    return {
      scorer: new OracleScorer(data.all, { target: data.target }),
      supervision: "voxel labels",
      dispose() {},
    };
  }
  const classifier = await ClassifierScorer.load(join(run, `classifier-seed${seed}`), { batchSize: 64 });
  return {
    scorer: new CachedScorer(classifier),
    supervision: classifier.supervision,
    dispose: () => classifier.dispose(),
  };
}

/** Writes a case's overlay and mask under `dir`. */
async function writeCaseFigures(dir: string, seed: number, env: PatchEnv, c: Case): Promise<void> {
  const name = c.id.replaceAll("/", "_");
  await writePng(join(dir, "overlays", `seed${seed}`, `${name}.png`), renderPatchRgb(env.game, 4));
  const mask = env.segmentation();
  if (c.image.shape[0] === 1) {
    await writePng(join(dir, "masks", `seed${seed}`, `${name}.png`), maskFrame(mask, c.image.shape));
  } else {
    const labels = {
      id: `${c.id}/mask`,
      shape: c.image.shape,
      spacing: c.image.spacing,
      affine: c.image.affine,
      data: mask,
    };
    await writeNifti(join(dir, "masks", `seed${seed}`, `${name}.nii.gz`), labels, { like: c.image });
  }
}

/** The re-evaluation's `eval.md`: the setting, the table over seeds, the learned agent per seed. */
function patchRunMarkdown(
  run: string,
  split: SplitName,
  cases: number,
  config: PatchRunSettings,
  perSeed: readonly { readonly seed: number; readonly rows: readonly PatchSeedRow[] }[],
  table: readonly PatchTableRow[],
): string {
  const first = perSeed[0].rows[0];
  return [
    `# Patch game, ${split} split, re-evaluated from ${run}`,
    "",
    `${cases} ${split} cases (${first.positives} with tumour), seeds ${
      config.seeds.join(", ")
    }; scorer ${config.scorer}, ` +
    `network ${config.network}, observation ${config.observationShape.join("x")}${
      config.observeScores ? " with the score channel" : ""
    }, grid ${
      config.grid.join("x")
    }, presence threshold ${config.presenceThreshold}. Mean over seeds, sd across seeds; ` +
    "Dice over the cases with tumour (tumour-free cases: the share left empty).",
    "",
    ...patchTableMarkdown(table),
    "",
    `Learned (argmax) Dice per seed: ${
      perSeed.map((p) => `seed ${p.seed} ${p.rows[0].dice.toFixed(3)}`).join(", ")
    }. ` +
    "Overlays of the learned (argmax) agent's final boards in overlays/seed<k>/ (truth contour | the players' " +
    "patches | score map and union), its segmentations in masks/seed<k>/ (255 = foreground).",
    "",
  ].join("\n");
}

/**
 * Evaluates a patch run folder (see the module doc).
 * @throws {InvalidArgumentError} when the run lacks its files, the output folder exists or the split is empty
 */
export async function evaluatePatchRun(options: PatchRunEvalOptions): Promise<PatchRunEvaluation> {
  const split = options.split ?? "test", dir = options.out ?? join(options.run, "eval");
  const config = await readRunConfig(options.run, isPatchRunConfig, "train:patch");
  await refuseExistingOutput(dir);
  await initBackend(config.backend ?? "wasm");
  const data = await patchRunData(config);
  const cases = { train: data.train, val: data.validation, test: data.test }[split];
  if (!cases.length) throw new InvalidArgumentError("--split", `${split} has no cases`, "a non-empty split");
  const prior = fitSpatialPrior(data.train, config.grid, data.target);
  for (const seed of config.seeds) {
    for (const kind of ["overlays", "masks"]) {
      await Deno.mkdir(join(dir, kind, `seed${seed}`), { recursive: true });
    }
  }
  const perSeed: { seed: number; rows: PatchSeedRow[] }[] = [];
  for (const seed of config.seeds) {
    const { weights } = await readWeightsFile(join(options.run, `policy-seed${seed}.bin`));
    const net = createPatchModel({ ...config, observeScores: config.observeScores ?? false }, seed);
    net.setWeights(weights);
    const s = await seedScorer(options.run, config, data, seed);
    const env = new PatchEnv({ scorer: s.scorer, cache: false, ...patchRunGameOptions(config) });
    const { players, supervision } = patchPlayers(net, { seed, prior, scorerSupervision: s.supervision });
    const rows = await evaluatePatchPlayers(env, players, cases, data.target, async (player, k, e) => {
      if (player === 0) await writeCaseFigures(dir, seed, e, cases[k]);
    });
    perSeed.push({ seed, rows: rows.map((r, i) => patchSeedRow(r, supervision[i])) });
    s.dispose();
    net.dispose();
  }
  const table = patchSeedTable(perSeed);
  const markdown = patchRunMarkdown(options.run, split, cases.length, config, perSeed, table);
  await writeFileAtomic(join(dir, "eval.md"), markdown);
  const json = { run: options.run, split, scorer: config.scorer, seeds: config.seeds, table, perSeed };
  await writeFileAtomic(join(dir, "eval.json"), JSON.stringify(json, null, 2) + "\n");
  return { dir, cases: cases.length, perSeed, table, markdown };
}

/** `deno task eval --run <train:patch run>` (see the module doc), dispatched by `eval/game_runs.ts`. */
export const PATCH_RUN_EVAL: GameRunEval = {
  kind: "patch",
  help: PATCH_EVAL_HELP,
  isConfig: isPatchRunConfig,
  evaluate: async (options) => {
    const r = await evaluatePatchRun(options);
    return `${r.markdown}\nreport: ${r.dir}/eval.md, ${r.dir}/eval.json, overlays/, masks/ (${r.cases} cases per seed)\n`;
  },
};
