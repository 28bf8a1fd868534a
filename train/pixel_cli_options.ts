/**
 * The options of `deno task train:pixel` (train/pixel_cli.ts): the help text, the parser and the run
 * configuration it yields. Every option is validated here, before anything is written.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { joinNegativeValues } from "../data/cli_args.ts";
import { SparsGymError } from "../data/errors.ts";
import { BACKEND_NAMES, type BackendName } from "../models/backend.ts";
import { PIXEL_NETWORK_PRESETS } from "../models/pixel_network.ts";
import { DEFAULT_PIXEL_A2C_OPTIONS, resolvePixelA2cOptions } from "../agents/pixel_a2c.ts";
import { defaultRunDir } from "./run_folder.ts";
import { PIXEL_SUPERVISION } from "../eval/pixel_eval.ts";
import { FCN_MASK_STATES, type FcnMaskStates } from "./pixel_train.ts";

/** The supervision level of every pixel-game result: its rewards read the voxel labels. */
export const SUPERVISION: string = PIXEL_SUPERVISION;

/** The named settings of `--preset` (given options override them). */
export type PixelPresetName = "paper" | "refine";

/**
 * `--preset` values, as command-line strings (booleans: flags set). `paper`: the paper's actor-critic
 * from random init (the defaults). `refine`: the measured recipe of README's visited-state table: the
 * cross-entropy FCN (600 steps at lr 0.01), the warm start on its visited states, then the heads and
 * the reward kernel trained with the trunk frozen, lr 1e-3, no entropy bonus, 8 epochs, no wall-clock cap.
 */
export const PIXEL_PRESETS: Readonly<Record<PixelPresetName, Readonly<Record<string, string | boolean>>>> = {
  paper: {},
  refine: {
    "fcn-steps": "600",
    "fcn-seconds": "100000",
    "fcn-lr": "0.01",
    "warm-start": true,
    "freeze-trunk": true,
    lr: "0.001",
    "ent-coef": "0",
    epochs: "8",
    "max-seconds": "100000",
  },
};

/** The `--help` text. */
export const HELP = `deno task train:pixel [options]

Pixel-level actor-critic (PixelDRL-MG; synchronous batched PA3C) on 2D slices through the target:
seeded phantoms (default) or a dataset folder (--data). Rewards read voxel labels: every result is
"${SUPERVISION}".

  --run DIR            run folder (default runs/pixel-<date>-<time>; must not exist)
  --preset NAME        paper (default: the paper's actor-critic from random init) | refine (the FCN,
                       its warm start on visited states, then heads-only RL: --fcn-steps 600
                       --fcn-seconds 100000 --fcn-lr 0.01 --warm-start --freeze-trunk --lr 0.001
                       --ent-coef 0 --epochs 8 --max-seconds 100000); options given override it
  --data DIR           dataset folder (e.g. ../shared/data/real/brats2018): axial slices through the
                       target of every case, split 70/15/15 by case (default: phantoms); a folder of
                       2D JPEG slices images/N.jpg + masks/N.jpg (../shared/data/real/liver_tumour_2d:
                       every slice holds tumour) is read as it is, split by patient
  --channel NAME       modality of per-case folders, <case>/<case>_NAME.nii.gz (default flair; --data;
                       refused for JPEG slices)
  --target LIST        label values of the target (default 2 for phantoms, 1,2,4 with --data: BraTS
                       whole tumour; 1 for JPEG slices: mask >= 128)
  --slice-every N      with --data: every N-th slice through the target, per case (default 1)
  --count N            phantoms, one slice each (default 40; split 70/15/15)
  --data-seed N        phantom and split seed (default 0)
  --size N             slice size y = x (default 64; phantoms N/2 x N x N; --data slices resampled)
  --network NAME       small | paper (default small; paper = half-channel dilated VGG16 + attention)
  --epochs N           passes over the training slices (default 200, the paper's; --max-seconds caps)
  --max-seconds S      actor-critic wall-clock budget (default 120; with the FCN ~3 min in all)
  --seed N             network, sampling and batch-order seed (default 0)
  --backend NAME       ${BACKEND_NAMES.join(" | ")} (default wasm)
  --lr X               Adam learning rate (default ${DEFAULT_PIXEL_A2C_OPTIONS.learningRate})
  --gamma X            discount (default ${DEFAULT_PIXEL_A2C_OPTIONS.gamma})
  --t-max N            steps per episode (default ${DEFAULT_PIXEL_A2C_OPTIONS.tMax})
  --batch N            episodes per update (default ${DEFAULT_PIXEL_A2C_OPTIONS.batchSize})
  --ent-coef X         entropy bonus (default ${DEFAULT_PIXEL_A2C_OPTIONS.entCoef})
  --fcn-seconds S      budget of the cross-entropy FCN baseline, same network (default 60; 0 = none)
  --fcn-lr X           its Adam learning rate (default 0.001)
  --fcn-steps N        also stop the FCN after N Adam steps (default: none, --fcn-seconds only); a
                       step count makes runs comparable across machine loads
  --fcn-mask-states K  the mask channels the FCN trains on: start (default: the all-foreground start
                       state), random (half the samples pixel noise) or visited (half the samples the
                       states its own greedy rollouts reach)
  --warm-start         start the actor-critic from the FCN baseline fine-tuned on the states its own
                       greedy rollouts visit (default: random init); eval.md then adds the warm start
                       alone and the FCN given the same extra steps on start states
  --warm-steps N       those fine-tuning steps (default 200; 0 = the FCN's weights as they are)
  --warm-lr X          their Adam learning rate (default 0.001)
  --freeze-trunk       train only the policy and value heads (and the reward kernel), keeping the
                       shared trunk fixed (default off: the paper trains all); with --warm-start this
                       keeps the FCN's features from being rewritten by the untrained value head
  --help               this text
`;

