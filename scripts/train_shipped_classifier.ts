/**
 * Trains the classifier checkpoint shipped with the package for `SparsGym/Spars-Phantom-v0`
 * (tasks/phantom_task.ts): the presence classifier of the default benchmark, trained on the task's
 * own phantoms (train split; val split for early stopping and batch-norm recalibration) with the
 * pipeline's protocol: crops the size of the game window (12x24x24, scales 0.5-1) placed and
 * labelled from the VOXEL MASKS (supervision level "crops labelled from voxel masks", recorded in
 * `classifier.json`), input = the window, intensity window [-50, 150] HU.
 *
 * ```sh
 * nice -n 15 deno run --allow-read --allow-write=tasks/checkpoints,.tmp --allow-env \
 *   scripts/train_shipped_classifier.ts [--out DIR] [--epochs N] [--seed N] [--backend wasm|cpu] [--force]
 * ```
 *
 * About a minute on 2 cores with wasm. Writes into a temporary sibling folder renamed into place;
 * an existing `--out` is replaced only with `--force` and only when this script wrote it (its
 * `classifier.json` names this script). After retraining, the weights' SHA-256 changes: update
 * `SHIPPED_CLASSIFIER_SHA256` and bump the task's version (tasks/phantom_task.ts says why).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { basename, dirname, join } from "node:path";
import { InvalidArgumentError } from "../data/errors.ts";
import { type BackendName, initBackend } from "../models/backend.ts";
import { buildClassifier, resolveArchitecture } from "../models/classifier.ts";
import { DEFAULT_CROP_SCALE, DEFAULT_CROPS, samplesFromDataset } from "../models/classifier_data.ts";
import type { IntensityWindow } from "../models/classifier_input.ts";
import { trainClassifier } from "../models/classifier_training.ts";
import { saveClassifier } from "../models/checkpoint.ts";
import { DEFAULT_TASK_OPTIONS, taskCases } from "../tasks/spars_tasks.ts";
import { SHIPPED_CLASSIFIER_DIR, SHIPPED_CLASSIFIER_SCRIPT } from "../tasks/phantom_task.ts";

const HELP = `deno run --allow-read --allow-write=tasks/checkpoints,.tmp --allow-env \\
  scripts/train_shipped_classifier.ts [options]

Trains the classifier shipped for SparsGym/Spars-Phantom-v0 on the default benchmark's phantoms
(crops labelled from voxel masks, input 12x24x24) and writes a checkpoint folder.

Options:
  --out DIR        output checkpoint folder [tasks/checkpoints/spars-phantom-v0]
  --epochs N       maximum epochs (early stopping on val AUC) [8]
  --seed N         seed of crops, initialisation and batches [0]
  --backend NAME   wasm | cpu [wasm]
  --force          replace --out when this script wrote it
  --help           this text
`;

/** The intensity window of the default preset (train/train_config.ts), in HU. */
const INTENSITY_WINDOW: IntensityWindow = [-50, 150];

function positiveInt(flag: string, text: string, min: number): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) {
    throw new InvalidArgumentError(flag, `is '${text}'`, `an integer >= ${min}`);
  }
  return v;
}

async function checkOut(out: string, force: boolean): Promise<void> {
  const meta = await Deno.readTextFile(join(out, "classifier.json")).then(JSON.parse, () => undefined);
  const there = await Deno.stat(out).then(() => true, () => false);
  if (!there) return;
  if (!force) throw new InvalidArgumentError("--out", `${out} already exists`, "a new folder, or --force");
  if (meta?.training?.script !== SHIPPED_CLASSIFIER_SCRIPT) {
    throw new InvalidArgumentError("--out", `${out} was not written by this script`, "a folder it wrote");
  }
}

async function main(args: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args,
    options: {
      out: { type: "string", default: SHIPPED_CLASSIFIER_DIR },
      epochs: { type: "string", default: "8" },
      seed: { type: "string", default: "0" },
      backend: { type: "string", default: "wasm" },
      force: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  const epochs = positiveInt("--epochs", v.epochs!, 1), seed = positiveInt("--seed", v.seed!, 0);
  if (v.backend !== "wasm" && v.backend !== "cpu") {
    throw new InvalidArgumentError("--backend", `is '${v.backend}'`, "wasm | cpu");
  }
  const out = v.out!;
  await checkOut(out, v.force!);
  const started = performance.now();
  await initBackend(v.backend as BackendName);
  const data = DEFAULT_TASK_OPTIONS.data, window = DEFAULT_TASK_OPTIONS.window!;
  const target = [DEFAULT_TASK_OPTIONS.target as number];
  const architecture = resolveArchitecture({ inputShape: window });
  const source = {
    mode: "crops" as const,
    target,
    minTargetVoxels: 1,
    ambiguousBelow: 1,
    cropSize: window,
    crops: DEFAULT_CROPS,
    cropScale: DEFAULT_CROP_SCALE,
    seed,
  };
  const load = async (split: "train" | "val") => {
    const cases = await taskCases(data, split);
    const r = await samplesFromDataset(cases, architecture.inputShape, INTENSITY_WINDOW, source);
    console.error(
      `${split}: ${r.report.samples} crops (${r.report.positives} positive) from ${cases.length} phantoms`,
    );
    return r;
  };
  const train = await load("train"), val = await load("val");
  const model = buildClassifier(architecture, seed);
  const history = await trainClassifier(model, train.samples, val.samples, {
    epochs,
    batchSize: 16,
    seed,
    patience: 3,
    onEpoch: (m) =>
      console.error(
        `epoch ${m.epoch}/${epochs}: train loss ${m.trainLoss.toFixed(3)}, val AUC ${
          m.validation.auc.toFixed(3)
        } (${m.seconds.toFixed(0)} s)`,
      ),
  });
  const best = history.epochs[history.bestEpoch - 1];
  const temp = join(dirname(out), `.${basename(out)}.tmp-${Deno.pid}`);
  await Deno.mkdir(dirname(out), { recursive: true });
  const meta = await saveClassifier(model, temp, {
    intensityWindow: INTENSITY_WINDOW,
    architecture,
    supervision: train.report.supervision,
    training: {
      script: SHIPPED_CLASSIFIER_SCRIPT,
      task: "SparsGym/Spars-Phantom-v0",
      data: { ...data, splits: { train: "train", validation: "val" } },
      samples: "crops",
      cropScale: DEFAULT_CROP_SCALE,
      crops: DEFAULT_CROPS,
      seed,
      backend: v.backend,
      bestEpoch: history.bestEpoch,
      epochsRun: history.epochs.length,
      validation: best?.validation,
    },
  });
  model.dispose();
  if (await Deno.stat(out).then(() => true, () => false)) await Deno.remove(out, { recursive: true });
  await Deno.rename(temp, out);
  console.log(
    `${out}: supervision ${meta.supervision}, best epoch ${history.bestEpoch}, val AUC ${
      best?.validation.auc.toFixed(3)
    }, weights sha256 ${meta.weights.sha256}, ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    if (e instanceof InvalidArgumentError || e instanceof TypeError) {
      console.error(`error: ${(e as Error).message}\n\n${HELP}`);
      Deno.exit(2);
    }
    throw e;
  }
}
