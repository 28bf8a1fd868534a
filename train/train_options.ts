/**
 * The command-line options of `deno task train`: one table drives both the `--help` text (with
 * every default, and the paper preset's where it differs) and the parser (`node:util` parseArgs).
 * Precedence: defaults < preset < explicit options. `--resume` may change only a few options.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { joinNegativeValues, valueOptionNames } from "../data/cli_args.ts";
import { kindHint, type OptionKind, type OptionSpec, parseValue, UsageError } from "./option_values.ts";

export { type OptionKind, type OptionSpec, UsageError } from "./option_values.ts";
import { BACKEND_NAMES } from "../models/backend.ts";
import { OPPONENT_RULES } from "../agents/opponent_pool.ts";
import { REWARD_SCHEMES } from "../env/rewards.ts";
import { INTENSITY_MODES } from "../data/intensity_options.ts";
import { applyDataOptions } from "./train_data.ts";
import { MAP_MODES } from "../env/probability_map.ts";
import { OBSERVATION_MODES } from "../env/observation.ts";
import { type PresetName, PRESETS, SCORER_RUNTIMES, type TrainConfig } from "./train_config.ts";

const o = (
  name: string,
  kind: OptionKind,
  path: string,
  help: string,
  choices?: readonly string[],
): OptionSpec => ({
  name,
  kind,
  path,
  help,
  choices,
});

/** Every config option of the CLI, in help order (groups marked by `#`). */
export const OPTION_SPECS: readonly OptionSpec[] = [
  o("#", "string", "", "Data"),
  o(
    "data",
    "string",
    "data.spec",
    'dataset folder (LiTS, MSD, folder + labels.csv, BraTS or STS case folders with --channels) or "phantoms"',
  ),
  o("phantoms", "int", "data.count", "phantom cases in the whole dataset (split 70/15/15)"),
  o("phantom-seed", "int", "data.seed", "phantom dataset and split seed"),
  o("phantom-shape", "vec3", "data.shape", "phantom volume shape z,y,x"),
  o("phantom-tumours", "range", "data.tumours", "tumours per positive phantom, min,max"),
  o("phantom-radius", "range", "data.tumourRadiusMm", "tumour radius range in mm, lo,hi"),
  o("split", "fractions", "data.fractions", "train,val,test fractions of the dataset (sum 1)"),
  o("split-seed", "int", "data.seed", "seed of the split of a dataset folder (the phantom seed: one value)"),
  o(
    "fold",
    "fold",
    "data.folds",
    "k-fold instead of --split: fold I of K is test, the next fold val, the rest train",
  ),
  o("target", "list", "data.target", "target label values, e.g. 2 or 1,2,4 (default: the dataset's)"),
  o(
    "channels",
    "names",
    "data.channels",
    "modalities of per-case folders, e.g. flair or flair,t1ce,t2 (BraTS; stacked channels), CT (STS <case>/CT_image + CT_mask)",
  ),
  o(
    "intensity",
    "string",
    "data.intensity.mode",
    "per-case normalisation of each channel (zscore*: --intensity-window -3,7 unless given)",
    INTENSITY_MODES,
  ),
  o(
    "intensity-clip-percentiles",
    "percentiles",
    "data.intensity.clipPercentiles",
    "clip each case (its z-scored voxels) to these percentiles first, or none",
  ),
  o("#", "string", "", "Scorer and classifier"),
  o("scorer", "string", "scorer", "oracle scores windows from VOXEL LABELS (debugging only)", [
    "classifier",
    "oracle",
  ]),
  o(
    "classifier",
    "string",
    "classifier.checkpoint",
    "reuse this classifier checkpoint instead of training one",
  ),
  o("classifier-epochs", "int", "classifier.epochs", "epochs of classifier training"),
  o(
    "supervision",
    "string",
    "classifier.supervision",
    "classifier labels: crops placed and labelled from voxel masks, or image-level (MIL on volumes)",
    ["crops", "image-level"],
  ),
  o("classifier-backend", "string", "classifier.backend", "tfjs backend of the classifier", BACKEND_NAMES),
  o(
    "scorer-runtime",
    "string",
    "classifier.runtime",
    "what scores windows in rollouts and eval; onnx: ~10x faster, needs --allow-ffi",
    SCORER_RUNTIMES,
  ),
  o(
    "intensity-window",
    "window",
    "classifier.intensityWindow",
    "intensity window lo,hi (HU; z units with --intensity zscore*) of classifier and policy, or none",
  ),
  o(
    "backend",
    "string",
    "backend",
    "tfjs backend of the policy (PPO updates; rollouts with --policy-runtime tfjs)",
    BACKEND_NAMES,
  ),
  o(
    "policy-runtime",
    "string",
    "policyRuntime",
    "what runs the policy in rollouts; onnx: re-exported after each update, needs --allow-ffi",
    SCORER_RUNTIMES,
  ),
  o("#", "string", "", "Game"),
  o("window", "vec3", "env.window", "window size z,y,x in voxels"),
  o("stride", "int", "env.stride", "move length in voxels"),
  o("tau", "number", "env.tau", "termination threshold on a window's score (see --tau-quantile)"),
  o(
    "tau-quantile",
    "quantile",
    "calibration.tauQuantile",
    "tau = this quantile of classifier scores on tumour-free validation windows, or none (fixed --tau)",
  ),
  o("calibration-windows", "int", "calibration.windowsPerCase", "windows scored per tumour-free volume"),
  o("termination", "string", "env.termination", "end episodes at tau, or never (fixed horizon)", [
    "tau",
    "none",
  ]),
  o("max-steps", "int", "env.maxSteps", "step limit (truncation)"),
  o("reward", "string", "env.reward", "reward scheme", REWARD_SCHEMES),
  o("shaping-weight", "number", "env.shapingWeight", "own-score weight of adversarial+score"),
  o("ties", "string", "env.ties", "who wins a tie of the adversarial scheme", ["zero", "a", "b"]),
  o(
    "termination-bonus",
    "number",
    "env.terminationBonus",
    "reward added to an agent whose window reaches tau",
  ),
  o("observation", "string", "env.observation", "observation mode", OBSERVATION_MODES),
  o(
    "observation-shape",
    "vec3",
    "env.observationShape",
    "observation shape z,y,x (the window is resampled to it)",
  ),
  o("start", "string", "env.start", "start corner rule", ["center", "random"]),
  o("map-mode", "string", "env.mapMode", "probability map accumulation", MAP_MODES),
  o(
    "score-cache-entries",
    "int",
    "env.scoreCacheEntries",
    "most window scores cached (least recently used evicted)",
  ),
  o("#", "string", "", "PPO"),
  o("learning-rate", "number", "ppo.learningRate", "Adam learning rate"),
  o("anneal-lr", "bool", "ppo.annealLearningRate", "anneal the learning rate linearly to 0"),
  o("num-steps", "int", "ppo.numSteps", "env steps per game per rollout (SB3 n_steps)"),
  o("minibatch-size", "int", "ppo.minibatchSize", "transitions per minibatch (SB3 batch_size)"),
  o("update-epochs", "int", "ppo.updateEpochs", "epochs per rollout (SB3 n_epochs)"),
  o("gamma", "number", "ppo.gamma", "discount"),
  o("gae-lambda", "number", "ppo.gaeLambda", "GAE lambda"),
  o("norm-adv", "bool", "ppo.normalizeAdvantages", "normalise advantages per minibatch"),
  o("clip-coef", "number", "ppo.clipCoef", "surrogate clipping coefficient"),
  o("clip-vloss", "bool", "ppo.clipValueLoss", "clip the value loss around the old values"),
  o("ent-coef", "number", "ppo.entCoef", "entropy bonus coefficient"),
  o("vf-coef", "number", "ppo.vfCoef", "value loss coefficient"),
  o(
    "vloss-half",
    "bool",
    "ppo.valueLossHalf",
    "value loss 0.5*MSE before vf-coef (CleanRL) instead of MSE (SB3)",
  ),
  o("max-grad-norm", "number", "ppo.maxGradNorm", "global gradient-norm clip"),
  o("target-kl", "kl", "ppo.targetKl", "stop an update's epochs above this approx KL, or none"),
  o("adam-eps", "number", "ppo.adamEpsilon", "Adam epsilon"),
  o("#", "string", "", "Policy network"),
  o("conv-channels", "list", "network.convChannels", "channels of the convolutions"),
  o("kernel-size", "int", "network.kernelSize", "cubic kernel size"),
  o("downsample", "string", "network.downsample", "stride-2 convolutions or max pooling", ["stride", "pool"]),
  o("hidden", "int", "network.hiddenUnits", "hidden dense units"),
  o("shared-trunk", "bool", "network.sharedTrunk", "policy and value share the trunk"),
  o("#", "string", "", "Self-play"),
  o(
    "competitor-update-every",
    "every",
    "selfPlay.competitorUpdateEvery",
    "updates between opponent refreshes, or auto (about 8 refreshes per run)",
  ),
  o("pool-window", "int", "selfPlay.pool.window", "snapshots kept in the opponent pool"),
  o("opponent-rule", "string", "selfPlay.pool.rule", "how the opponent is drawn", OPPONENT_RULES),
  o(
    "latest-ratio",
    "number",
    "selfPlay.pool.latestRatio",
    "probability of the newest snapshot whatever the rule",
  ),
  o("pfsp-mean", "number", "selfPlay.pool.pfspMean", "PFSP mean distance from the newest snapshot"),
  o("pfsp-sd", "number", "selfPlay.pool.pfspSd", "PFSP standard deviation (snapshots)"),
  o("train-both-sides", "bool", "selfPlay.trainBothSides", "also learn from the opponent's transitions"),
  o("#", "string", "", "Run"),
  o("num-envs", "int", "numEnvs", "parallel games"),
  o("total-steps", "int", "totalSteps", "env steps in all (updates = total / (num-envs x num-steps))"),
  o("seed", "int", "seed", "seed of everything"),
  o("checkpoint-every", "int", "checkpointEvery", "updates between checkpoints (and env-reset segments)"),
  o("keep-checkpoints", "int", "keepCheckpoints", "checkpoints kept"),
  o("eval", "bool", "evaluate", "evaluate on the test split when training ends"),
  o("eval-limit", "int", "evalLimit", "evaluate only the first N test cases"),
  o("eval-gate", "gate", "evalGate", "presence gate of the evaluation: 0 = off, a score, or auto (val)"),
];

