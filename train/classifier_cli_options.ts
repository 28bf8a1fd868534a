/**
 * The options of `deno task train:classifier`: defaults, the `--help` text, and parsing into a
 * {@link ClassifierCliConfig} (every value checked before the command writes anything).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { joinNegativeValues, valueOptionNames } from "../data/cli_args.ts";
import { parseChannels, parseClipPercentiles, parseFold } from "../data/data_source.ts";
import type { FoldSpec } from "../data/split.ts";
import {
  DEFAULT_INTENSITY,
  INTENSITY_MODES,
  type IntensityMode,
  type IntensityOptions,
  ZSCORE_INTENSITY_WINDOW,
} from "../data/intensity_options.ts";
import type { Vec3 } from "../data/types.ts";
import { BACKEND_NAMES, type BackendName } from "../models/backend.ts";
import { DEFAULT_ARCHITECTURE } from "../models/classifier.ts";
import { DEFAULT_CROP_SCALE, DEFAULT_CROPS } from "../models/classifier_data.ts";
import type { IntensityWindow } from "../models/classifier_input.ts";
import { DEFAULT_SPARS_CONFIG } from "../env/config.ts";
import { MIL_CLI_ARG_SPECS, MIL_CLI_HELP, type MilCliOptions, parseMilCliArgs } from "./classifier_mil.ts";

/** How cases become training samples (see `models/classifier_data.ts`). */
export type SampleMode = "crops" | "tiles" | "images";

/**
 * Option defaults of the CLI (also shown by `--help`), and the recommended classifier training of
 * the pipeline: on the default phantoms they give validation AUC >= 0.97 and window AUC >= 0.98
 * in ~3.5 minutes (see the module note).
 */
export const CLASSIFIER_CLI_DEFAULTS = {
  data: "phantoms",
  backend: "wasm" as BackendName,
  epochs: 8,
  batchSize: 8,
  inputShape: DEFAULT_ARCHITECTURE.inputShape,
  seed: 0,
  learningRate: 1e-3,
  patience: 3,
  phantoms: 120,
  samples: "crops" as SampleMode,
  tileGrid: [2, 2, 2] as Vec3,
  minTargetVoxels: 30,
  /** Crop size: the game's default window. */
  cropSize: DEFAULT_SPARS_CONFIG.window,
  crops: DEFAULT_CROPS,
  cropScale: DEFAULT_CROP_SCALE,
  /**
   * A liver-lesion window (HU): the tumour contrast of -25..-60 HU spans 0.13-0.3 of it, against
   * 0.06-0.13 of the abdominal -200..250 window. Measured (same training otherwise): validation AUC
   * 0.90 -> 0.98 after 8 epochs.
   */
  window: [-50, 150] as IntensityWindow,
  /** Training samples over which batch-norm statistics are recomputed after each epoch (0 = off). */
  recalibration: 256,
  /** No normalisation at load: CT values, windowed by `window`. */
  intensity: DEFAULT_INTENSITY,
};

const D = CLASSIFIER_CLI_DEFAULTS;

