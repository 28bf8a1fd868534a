/**
 * The options of `deno task train:patch` (train/patch_cli.ts): the help text and the parser. Every
 * option is validated here, before anything is written; a bad value throws an
 * {@link InvalidArgumentError} naming its flag.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";
import type { BackendName } from "../models/backend.ts";
import {
  DEFAULT_PATCH_TRAIN_CONFIG,
  PAPER_PATCH_RULES,
  PATCH_NETWORK_KINDS,
  type PatchNetworkKind,
  type PatchTrainConfig,
} from "./patch_train.ts";
import {
  CLASSIFIER_PRESENCE_THRESHOLD,
  DEFAULT_PATCH_CLASSIFIER_CONFIG,
  type PatchClassifierConfig,
} from "./patch_classifier.ts";
import { PATCH_SCORER_KINDS, type PatchScorerKind } from "./patch_scorer.ts";

const D = DEFAULT_PATCH_TRAIN_CONFIG, K = DEFAULT_PATCH_CLASSIFIER_CONFIG;

/** The default intensity range with `--data` (8-bit JPEG grey values). */
export const DATA_INTENSITY_RANGE: readonly [number, number] = [0, 255];

/** The `--help` text. */
export const HELP: string = `deno task train:patch [options]

Self-play PPO on the patch game over several seeds on the embedded 2D phantoms, then the test-split
table (learned vs random vs greedy vs spatial prior; Dice mean and sd over seeds; each row names the
supervision level of what it read).

  --seeds LIST                 seeds, one run each (default 0,1,2)
  --updates N                  PPO updates (default ${D.updates})
  --envs N                     parallel games (default ${D.envs})
  --cases N                    phantoms (default ${D.cases}; split 70/15/15)
  --data DIR                   a folder of 2D slices instead of the phantoms, e.g. the liver-tumour
                               JPEG slices (images/N.jpg + masks/N.jpg), split 70/15/15 by patient
  --shape ZxYxX                phantom shape, or the shape --data slices are resampled to (default
                               ${D.shape.join("x")})
  --intensity-range LO,HI      intensities mapped to [0, 1] for the observation and the classifier
                               (default ${D.intensityRange.join(",")} HU for phantoms, ${
  DATA_INTENSITY_RANGE.join(",")
} with --data: JPEG grey)
  --grid ZxYxX                 patch grid (default ${D.grid.join("x")})
  --observation ZxYxX          observation shape (default ${D.observationShape.join("x")})
  --observe-scores             add an observation channel with each untaken patch's score (what the
                               greedy baseline reads; not in the paper, whose agents see the image)
  --network fcn|dense          fcn (default; one logit per patch from a convolutional trunk over the
                               image and the taken mask) or dense (the window game's network)
  --scorer oracle|classifier   oracle (default; share of tumour voxels read from the voxel labels, an
                               upper bound) or classifier (the presence classifier trained on the
                               training split's patches labelled from the voxel masks: supervision
                               "crops labelled from voxel masks")
  --presence-threshold T       a patch holds the object when its score is > T (default ${D.presenceThreshold}
                               with the oracle, ${CLASSIFIER_PRESENCE_THRESHOLD} with the classifier)
  --termination-weight W       (default ${D.terminationWeight})
  --early-termination-penalty P (default ${D.earlyTerminationPenalty})
  --reward-scale S             learner reward multiplier (default ${D.rewardScale})
  --paper-rules                termination weight 100, early penalty 1, reward scale 0.1 (the paper's
                               rules; explicit flags override them)
  --no-mirror                  play the images as given (default: each case also mirrored in y, x)
  --imitate-steps N            steps imitating the greedy player before PPO (default ${D.imitateSteps})
  --lr X                       PPO Adam learning rate, annealed to 0 (default ${D.ppo.learningRate})
  --ent-coef X                 PPO entropy bonus coefficient (default ${D.ppo.entCoef})
  --backend wasm|cpu           (default wasm)
  --run DIR                    run folder (default runs/patch-<date>-<time>)

Classifier scorer (only with --scorer classifier):
  --classifier-input ZxYxX     network input each patch is resampled to (default ${K.inputShape.join("x")})
  --classifier-channels LIST   conv block channels (default ${K.channels.join(",")})
  --classifier-hidden LIST     hidden dense widths (default ${K.hiddenUnits.join(",")})
  --classifier-epochs N        maximum epochs (default ${K.epochs})
  --classifier-batch N         samples per batch (default ${K.batchSize})
  --classifier-lr X            Adam learning rate (default ${K.learningRate})
  --classifier-patience N      early stopping on validation loss, 0 = never (default ${K.patience})
  --classifier-balanced        class-balanced batches (default off: trained on the natural ratio)
  --classifier-positive-share S  positive patch from this share of tumour voxels; patches with
                               fewer (but some) tumour voxels are dropped (default ${K.positiveShare})
  --classifier-negatives N     negative patches kept per image (default ${K.negativesPerCase})
  --help                       this text`;

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

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

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

