/**
 * `deno task train:classifier`: trains the presence classifier on a dataset (or the embedded
 * phantoms) and writes a run folder.
 *
 * Defaults (measured on the default phantoms, 2-core CPU, wasm; see `--help`): window-sized crops
 * labelled by whether they hold tumour (the reference implementation's protocol, `--samples crops`),
 * 8 around tumour, 6 near it (holding none) and 2 elsewhere per case, scales 0.5-1 of the 24x48x48
 * window, input 12x24x24, liver-lesion window -50..150 HU, class-balanced batches of 8, Adam 1e-3,
 * batch-norm statistics recomputed after each epoch, at most 8 epochs with patience 3. Seeds 0, 1, 2:
 * validation AUC 0.972, 0.987, 0.992; window AUC on the test split's phantoms (tumour-centred vs
 * tumour-free 24x48x48 windows) 0.999, 0.986, 0.998; 206 s for seed 0 alone on the machine.
 * Image-level training stays available (`--samples images`: no voxel label is read), but on the
 * default phantoms it gave validation AUC 0.80 and a window AUC of 0.25: it does not make a window
 * scorer there. The image-level path that does make one is multiple-instance learning on whole
 * volumes, `--supervision image-level` (`classifier_mil.ts`, `models/mil_training.ts`).
 *
 * Run folder:
 *
 * - `config.json`: every option used (written first, atomically);
 * - `metrics.jsonl`: one JSON line per epoch;
 * - `classifier/`: the checkpoint (`model.json`, `weights.bin`, `classifier.json`) of the epoch
 *   with the lowest validation loss;
 * - `summary.json`: the final figures, also printed.
 *
 * Progress goes to stderr on one line rewritten with `\r`; results go to stdout.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { openDataset, phantomDataset } from "../data/dataset.ts";
import type { Dataset } from "../data/dataset.ts";
import { SparsGymError } from "../data/errors.ts";
import { createOwnedFolder, OwnedFolderError } from "../data/owned_folder.ts";
import { describeSupervision, type SupervisionLevel } from "../data/supervision.ts";
import type { Vec3 } from "../data/types.ts";
import { BACKEND_NAMES, type BackendName, initBackend } from "../models/backend.ts";
import { buildClassifier, DEFAULT_ARCHITECTURE, resolveArchitecture } from "../models/classifier.ts";
import { DEFAULT_CROP_SCALE, DEFAULT_CROPS } from "../models/classifier_data.ts";
import type { IntensityWindow } from "../models/classifier_input.ts";
import { DEFAULT_SPARS_CONFIG } from "../env/config.ts";
import type { EpochMetrics, TrainingHistory } from "../models/classifier_training.ts";
import {
  MIL_CLI_ARG_SPECS,
  MIL_CLI_HELP,
  type MilCliOptions,
  parseMilCliArgs,
  trainMilOnDataset,
} from "./classifier_mil.ts";
import { saveClassifier } from "../models/checkpoint.ts";
import { trainSamplesOnDataset } from "./classifier_samples.ts";

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
  --window <lo,hi|none>   intensity window mapped to [0, 1] (default ${
    D.window!.join(",")
  }, a liver-lesion CT window in HU)
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

function parseWindow(text: string | undefined): IntensityWindow {
  if (text === undefined) return D.window;
  if (text === "none") return null;
  const parts = text.split(",").map(Number);
  if (parts.length !== 2 || !parts.every(Number.isFinite) || parts[0] >= parts[1]) {
    throw new UsageError(`--window must be "lo,hi" with lo < hi, or "none", got "${text}"`);
  }
  return [parts[0], parts[1]];
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
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
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
      help: { type: "boolean" },
      ...MIL_CLI_ARG_SPECS,
    },
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
    window: parseWindow(values.window),
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
  return config;
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${crypto.randomUUID()}`;
  await Deno.writeTextFile(tmp, JSON.stringify(value, null, 2) + "\n");
  await Deno.rename(tmp, path);
}

function progressLine(epoch: number, epochs: number, batch: number, batches: number, loss: number): string {
  const width = 24, filled = Math.round((batch / batches) * width);
  const bar = "#".repeat(filled) + ".".repeat(width - filled);
  return `\repoch ${epoch}/${epochs} [${bar}] ${batch}/${batches} loss ${loss.toFixed(4)}   `;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : "n/a";
}

function epochLine(m: EpochMetrics): string {
  const v = m.validation;
  return `epoch ${m.epoch}: train loss ${fmt(m.trainLoss)} acc ${fmt(m.trainAccuracy)} | val loss ${
    fmt(v.loss)
  } ` +
    `acc ${fmt(v.accuracy)} AUC ${fmt(v.auc)} sens ${fmt(v.sensitivity)} spec ${fmt(v.specificity)} ` +
    `(${m.seconds.toFixed(1)} s)`;
}

async function openData(config: ClassifierCliConfig): Promise<Dataset> {
  if (config.data === "phantoms") return phantomDataset({ count: config.phantoms, seed: config.seed });
  return await openDataset(config.data, { seed: config.seed });
}

/**
 * Runs the classifier CLI.
 *
 * @param args command-line arguments (without the program name)
 * @returns the exit code: 0 success, 1 failure (bad data, backend, I/O), 2 usage error
 */
