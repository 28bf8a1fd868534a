/**
 * The configuration of `deno task train`: the type `config.json` holds, the defaults and the
 * presets (`default`, `paper`). The CLI options that set it are in `train_options.ts`.
 *
 * `config.json` keeps the sections `data`, `env`, `seed` in the shape `eval/run_eval.ts` reads.
 *
 * @module
 */
import type { IntensityMode } from "../data/intensity_options.ts";
import type { Vec3 } from "../data/types.ts";
import { DEFAULT_SCORE_CACHE_ENTRIES } from "../env/cached_scorer.ts";
import type { StartRule } from "../env/geometry.ts";
import type { ObservationMode } from "../env/observation.ts";
import type { MapMode } from "../env/probability_map.ts";
import type { RewardSchemeName, TieRule } from "../env/rewards.ts";
import type { BackendName } from "../models/backend.ts";
import { DEFAULT_POOL_OPTIONS, type OpponentPoolOptions } from "../agents/opponent_pool.ts";
import { DEFAULT_POLICY_ARCHITECTURE } from "../agents/policy_network.ts";
import { DEFAULT_PPO_OPTIONS, PAPER_PPO_OPTIONS, type PpoOptions } from "../agents/ppo.ts";

/**
 * What runs the classifier when it scores windows: `tfjs` (the model itself, on
 * `classifier.backend`) or `onnx` (the model exported to ONNX and run by onnxruntime, about 10x
 * faster per window, scores equal within 1e-4; needs Deno's `--allow-ffi`).
 */
export type ScorerRuntime = "tfjs" | "onnx";

/** The values of {@link ScorerRuntime}, in help order. */
export const SCORER_RUNTIMES: readonly ScorerRuntime[] = ["tfjs", "onnx"];

/** Everything one training run is made of (written to `config.json`). */
export interface TrainConfig {
  /** The preset the options started from. */
  preset: PresetName;
  /** The run folder. */
  run: string;
  /**
   * Data: `spec` is `phantoms` or a dataset folder; phantom count, seed (also the split seed), shape,
   * tumours per positive case [min, max], tumour radius range in mm, split fractions
   * [train, val, test]; target labels. Configs written before a field existed read as the old value.
   */
  data: {
    spec: string;
    count: number;
    seed: number;
    shape: Vec3;
    tumours: [number, number];
    tumourRadiusMm: [number, number];
    fractions: [number, number, number];
    target: number[] | null;
    /** A k-fold split instead of `fractions` (`--fold I/K`), or null (older configs: absent). */
    folds?: { k: number; fold: number } | null;
    /** Modalities read as channels (`--channels`), or null (one image per case; older configs). */
    channels?: string[] | null;
    /** Per-case intensity normalisation (`--intensity`; absent in older configs: window, no clip). */
    intensity?: { mode: IntensityMode; clipPercentiles: [number, number] | null };
  };
  /** `classifier` (weak supervision) or `oracle` (scores from VOXEL LABELS: debugging only). */
  scorer: "classifier" | "oracle";
  /**
   * Classifier: a checkpoint to reuse (copied into the run) or training settings; `runtime` scores
   * the windows of rollouts and evaluation (absent in configs written before it existed: `tfjs`).
   */
  classifier: {
    checkpoint: string | null;
    epochs: number;
    backend: BackendName;
    runtime: ScorerRuntime;
    intensityWindow: [number, number] | null;
    /**
     * What the classifier trains on: `crops` (crops placed and labelled from the voxel masks:
     * supervision level "crops labelled from voxel masks"), or `image-level` (multiple-instance
     * learning on whole volumes with only their presence label; train/classifier_mil.ts). Absent
     * in older configs: crops.
     */
    supervision?: "crops" | "image-level";
  };
  /**
   * tfjs backend of the policy. Default `wasm` (with this package's conv3d kernels: the fastest
   * CPU backend, equal to `cpu` within 1e-4; tests/policy_wasm_test.ts).
   */
  backend: BackendName;
  /**
   * What runs the policy's forward passes in rollouts: `onnx` (default: the network exported to
   * onnxruntime after every update, equal to tfjs within 1e-4, 2-4x faster at rollout batch sizes;
   * needs Deno's `--allow-ffi`) or `tfjs` (on `backend`). PPO updates always run on `backend`.
   * Absent in configs written before it existed: `tfjs`.
   */
  policyRuntime: ScorerRuntime;
  /** Game options. */
  env: {
    window: Vec3;
    stride: number;
    tau: number;
    termination: "tau" | "none";
    maxSteps: number;
    reward: RewardSchemeName;
    ties: TieRule;
    shapingWeight: number;
    terminationBonus: number;
    observation: ObservationMode;
    observationShape: Vec3;
    start: StartRule;
    mapMode: MapMode;
    /** Bound of the score cache (LRU); absent in configs written before it existed: the default. */
    scoreCacheEntries: number;
  };
  /**
   * Termination-threshold inference (eval/tau_calibration.ts): with `tauQuantile`, tau is the
   * quantile of the classifier's scores on `windowsPerCase` windows of each tumour-free validation
   * volume (image-level labels only), replacing `env.tau` for training and evaluation; null keeps
   * `env.tau`. Ignored with the oracle scorer.
   */
  calibration: { tauQuantile: number | null; windowsPerCase: number };
  /** PPO hyper-parameters. */
  ppo: PpoOptions;
  /** Policy network (observation shape and channels come from `env`). */
  network: {
    convChannels: number[];
    kernelSize: number;
    downsample: "stride" | "pool";
    hiddenUnits: number;
    sharedTrunk: boolean;
  };
  /** Self-play. */
  selfPlay: { competitorUpdateEvery: number | "auto"; pool: OpponentPoolOptions; trainBothSides: boolean };
  /** Parallel games. */
  numEnvs: number;
  /** Env steps in all. */
  totalSteps: number;
  /** Seed of everything. */
  seed: number;
  /** Updates between checkpoints. */
  checkpointEvery: number;
  /** Checkpoints kept. */
  keepCheckpoints: number;
  /** Run the evaluation (eval/) when training ends. */
  evaluate: boolean;
  /** Evaluate only the first N test cases (null: all). */
  evalLimit: number | null;
  /**
   * Presence gate of the evaluation (eval/presence_gate.ts): 0 = off (default: the Dice table is
   * over cases with a target, where a gate can only empty masks), a score in (0, 1], or `"auto"`
   * (chosen on the validation split, tumour-free cases counting 1 for an empty mask).
   */
  evalGate?: number | "auto";
}