const STRING_OPTIONS = [
  "run",
  "preset",
  "data",
  "channel",
  "target",
  "slice-every",
  "count",
  "data-seed",
  "size",
  "network",
  "epochs",
  "max-seconds",
  "seed",
  "backend",
  "lr",
  "gamma",
  "t-max",
  "batch",
  "ent-coef",
  "fcn-seconds",
  "fcn-lr",
  "fcn-steps",
  "fcn-mask-states",
  "warm-steps",
  "warm-lr",
];

/** Thrown for a bad command line (exit code 2). */
export class PixelCliError extends SparsGymError {}

/** The validated configuration written to `config.json`. */
export interface PixelRunConfig {
  /** The `--preset` the other fields started from. */
  readonly preset: PixelPresetName;
  /** Data. */
  readonly data: {
    /** Dataset folder, or null for phantoms. */
    dir: string | null;
    /** Modality read from `dir`'s per-case folders. */
    channel: string;
    /** Every N-th slice through the target (`dir` only). */
    sliceEvery: number;
    count: number;
    seed: number;
    shape: [number, number, number];
    target: number[];
  };
  /** Network preset. */
  readonly network: "small" | "paper";
  /** Actor-critic options. */
  readonly a2c: ReturnType<typeof resolvePixelA2cOptions>;
  /** Training. */
  readonly train: { epochs: number; maxSeconds: number; seed: number; backend: BackendName };
  /** Cross-entropy FCN baseline (same network) and whether it warm-starts the actor-critic. */
  readonly fcn: {
    maxSeconds: number;
    maxSteps: number | null;
    learningRate: number;
    warmStart: boolean;
    maskStates: FcnMaskStates;
    warmSteps: number;
    warmLearningRate: number;
  };
  /** Supervision of every result. */
  readonly supervision: string;
}

function int(name: string, v: string | undefined, def: number, min: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= min)) {
    throw new PixelCliError(`--${name}`, `is "${v}"`, `an integer >= ${min}`);
  }
  return n;
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new PixelCliError(`--${name}`, `is "${v}"`, "a finite number");
  return n;
}

function maskStatesOf(v: string | undefined): FcnMaskStates {
  if (v === undefined) return "start";
  if (!(FCN_MASK_STATES as readonly string[]).includes(v)) {
    throw new PixelCliError("--fcn-mask-states", `is "${v}"`, FCN_MASK_STATES.join(" | "));
  }
  return v as FcnMaskStates;
}

function targetList(v: string | undefined, def: number[]): number[] {
  if (v === undefined) return def;
  const t = v.split(",").map(Number);
  if (!t.every((x) => Number.isInteger(x) && x >= 1 && x <= 255)) {
    throw new PixelCliError("--target", `is "${v}"`, "comma-separated label values 1..255");
  }
  return t;
}

/**
 * Parses and validates the command line (nothing is written).
 * @throws {PixelCliError} or {@link InvalidArgumentError} for a bad option
 */