/** Options a `--resume` may change (everything else comes from the run's config.json). */
export const RESUME_OPTIONS: readonly string[] = [
  "total-steps",
  "backend",
  "classifier-backend",
  "scorer-runtime",
  "policy-runtime",
  "eval",
  "eval-limit",
  "eval-gate",
];

function getPath(config: unknown, path: string): unknown {
  return path.split(".").reduce((v, k) => (v as Record<string, unknown>)?.[k], config);
}

function setPath(config: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = config;
  for (const k of keys.slice(0, -1)) {
    node[k] = { ...(node[k] as Record<string, unknown>) };
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

function show(value: unknown, kind: OptionKind): string {
  if (value === null) return "none";
  if (Array.isArray(value)) return value.join(kind === "vec3" ? "x" : ",");
  return String(value);
}

/** The `--help` text, with the default of every option (and the paper preset's where it differs). */
export function trainHelp(): string {
  const lines = [
    "deno task train [options]",
    "",
    "Trains SPARS agents end to end: data -> presence classifier (crops labelled from voxel masks) ->",
    "self-play PPO -> evaluation (eval/) on the test split. With no options: the embedded phantoms,",
    "a few minutes on a 2-core CPU. Everything goes into the run folder, printed at the end.",
    "",
    "Control:",
    "  --env GAME                  spars | patch | pixel [spars]: patch runs deno task train:patch and",
    "                              pixel deno task train:pixel with the other arguments (their --help)",
    "  --preset NAME               default | paper (SPARS settings: 24x48x48, stride 4, tau 0.3, batch 8,",
    "                              competitor update 32, 10,000 iterations of 32 steps) [default]",
    "  --run DIR                   run folder [runs/train-<date>-<time>]",
    "  --force                     replace a run folder this command wrote (never other folders)",
    "  --resume DIR                continue a run from its last checkpoint; only these may change:",
    `                              ${RESUME_OPTIONS.map((n) => `--${n}`).join(", ")}`,
    "                              (--total-steps keeps the learning-rate schedule of the run's original",
    "                              total: a shorter run ends above lr 0, an annealed run cannot be extended)",
    "  --help                      this text",
  ];
  for (const spec of OPTION_SPECS) {
    if (spec.name === "#") {
      lines.push("", `${spec.help}:`);
      continue;
    }
    const flag = spec.kind === "bool" ? `--[no-]${spec.name}` : `--${spec.name} ${kindHint(spec)}`;
    const def = show(getPath(PRESETS.default, spec.path), spec.kind);
    const paper = show(getPath(PRESETS.paper, spec.path), spec.kind);
    const choices = spec.choices ? ` (${spec.choices.join(" | ")})` : "";
    const defaults = paper === def ? `[${def}]` : `[${def}; paper ${paper}]`;
    lines.push(`  ${flag.padEnd(27)} ${spec.help}${choices} ${defaults}`);
  }
  return lines.join("\n") + "\n";
}

/** What the CLI asked for. */
export type TrainRequest =
  | { readonly kind: "help" }
  | { readonly kind: "train"; readonly config: TrainConfig; readonly force: boolean }
  | { readonly kind: "resume"; readonly run: string; readonly overrides: Partial<Record<string, unknown>> };

/**
 * Parses the CLI arguments.
 * @param args arguments without the program name
 * @param defaultRun the run folder used when `--run` is absent
 * @throws {UsageError} on an unknown option, a bad value, or options a resume cannot change
 */
export function parseTrainArgs(args: readonly string[], defaultRun: string): TrainRequest {
  const options: Record<string, { type: "string" | "boolean" }> = {
    help: { type: "boolean" },
    preset: { type: "string" },
    run: { type: "string" },
    force: { type: "boolean" },
    resume: { type: "string" },
  };
  for (const spec of OPTION_SPECS) {
    if (spec.name !== "#") options[spec.name] = { type: spec.kind === "bool" ? "boolean" : "string" };
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: joinNegativeValues(args, valueOptionNames(options)),
      options,
      strict: true,
      allowPositionals: false,
      allowNegative: true,
    }));
  } catch (e) {
    throw new UsageError("arguments", (e as Error).message, "options listed by --help");
  }
  if (values.help) return { kind: "help" };
  const given = OPTION_SPECS.filter((s) => s.name !== "#" && values[s.name] !== undefined);
  const valueOf = (
    s: OptionSpec,
  ) => (s.kind === "bool" ? values[s.name] : parseValue(s, values[s.name] as string));
  if (values.resume !== undefined) {
    const extra = [
      ...given.filter((s) => !RESUME_OPTIONS.includes(s.name)).map((s) => s.name),
      ...(
        ["preset", "run", "force"].filter((k) => values[k] !== undefined)
      ),
    ];
    if (extra.length) {
      throw new UsageError(
        "--resume",
        `cannot change ${extra.map((n) => `--${n}`).join(", ")} (they come from the run's config.json)`,
        `only ${RESUME_OPTIONS.map((n) => `--${n}`).join(", ")}`,
      );
    }
    return {
      kind: "resume",
      run: values.resume as string,
      overrides: Object.fromEntries(given.map((s) => [s.path, valueOf(s)])),
    };
  }
  const presetName = (values.preset ?? "default") as string;
  if (!(presetName in PRESETS)) throw new UsageError("--preset", `is "${presetName}"`, "default | paper");
  const config = structuredClone({
    ...PRESETS[presetName as PresetName],
    run: (values.run as string) ?? defaultRun,
  });
  for (const spec of given) setPath(config as unknown as Record<string, unknown>, spec.path, valueOf(spec));
  applyDataOptions(config, new Set(given.map((s) => s.name)));
  return { kind: "train", config, force: values.force === true };
}

/** Applies `--resume` overrides (config paths to values) to a stored config. */
export function applyOverrides(
  config: TrainConfig,
  overrides: Partial<Record<string, unknown>>,
): TrainConfig {
  const out = structuredClone(config);
  for (const [path, value] of Object.entries(overrides)) {
    setPath(out as unknown as Record<string, unknown>, path, value);
  }
  return out;
}