/** Preset names. */
export type PresetName = "default" | "paper";

const DEFAULT_CONFIG: Omit<TrainConfig, "run"> = {
  preset: "default",
  data: {
    spec: "phantoms",
    count: 72,
    seed: 0,
    shape: [48, 96, 96],
    tumours: [1, 3],
    tumourRadiusMm: [10, 20],
    fractions: [0.5, 0.25, 0.25],
    target: null,
    folds: null,
    channels: null,
    intensity: { mode: "window", clipPercentiles: null },
  },
  scorer: "classifier",
  classifier: {
    checkpoint: null,
    epochs: 4,
    backend: "wasm",
    runtime: "onnx",
    intensityWindow: [-50, 150],
    supervision: "crops",
  },
  backend: "wasm",
  policyRuntime: "onnx",
  env: {
    window: [12, 24, 24],
    stride: 4,
    tau: 0.3,
    termination: "none",
    maxSteps: 32,
    reward: "novelty",
    ties: "zero",
    shapingWeight: 1,
    terminationBonus: 0,
    observation: "window+context",
    observationShape: [8, 16, 16],
    start: "random",
    mapMode: "distinct",
    scoreCacheEntries: DEFAULT_SCORE_CACHE_ENTRIES,
  },
  calibration: { tauQuantile: 0.99, windowsPerCase: 256 },
  ppo: { ...DEFAULT_PPO_OPTIONS, learningRate: 1e-3 },
  network: {
    convChannels: [...DEFAULT_POLICY_ARCHITECTURE.convChannels],
    kernelSize: DEFAULT_POLICY_ARCHITECTURE.kernelSize,
    downsample: DEFAULT_POLICY_ARCHITECTURE.downsample,
    hiddenUnits: DEFAULT_POLICY_ARCHITECTURE.hiddenUnits,
    sharedTrunk: DEFAULT_POLICY_ARCHITECTURE.sharedTrunk,
  },
  selfPlay: { competitorUpdateEvery: "auto", pool: DEFAULT_POOL_OPTIONS, trainBothSides: false },
  numEnvs: 8,
  totalSteps: 8 * 32 * 256,
  seed: 0,
  checkpointEvery: 4,
  keepCheckpoints: 2,
  evaluate: true,
  evalLimit: null,
  evalGate: 0,
};

/**
 * The presets. `default`: the phantom benchmark sized for a 2-core CPU (about 5 minutes): 72
 * phantoms of 48x96x96 voxels (1-3 tumours of 10-20 mm radius; split 36/18/18), windows of 12x24x24
 * (1/4 of the volume per axis, ~2x the median tumour volume: the scale at which a window map can
 * segment), random starts, a fixed horizon of 32 steps, the map-tied `novelty` reward, the `distinct`
 * probability map, observations of the window with its context (`window+context`), tau calibrated as the 0.99 quantile of tumour-free validation windows, 65,536 env
 * steps. `paper`: the SPARS reference's
 * settings (window 24x48x48, stride 4, tau 0.3, ties to the learner, adversarial reward, centre
 * start, termination at tau, one game, SB3 PPO with n_steps 32, batch 8, 1 epoch, no entropy bonus,
 * no LR annealing, no value clipping; the competitor is the latest learner copy every 32 updates;
 * 10,000 iterations = 320,000 steps) on 180x256x256 phantoms, so that the window is the same 0.47%
 * of the volume as the reference's 48x48x24 window in its 256x256x180 frame.
 */
export const PRESETS: Readonly<Record<PresetName, Omit<TrainConfig, "run">>> = {
  default: DEFAULT_CONFIG,
  paper: {
    ...DEFAULT_CONFIG,
    preset: "paper",
    data: { ...DEFAULT_CONFIG.data, shape: [180, 256, 256], count: 32, fractions: [0.75, 0.125, 0.125] },
    classifier: { ...DEFAULT_CONFIG.classifier, epochs: 32 },
    env: {
      ...DEFAULT_CONFIG.env,
      window: [24, 48, 48],
      observation: "window",
      observationShape: [12, 24, 24],
      start: "center",
      stride: 4,
      tau: 0.3,
      termination: "tau",
      maxSteps: 128,
      reward: "adversarial",
      ties: "a",
      mapMode: "sum",
    },
    calibration: { tauQuantile: null, windowsPerCase: 256 },
    ppo: PAPER_PPO_OPTIONS,
    selfPlay: {
      competitorUpdateEvery: 32,
      pool: { ...DEFAULT_POOL_OPTIONS, rule: "latest", latestRatio: 1 },
      trainBothSides: false,
    },
    numEnvs: 1,
    totalSteps: 320_000,
    checkpointEvery: 100,
  },
};