/** The `--help` text. */
export const CLASSIFIER_CLI_HELP: string =
  `Train the SPARS object-presence classifier (crops or tiles labelled from voxel masks, or whole images).

Usage: deno task train:classifier [options]

  --data <dir|phantoms>   dataset folder (LiTS, MSD or folder+CSV layout) or "phantoms" (default ${D.data})
  --out <run dir>         run folder to create (default runs/classifier-<date>); an existing one
                          is refused unless --force
  --force                 replace a classifier run folder this command wrote before (never
                          another folder: a file, a folder without its marker, another run)
  --backend <name>        ${BACKEND_NAMES.join(" | ")} (default ${D.backend})
  --epochs <n>            maximum epochs (default ${D.epochs})
  --batch-size <n>        samples per batch (default ${D.batchSize})
  --input-shape <ZxYxX>   network input shape, z,y,x (default ${D.inputShape.join("x")})
  --seed <n>              seed of the split, initialisation, shuffling and augmentation (default ${D.seed})
  --split-seed <n>        seed of the split of a dataset folder alone, as train's --split-seed (default --seed)
  --split <t,v,s>         train,val,test fractions of a dataset folder (default 0.7,0.15,0.15)
  --fold <I/K>            k-fold instead of --split, as train's --fold: fold I of K is test (never read),
                          the next fold val, the rest train
  --learning-rate <x>     Adam learning rate (default ${D.learningRate})
  --patience <n>          early-stopping patience in epochs on validation loss, 0 = off (default ${D.patience})
  --phantoms <n>          number of phantoms with --data phantoms (default ${D.phantoms})
  --samples <mode>        crops | tiles | images (default ${D.samples}):
                          crops: window-sized crops labelled by whether they hold target voxels, the
                            reference implementation's protocol (crops around and away from tumour);
                          tiles: a grid of sub-volumes with derived weak labels;
                          images: whole images with their image-level label (no voxel label is read)
  --crops <a,n,e>         crops per case around target, near it (holding none) and elsewhere
                          (default ${D.crops.around},${D.crops.near},${D.crops.elsewhere})
  --crop-size <ZxYxX>     crop size in voxels, the game's window; also the windows of --supervision
                          image-level (default ${D.cropSize.join("x")})
  --crop-scale <lo,hi>    crops are crop-size times a factor in [lo, hi], for smaller windows
                          (default ${D.cropScale.join(",")})
  --tile-grid <ZxYxX>     tiles per axis in tiles mode (default ${D.tileGrid.join("x")})
  --min-target-voxels <n> a crop or tile is positive with at least this many target voxels; tiles with
                          fewer (but some) are dropped and crops redrawn as ambiguous (default ${D.minTargetVoxels})
  --target <a,b,..>       target label values, e.g. 2 or 1,2,4 (default: the dataset's, printed with
                          its source at start)
  --channels <a,b,..>     modalities of per-case folders (<case>/<case>_<m>.nii.gz, BraTS), e.g.
                          flair or flair,t1ce,t2 (stacked, each normalised on its own; default: one
                          image per case), or of case folders <case>/<m>_image.nii.gz (STS), e.g.
                          CT (the first modality's <m>_mask is the target)
  --intensity <mode>      ${INTENSITY_MODES.join(" | ")} (default ${D.intensity.mode}): per-case
                          normalisation of each channel: window keeps stored values (CT in HU) for
                          --window; zscore-nonzero z-scores over nonzero voxels (skull-stripped MRI);
                          zscore over the whole volume; none keeps values and uses no window
  --intensity-clip-percentiles <lo,hi|none>  clip each case's values (the z-scored ones) to these
                          percentiles first (default none)
  --window <lo,hi|none>   intensity window mapped to [0, 1] (default ${
    D.window!.join(",")
  }, a liver-lesion CT window
                          in HU; ${
    ZSCORE_INTENSITY_WINDOW.join(",")
  } with --intensity zscore*, none with --intensity none)
  --recalibration <n>     training samples over which batch-norm statistics are recomputed after
                          each epoch, 0 = off (default ${D.recalibration})
${MIL_CLI_HELP}
  --help                  show this help

Trains on the "train" split, validates on "val" (the "test" split is never read). Batches are
class-balanced. Crops and tiles need voxel labels (used only to place crops and derive their labels).
The supervision level is printed, stored in the checkpoint (classifier.json "supervision") and in
summary.json: crops -> "crops labelled from voxel masks" (the default: NOT image-level), tiles ->
"tile-level (derived from masks)", images and --supervision image-level -> "image-level".
`;

class UsageError extends Error {}

function parseShape(name: string, text: string): Vec3 {
  const parts = text.split("x").map(Number);
  if (parts.length !== 3 || !parts.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new UsageError(`--${name} must be three positive integers like 24x48x48, got "${text}"`);
  }
  return [parts[0], parts[1], parts[2]];
}

function parseNumber(name: string, text: string | undefined, fallback: number, integer = true): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new UsageError(`--${name} must be ${integer ? "an integer" : "a number"}, got "${text}"`);
  }
  return v;
}

/** The window of `--window`; absent: the CT default, the z-score window, or none, by intensity mode. */
function parseWindow(text: string | undefined, mode: IntensityMode): IntensityWindow {
  if (text === undefined) {
    return mode === "none"
      ? null
      : mode === "window"
      ? D.window
      : [...ZSCORE_INTENSITY_WINDOW] as [number, number];
  }
  if (text === "none") return null;
  const parts = text.split(",").map(Number);
  if (parts.length !== 2 || !parts.every(Number.isFinite) || parts[0] >= parts[1]) {
    throw new UsageError(`--window must be "lo,hi" with lo < hi, or "none", got "${text}"`);
  }
  return [parts[0], parts[1]];
}

function parseTarget(text: string): number[] {
  const values = text.split(",").map((s) => (s.trim() === "" ? NaN : Number(s)));
  if (!values.every((v) => Number.isInteger(v) && v >= 1 && v <= 255)) {
    throw new UsageError(`--target must be label values 1..255 like 2 or 1,2,4, got "${text}"`);
  }
  return values;
}