export async function runClassifierCli(args: string[]): Promise<number> {
  let config: ClassifierCliConfig | "help";
  try {
    config = parseClassifierCliArgs(args);
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n\n${CLASSIFIER_CLI_HELP}`);
    return 2;
  }
  if (config === "help") {
    console.log(CLASSIFIER_CLI_HELP);
    return 0;
  }
  const started = performance.now();
  try {
    // A new folder (marker, config.json, metrics.jsonl) put in place in one step; --force replaces
    // only a classifier run folder this command wrote (data/owned_folder.ts).
    const fill = async (temp: string) => {
      await writeJsonAtomic(`${temp}/config.json`, config);
      await Deno.writeTextFile(`${temp}/metrics.jsonl`, "");
    };
    await createOwnedFolder(config.out, "classifier-run", { force: config.force, flag: "--out", fill });
    const metricsPath = `${config.out}/metrics.jsonl`;
    await initBackend(config.backend);
    const architecture = resolveArchitecture({ inputShape: config.inputShape });
    const dataset = await openData(config);
    const model = buildClassifier(architecture, config.seed);
    const onEpoch = (m: EpochMetrics) => {
      console.error(`\r${epochLine(m)}`);
      Deno.writeTextFileSync(metricsPath, JSON.stringify(m) + "\n", { append: true });
    };
    const onBatch = (epoch: number, batch: number, batches: number, loss: number) =>
      Deno.stderr.writeSync(
        new TextEncoder().encode(progressLine(epoch, config.epochs, batch, batches, loss)),
      );
    let history: TrainingHistory,
      supervision: SupervisionLevel,
      balance: { train: unknown; validation: unknown };
    if (config.mil) {
      supervision = "image-level";
      console.error(`supervision: ${describeSupervision(supervision)} (multiple-instance learning)`);
      const r = await trainMilOnDataset(model, dataset, {
        ...config.mil,
        window: config.cropSize,
        intensityWindow: config.window,
        epochs: config.epochs,
        seed: config.seed,
        learningRate: config.learningRate,
        patience: config.patience,
        recalibrationSamples: config.recalibration,
        onStep: onBatch,
        onEpoch,
      }, (line) => console.error(line));
      history = r.history;
      balance = { train: r.train, validation: r.validation };
    } else {
      const r = await trainSamplesOnDataset(model, dataset, config, { onBatch, onEpoch });
      ({ history, supervision } = r);
      balance = { train: r.train, validation: r.validation };
    }
    const best = history.epochs[history.bestEpoch - 1];
    const summary = {
      bestEpoch: history.bestEpoch,
      epochsRun: history.epochs.length,
      stoppedEarly: history.stoppedEarly,
      supervision,
      validation: best?.validation,
      balance,
      seconds: (performance.now() - started) / 1000,
      checkpoint: `${config.out}/classifier`,
    };
    const meta = await saveClassifier(model, `${config.out}/classifier`, {
      intensityWindow: config.window,
      architecture,
      supervision,
      training: {
        data: config.data,
        samples: config.mil ? "whole volumes (MIL)" : config.samples,
        ...summary,
      },
    });
    model.dispose();
    await writeJsonAtomic(`${config.out}/summary.json`, { ...summary, weightsSha256: meta.weights.sha256 });
    console.log(
      `done: best epoch ${summary.bestEpoch}/${summary.epochsRun}${
        history.stoppedEarly ? " (early stop)" : ""
      }, ` +
        `val AUC ${fmt(best?.validation.auc ?? NaN)}, acc ${fmt(best?.validation.accuracy ?? NaN)}, ` +
        `sens ${fmt(best?.validation.sensitivity ?? NaN)}, spec ${
          fmt(best?.validation.specificity ?? NaN)
        }; ` +
        `${
          summary.seconds.toFixed(0)
        } s; supervision ${supervision}; checkpoint ${summary.checkpoint} (sha256 ${
          meta.weights.sha256.slice(0, 12)
        })`,
    );
    return 0;
  } catch (e) {
    if (e instanceof SparsGymError) {
      console.error(`\nerror: ${e.message}`);
      return e instanceof OwnedFolderError ? 2 : 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await runClassifierCli(Deno.args));