const int = (flag: string, v: string | undefined, min = 1): number => {
  const n = Number(v);
  if (!(v !== undefined && v.trim() !== "" && Number.isInteger(n) && n >= min)) {
    throw new InvalidArgumentError(
      flag,
      `is ${v}`,
      min === 1 ? "a positive integer" : `an integer >= ${min}`,
    );
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

const ints = (flag: string, v: string | undefined, example: string): number[] => {
  const g = (v ?? "").split(",").map(Number);
  if (!(v && g.every((n) => Number.isInteger(n) && n >= 1))) {
    throw new InvalidArgumentError(flag, `is ${v}`, `comma-separated positive integers, e.g. ${example}`);
  }
  return g;
};

const share = (flag: string, v: string | undefined, lowOpen: boolean): number => {
  const n = Number(v);
  if (!(v !== undefined && v.trim() !== "" && (lowOpen ? n > 0 : n >= 0) && n <= 1)) {
    throw new InvalidArgumentError(flag, `is ${v}`, lowOpen ? "a number in (0, 1]" : "a number in [0, 1]");
  }
  return n;
};

const interval = (flag: string, v: string | undefined): [number, number] => {
  const g = (v ?? "").split(",").map((x) => x.trim() === "" ? NaN : Number(x));
  if (!(g.length === 2 && g.every(Number.isFinite) && g[0] < g[1])) {
    throw new InvalidArgumentError(flag, `is ${v}`, "LO,HI finite numbers with LO < HI, e.g. 0,255");
  }
  return [g[0], g[1]];
};

/** Parses one `--classifier-*` flag's value into `k`; false when `flag` is not one. */
function classifierFlag(k: Mutable<PatchClassifierConfig>, flag: string, v: string | undefined): boolean {
  if (flag === "--classifier-input") k.inputShape = shape(flag, v, "1x8x8");
  else if (flag === "--classifier-channels") k.channels = ints(flag, v, "16,32,64");
  else if (flag === "--classifier-hidden") k.hiddenUnits = ints(flag, v, "32");
  else if (flag === "--classifier-epochs") k.epochs = int(flag, v);
  else if (flag === "--classifier-batch") k.batchSize = int(flag, v);
  else if (flag === "--classifier-lr") k.learningRate = real(flag, v, true);
  else if (flag === "--classifier-patience") k.patience = int(flag, v, 0);
  else if (flag === "--classifier-positive-share") k.positiveShare = share(flag, v, true);
  else if (flag === "--classifier-negatives") k.negativesPerCase = int(flag, v, 0);
  else return false;
  return true;
}

/**
 * Parses the flags.
 * @returns the arguments, or "help" for `--help` / `-h`
 * @throws {InvalidArgumentError} naming the flag for a bad value, an unknown flag, or a
 *   `--classifier-*` flag without `--scorer classifier`
 */
export function parsePatchArgs(argv: readonly string[]): PatchCliArgs | "help" {
  let seeds = [0, 1, 2], backend: BackendName = "wasm", run: string | undefined;
  let threshold: number | undefined, range: readonly [number, number] | undefined;
  const classifierFlags: string[] = [];
  const k: Mutable<PatchClassifierConfig> = { ...K };
  const c: Mutable<PatchTrainConfig> = {
    ...D,
    ...(argv.includes("--paper-rules") ? PAPER_PATCH_RULES : {}),
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i], v = argv[i + 1];
    if (flag === "--help" || flag === "-h") return "help";
    if (flag === "--paper-rules") continue;
    if (flag === "--no-mirror") {
      c.mirror = false;
      continue;
    }
    if (flag === "--observe-scores") {
      c.observeScores = true;
      continue;
    }
    if (flag === "--classifier-balanced") {
      k.balanceClasses = true;
      classifierFlags.push(flag);
      continue;
    }
    i++;
    if (flag === "--seeds") {
      seeds = (v ?? "").split(",").map((s) => Number(s));
      if (!v || !seeds.every((s) => Number.isInteger(s) && s >= 0)) {
        throw new InvalidArgumentError("--seeds", `is ${v}`, "comma-separated integers >= 0");
      }
    } else if (flag === "--updates") c.updates = int(flag, v);
    else if (flag === "--envs") c.envs = int(flag, v);
    else if (flag === "--cases") c.cases = int(flag, v);
    else if (flag === "--termination-weight") c.terminationWeight = real(flag, v, false);
    else if (flag === "--early-termination-penalty") c.earlyTerminationPenalty = real(flag, v, false);
    else if (flag === "--reward-scale") c.rewardScale = real(flag, v, true);
    else if (flag === "--imitate-steps") c.imitateSteps = int(flag, v, 0);
    else if (flag === "--lr") c.ppo = { ...c.ppo, learningRate: real(flag, v, true) };
    else if (flag === "--ent-coef") c.ppo = { ...c.ppo, entCoef: real(flag, v, false) };
    else if (flag === "--presence-threshold") threshold = share(flag, v, false);
    else if (flag === "--grid") c.grid = shape(flag, v, "1x8x8");
    else if (flag === "--shape") c.shape = shape(flag, v, "1x64x64");
    else if (flag === "--intensity-range") range = interval(flag, v);
    else if (flag === "--data") {
      if (!v || v.startsWith("--")) throw new InvalidArgumentError("--data", `is ${v}`, "a dataset folder");
      c.data = v;
    } else if (flag === "--observation") c.observationShape = shape(flag, v, "1x32x32");
    else if (flag === "--network") {
      if (!PATCH_NETWORK_KINDS.includes(v as PatchNetworkKind)) {
        throw new InvalidArgumentError("--network", `is ${v}`, PATCH_NETWORK_KINDS.join(" or "));
      }
      c.network = v as PatchNetworkKind;
    } else if (flag === "--scorer") {
      if (!PATCH_SCORER_KINDS.includes(v as PatchScorerKind)) {
        throw new InvalidArgumentError("--scorer", `is ${v}`, PATCH_SCORER_KINDS.join(" or "));
      }
      c.scorer = v as PatchScorerKind;
    } else if (flag === "--backend") {
      if (v !== "cpu" && v !== "wasm") throw new InvalidArgumentError("--backend", `is ${v}`, "cpu or wasm");
      backend = v;
    } else if (flag === "--run") {
      if (!v) throw new InvalidArgumentError("--run", "has no value", "a folder");
      run = v;
    } else if (classifierFlag(k, flag, v)) classifierFlags.push(flag);
    else throw new InvalidArgumentError("arguments", `have unknown flag ${flag}`, HELP);
  }
  if (classifierFlags.length && c.scorer !== "classifier") {
    throw new InvalidArgumentError(
      classifierFlags[0],
      `is given with --scorer ${c.scorer}`,
      "--scorer classifier",
    );
  }
  if (c.data !== null && argv.includes("--cases")) {
    throw new InvalidArgumentError(
      "--cases",
      "is given with --data",
      "phantoms (no --data): a folder has its own cases",
    );
  }
  if (!c.grid.every((g, a) => g <= c.shape[a])) {
    throw new InvalidArgumentError(
      "--grid",
      `is ${c.grid.join("x")} for the shape ${c.shape.join("x")}`,
      "at most one patch per voxel along each axis",
    );
  }
  if (!c.observationShape.every((s, a) => s >= c.grid[a])) {
    throw new InvalidArgumentError(
      "--observation",
      `is ${c.observationShape.join("x")} for the grid ${c.grid.join("x")}`,
      "at least one cell per patch along each axis",
    );
  }
  c.classifier = k;
  c.intensityRange = range ?? (c.data === null ? D.intensityRange : DATA_INTENSITY_RANGE);
  c.presenceThreshold = threshold ??
    (c.scorer === "classifier" ? CLASSIFIER_PRESENCE_THRESHOLD : D.presenceThreshold);
  return { seeds, config: c, backend, run };
}