function parseFractions(text: string): { train: number; val: number; test: number } {
  const p = text.split(",").map((s) => (s.trim() === "" ? NaN : Number(s)));
  if (!(p.length === 3 && p.every((v) => v >= 0 && v <= 1) && Math.abs(p[0] + p[1] + p[2] - 1) < 1e-9)) {
    throw new UsageError(`--split must be three fractions "train,val,test" >= 0 summing to 1, got "${text}"`);
  }
  return { train: p[0], val: p[1], test: p[2] };
}

function parseCrops(text: string | undefined): { around: number; near: number; elsewhere: number } {
  if (text === undefined) return { ...D.crops };
  const parts = text.split(",").map(Number);
  if (
    parts.length !== 3 || !parts.every((v) => Number.isInteger(v) && v >= 0) || parts.every((v) => v === 0)
  ) {
    throw new UsageError(`--crops must be three integers >= 0, not all 0, like 8,4,4, got "${text}"`);
  }
  return { around: parts[0], near: parts[1], elsewhere: parts[2] };
}

function parseCropScale(text: string | undefined): [number, number] {
  if (text === undefined) return [D.cropScale[0], D.cropScale[1]];
  const parts = text.split(",").map(Number);
  if (parts.length !== 2 || !(parts[0] > 0 && parts[0] <= parts[1] && parts[1] <= 1)) {
    throw new UsageError(`--crop-scale must be "lo,hi" with 0 < lo <= hi <= 1, got "${text}"`);
  }
  return [parts[0], parts[1]];
}

/** Options of one CLI run, after parsing (each one's meaning and default: `--help`). */
export interface ClassifierCliConfig {
  /** Dataset folder, or "phantoms". */
  data: string;
  /** Run folder. */
  out: string;
  /** Overwrite an existing run folder. */
  force: boolean;
  /** tfjs backend. */
  backend: BackendName;
  /** Maximum epochs. */
  epochs: number;
  /** Samples per batch. */
  batchSize: number;
  /** Network input shape z,y,x. */
  inputShape: Vec3;
  /** Seed of the split, initialisation, crops, shuffling and augmentation. */
  seed: number;
  /** Adam learning rate. */
  learningRate: number;
  /** Early-stopping patience in epochs (0 = off). */
  patience: number;
  /** Number of phantoms with `data: "phantoms"`. */
  phantoms: number;
  /** How cases become samples. */
  samples: SampleMode;
  /** Tiles per axis z,y,x (tiles mode). */
  tileGrid: Vec3;
  /** Target voxels that make a crop or tile positive. */
  minTargetVoxels: number;
  /** Crop size z,y,x in voxels (crops mode). */
  cropSize: Vec3;
  /** Crops per case around target, near it and elsewhere (crops mode). */
  crops: { around: number; near: number; elsewhere: number };
  /** Range of crop scale factors (crops mode). */
  cropScale: [number, number];
  /** Intensity window mapped to [0, 1], or null. */
  window: IntensityWindow;
  /** Target label values (`--target`), or null for the dataset's default. */
  target: number[] | null;
  /** Seed of a dataset folder's split (`--split-seed`, default `seed`). */
  splitSeed: number;
  /** Split fractions of a dataset folder (`--split`), or null for 0.7/0.15/0.15. */
  fractions: { train: number; val: number; test: number } | null;
  /** A k-fold split instead of fractions (`--fold I/K`), or null. */
  folds: FoldSpec | null;
  /** Modalities read as channels (`--channels`), or null for one image per case. */
  channels: string[] | null;
  /** Per-case intensity normalisation (`--intensity`, `--intensity-clip-percentiles`). */
  intensity: IntensityOptions;
  /** Training samples for the per-epoch batch-norm recalibration (0 = off). */
  recalibration: number;
  /** Multiple-instance training on whole volumes (`--supervision image-level`), or null. */
  mil: MilCliOptions | null;
}

/**
 * Parses CLI arguments into a config (defaults filled in).
 *
 * @returns the config, or "help" when `--help` was given
 * @throws {Error} with a usage message on an unknown option or a bad value
 */