export function parsePixelArgs(args: string[]): { config: PixelRunConfig; run: string } | "help" {
  const { values: given } = parseArgs({
    args: joinNegativeValues(args, STRING_OPTIONS),
    strict: true,
    options: {
      ...Object.fromEntries(STRING_OPTIONS.map((k) => [k, { type: "string" as const }])),
      help: { type: "boolean" as const },
      "warm-start": { type: "boolean" as const },
      "freeze-trunk": { type: "boolean" as const },
    },
  }) as unknown as {
    values: Record<string, string | undefined> & {
      help?: boolean;
      "warm-start"?: boolean;
      "freeze-trunk"?: boolean;
    };
  };
  if (given.help) return "help";
  const preset = (given.preset ?? "paper") as PixelPresetName;
  if (!(preset in PIXEL_PRESETS)) {
    throw new PixelCliError("--preset", `is "${preset}"`, Object.keys(PIXEL_PRESETS).join(" | "));
  }
  const v = { ...PIXEL_PRESETS[preset], ...given } as typeof given;
  const size = int("size", v.size, 64, 16);
  const network = (v.network ?? "small") as "small" | "paper";
  if (!(network in PIXEL_NETWORK_PRESETS)) {
    throw new PixelCliError("--network", `is "${network}"`, "small or paper");
  }
  const backend = (v.backend ?? "wasm") as BackendName;
  if (!BACKEND_NAMES.includes(backend)) {
    throw new PixelCliError("--backend", `is "${backend}"`, BACKEND_NAMES.join(" | "));
  }
  const partial = {
    learningRate: num("lr", v.lr),
    gamma: num("gamma", v.gamma),
    tMax: v["t-max"] === undefined ? undefined : int("t-max", v["t-max"], 10, 1),
    batchSize: v.batch === undefined ? undefined : int("batch", v.batch, 2, 1),
    entCoef: num("ent-coef", v["ent-coef"]),
    freezeTrunk: v["freeze-trunk"],
  };
  const a2c = resolvePixelA2cOptions(
    Object.fromEntries(Object.entries(partial).filter(([, x]) => x !== undefined)),
  );
  const maxSeconds = num("max-seconds", v["max-seconds"]) ?? 120;
  if (!(maxSeconds > 0)) throw new PixelCliError("--max-seconds", `is ${maxSeconds}`, "> 0");
  const config: PixelRunConfig = {
    preset,
    data: {
      dir: v.data ?? null,
      channel: v.channel ?? "flair",
      sliceEvery: int("slice-every", v["slice-every"], 1, 1),
      count: int("count", v.count, 40, 4),
      seed: int("data-seed", v["data-seed"], 0, 0),
      shape: [Math.max(8, size >> 1), size, size],
      target: targetList(v.target, v.data === undefined ? [2] : [1, 2, 4]),
    },
    network,
    a2c,
    train: { epochs: int("epochs", v.epochs, 200, 1), maxSeconds, seed: int("seed", v.seed, 0, 0), backend },
    fcn: {
      maxSeconds: num("fcn-seconds", v["fcn-seconds"]) ?? 60,
      maxSteps: v["fcn-steps"] === undefined ? null : int("fcn-steps", v["fcn-steps"], 0, 1),
      learningRate: num("fcn-lr", v["fcn-lr"]) ?? 1e-3,
      warmStart: v["warm-start"] ?? false,
      maskStates: maskStatesOf(v["fcn-mask-states"]),
      warmSteps: int("warm-steps", v["warm-steps"], 200, 0),
      warmLearningRate: num("warm-lr", v["warm-lr"]) ?? 1e-3,
    },
    supervision: SUPERVISION,
  };
  if (!(config.fcn.maxSeconds >= 0)) {
    throw new PixelCliError("--fcn-seconds", `is ${config.fcn.maxSeconds}`, ">= 0");
  }
  if (!(config.fcn.learningRate > 0)) {
    throw new PixelCliError("--fcn-lr", `is ${config.fcn.learningRate}`, "> 0");
  }
  for (const flag of ["channel", "slice-every"]) {
    if (v[flag] !== undefined && v.data === undefined) {
      throw new PixelCliError(`--${flag}`, "is given without --data", "--data DIR");
    }
  }
  if (!(config.fcn.warmLearningRate > 0)) {
    throw new PixelCliError("--warm-lr", `is ${config.fcn.warmLearningRate}`, "> 0");
  }
  for (const flag of ["warm-steps", "warm-lr"]) {
    if (v[flag] !== undefined && !config.fcn.warmStart) {
      throw new PixelCliError(`--${flag}`, "is given without --warm-start", "--warm-start");
    }
  }
  if (config.fcn.warmStart && config.fcn.maxSeconds === 0) {
    throw new PixelCliError("--warm-start", "needs the FCN", "--fcn-seconds > 0");
  }
  return { config, run: v.run ?? defaultRunDir("runs", "pixel") };
}
