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
import { type Dataset, phantomDataset } from "../data/dataset.ts";
import { describeDataSource, openDataSource } from "../data/data_source.ts";
import { SparsGymError } from "../data/errors.ts";
import { createOwnedFolder, OwnedFolderError } from "../data/owned_folder.ts";
import { asOutputLocationError, checkOutputLocation, OutputLocationError } from "../data/output_location.ts";
import { describeSupervision, type SupervisionLevel } from "../data/supervision.ts";
import { initBackend } from "../models/backend.ts";
import { buildClassifier, resolveArchitecture } from "../models/classifier.ts";
import type { EpochMetrics, TrainingHistory } from "../models/classifier_training.ts";
import { trainMilOnDataset } from "./classifier_mil.ts";
import { saveClassifier } from "../models/checkpoint.ts";
import { trainSamplesOnDataset } from "./classifier_samples.ts";
import {
  CLASSIFIER_CLI_HELP,
  type ClassifierCliConfig,
  parseClassifierCliArgs,
} from "./classifier_cli_options.ts";

export {
  CLASSIFIER_CLI_DEFAULTS,
  CLASSIFIER_CLI_HELP,
  type ClassifierCliConfig,
  parseClassifierCliArgs,
  type SampleMode,
} from "./classifier_cli_options.ts";

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

/**
 * The dataset of a classifier run: phantoms, or the folder of `--data` split as `--split-seed`,
 * `--split` or `--fold` say (the same split as `deno task train` with the same values).
 * @throws the dataset's errors (a missing or malformed folder)
 */
export async function openClassifierData(config: ClassifierCliConfig): Promise<Dataset> {
  if (config.data === "phantoms") return phantomDataset({ count: config.phantoms, seed: config.seed });
  const { splitSeed: seed, target, channels, intensity, folds } = config;
  const fractions = config.fractions ?? undefined;
  return await openDataSource({ spec: config.data, seed, target, channels, intensity, folds, fractions });
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
    // The output location and the data are checked before the run folder exists: a bad one writes nothing.
    checkOutputLocation(config.out, "--out", "train/classifier_cli.ts");
    const dataset = await openClassifierData(config);
    for (const line of describeDataSource(dataset, config, "--target", config.window)) console.error(line);
    // A new folder (marker, config.json, metrics.jsonl) put in place in one step; --force replaces
    // only a classifier run folder this command wrote (data/owned_folder.ts).
    const fill = async (temp: string) => {
      await writeJsonAtomic(`${temp}/config.json`, config);
      await Deno.writeTextFile(`${temp}/metrics.jsonl`, "");
    };
    await createOwnedFolder(config.out, "classifier-run", { force: config.force, flag: "--out", fill });
    const metricsPath = `${config.out}/metrics.jsonl`;
    await initBackend(config.backend);
    const architecture = resolveArchitecture({
      inputShape: config.inputShape,
      inputChannels: config.channels?.length ?? 1,
    });
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
        target: [...dataset.target],
        channels: config.channels,
        intensity: config.intensity,
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
  } catch (caught) {
    const e = asOutputLocationError(caught, config.out, "--out", "train/classifier_cli.ts") ?? caught;
    if (e instanceof SparsGymError) {
      console.error(`\nerror: ${e.message}`);
      return e instanceof OwnedFolderError || e instanceof OutputLocationError ? 2 : 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await runClassifierCli(Deno.args));