export function parseClassifierCliArgs(args: string[]): ClassifierCliConfig | "help" {
  const options = {
    data: { type: "string" },
    out: { type: "string" },
    force: { type: "boolean" },
    backend: { type: "string" },
    epochs: { type: "string" },
    "batch-size": { type: "string" },
    "input-shape": { type: "string" },
    seed: { type: "string" },
    "learning-rate": { type: "string" },
    patience: { type: "string" },
    phantoms: { type: "string" },
    samples: { type: "string" },
    "tile-grid": { type: "string" },
    "min-target-voxels": { type: "string" },
    crops: { type: "string" },
    "crop-size": { type: "string" },
    "crop-scale": { type: "string" },
    recalibration: { type: "string" },
    window: { type: "string" },
    target: { type: "string" },
    "split-seed": { type: "string" },
    split: { type: "string" },
    fold: { type: "string" },
    channels: { type: "string" },
    intensity: { type: "string" },
    "intensity-clip-percentiles": { type: "string" },
    help: { type: "boolean" },
    ...MIL_CLI_ARG_SPECS,
  } as const;
  const { values } = parseArgs({
    args: joinNegativeValues(args, valueOptionNames(options)),
    strict: true,
    allowPositionals: false,
    options,
  });
  if (values.help) return "help";
  const backend = (values.backend ?? D.backend) as BackendName;
  if (!BACKEND_NAMES.includes(backend)) {
    throw new UsageError(`--backend must be one of ${BACKEND_NAMES.join(", ")}`);
  }
  const samples = (values.samples ?? D.samples) as SampleMode;
  if (samples !== "crops" && samples !== "tiles" && samples !== "images") {
    throw new UsageError(`--samples must be crops, tiles or images`);
  }
  const mode = (values.intensity ?? D.intensity.mode) as IntensityMode;
  if (!INTENSITY_MODES.includes(mode)) {
    throw new UsageError(`--intensity must be one of ${INTENSITY_MODES.join(", ")}, got "${mode}"`);
  }
  const clip = values["intensity-clip-percentiles"];
  const intensity: IntensityOptions = {
    mode,
    clipPercentiles: clip === undefined ? null : parseClipPercentiles(clip),
  };
  const config: ClassifierCliConfig = {
    data: values.data ?? D.data,
    out: values.out ?? `runs/classifier-${new Date().toISOString().replace(/[:.]/g, "-")}`,
    force: values.force ?? false,
    backend,
    epochs: parseNumber("epochs", values.epochs, D.epochs),
    batchSize: parseNumber("batch-size", values["batch-size"], D.batchSize),
    inputShape: values["input-shape"] ? parseShape("input-shape", values["input-shape"]) : D.inputShape,
    seed: parseNumber("seed", values.seed, D.seed),
    learningRate: parseNumber("learning-rate", values["learning-rate"], D.learningRate, false),
    patience: parseNumber("patience", values.patience, D.patience),
    phantoms: parseNumber("phantoms", values.phantoms, D.phantoms),
    samples,
    tileGrid: values["tile-grid"] ? parseShape("tile-grid", values["tile-grid"]) : D.tileGrid,
    minTargetVoxels: parseNumber("min-target-voxels", values["min-target-voxels"], D.minTargetVoxels),
    cropSize: values["crop-size"] ? parseShape("crop-size", values["crop-size"]) : D.cropSize,
    crops: parseCrops(values.crops),
    cropScale: parseCropScale(values["crop-scale"]),
    window: parseWindow(values.window, intensity.mode),
    target: values.target === undefined ? null : parseTarget(values.target),
    splitSeed: parseNumber("split-seed", values["split-seed"], parseNumber("seed", values.seed, D.seed)),
    fractions: values.split === undefined ? null : parseFractions(values.split),
    folds: values.fold === undefined ? null : parseFold(values.fold),
    channels: values.channels === undefined ? null : parseChannels(values.channels),
    intensity,
    recalibration: parseNumber("recalibration", values.recalibration, D.recalibration),
    mil: parseMilCliArgs(values),
  };
  if (config.minTargetVoxels < 1) throw new UsageError("--min-target-voxels must be >= 1");
  if (config.recalibration < 0) throw new UsageError("--recalibration must be >= 0");
  for (
    const [name, v] of [["epochs", config.epochs], ["batch-size", config.batchSize], [
      "phantoms",
      config.phantoms,
    ]]
  ) {
    if ((v as number) < 1) throw new UsageError(`--${name} must be >= 1`);
  }
  if (!(config.learningRate > 0)) throw new UsageError("--learning-rate must be > 0");
  if (mode === "none" && config.window !== null) {
    throw new UsageError(
      `--intensity none keeps stored values and takes no --window, got "${values.window}"`,
    );
  }
  if (config.data === "phantoms" && (config.channels || config.target || config.folds || config.fractions)) {
    throw new UsageError(
      "--channels, --target, --split and --fold apply to a dataset folder, not to --data phantoms",
    );
  }
  if (config.folds && config.fractions) {
    throw new UsageError("--fold and --split are exclusive (k-fold or fractions)");
  }
  return config;
}
