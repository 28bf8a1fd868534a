/**
 * What each supervision level reaches on the pipeline's default phantoms, same budget, measured side
 * by side: the default classifier training of `deno task train` ("crops labelled from voxel masks")
 * against multiple-instance training on whole volumes ("image-level", `--supervision image-level`).
 *
 * Data, window, input, intensity window, epochs, seed: the `default` preset of `train/train_config.ts`
 * (as `train/pipeline.ts` trains its classifier). Budget: the same number of training instances per
 * epoch (MIL steps x volumes per step x windows per volume = the crop samples of an epoch) and the
 * same epochs, patience and batch-norm recalibration.
 *
 * Evaluation (voxel labels used HERE ONLY, to label the windows): window AUC, windows touching the
 * tumour (>= 1 voxel) vs tumour-free windows, on (a) every window of the game's lattice (the preset's
 * stride) of the validation split, and (b) a coarser lattice (stride half the window) over fresh
 * phantoms no training saw (same generator, another seed).
 *
 * Run: deno run --allow-read --allow-env bench/classifier_supervision_bench.ts [--fresh N] [--only crops|mil]
 *
 * Measured (2 shared cores, wasm, seed 0): crops from masks 336 s, best epoch 6/8, crop validation AUC
 * 0.953, window AUC 0.686 (val split) / 0.705 (fresh); MIL 360 s, early stop at 7 (best epoch 4), bag
 * validation AUC 0.667, window AUC 0.639 / 0.736.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type * as tfl from "@tensorflow/tfjs-layers";
import { type Dataset, phantomDataset } from "../data/dataset.ts";
import { targetMask } from "../data/tile.ts";
import type { Case, Vec3 } from "../data/types.ts";
import { initBackend } from "../models/backend.ts";
import { buildClassifier, resolveArchitecture } from "../models/classifier.ts";
import { samplesFromDataset } from "../models/classifier_data.ts";
import { rocAuc } from "../models/classifier_metrics.ts";
import { ClassifierScorer } from "../models/classifier_scorer.ts";
import { trainClassifier, type TrainingHistory } from "../models/classifier_training.ts";
import { windowLattice } from "../models/mil_data.ts";
import { CLASSIFIER_CLI_DEFAULTS as D } from "../train/classifier_cli.ts";
import { MIL_CLI_DEFAULTS, trainMilOnDataset } from "../train/classifier_mil.ts";
import { PRESETS } from "../train/train_config.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { fresh: { type: "string" }, only: { type: "string" } },
});
const P = PRESETS.default;
const window: Vec3 = P.env.window, intensity = P.classifier.intensityWindow, epochs = P.classifier.epochs;
const seed = P.seed, freshCount = Number(values.fresh ?? 16);
const architecture = resolveArchitecture({ inputShape: window });

/** Window AUC (touching vs tumour-free) of `scorer` over the lattice windows of `cases`. */
async function windowAuc(scorer: ClassifierScorer, cases: Case[], stride: number | Vec3): Promise<string> {
  const scores: number[] = [], labels: number[] = [];
  for (const c of cases) {
    const mask = targetMask(c.labels!, [2]), shape = c.image.shape;
    const corners = windowLattice(shape, window, stride);
    const s = await scorer.score(c.image, corners, window);
    for (let i = 0; i < s.length; i++) {
      let n = 0;
      for (let z = corners[3 * i]; z < corners[3 * i] + window[0] && !n; z++) {
        for (let y = corners[3 * i + 1]; y < corners[3 * i + 1] + window[1] && !n; y++) {
          const row = (z * shape[1] + y) * shape[2];
          for (let x = corners[3 * i + 2]; x < corners[3 * i + 2] + window[2]; x++) n += mask[row + x];
        }
      }
      scores.push(s[i]);
      labels.push(n > 0 ? 1 : 0);
    }
  }
  const pos = labels.filter((l) => l).length;
  return `${rocAuc(scores, labels).toFixed(3)} (${pos} touching / ${
    labels.length - pos
  } tumour-free windows)`;
}

async function collect(d: Dataset): Promise<Case[]> {
  const out: Case[] = [];
  for await (const c of d.cases()) out.push(c);
  return out;
}

const dataset = phantomDataset({ count: P.data.count, seed: P.data.seed, shape: P.data.shape });
const val = await collect(dataset.split("val"));
const fresh = await collect(
  phantomDataset({
    count: freshCount,
    seed: 1000 + P.data.seed,
    shape: P.data.shape,
    fractions: { train: 0, val: 0, test: 1 },
  })
    .split("test"),
);
await initBackend(P.classifier.backend);
console.log(
  `default phantoms: ${P.data.count} of ${P.data.shape.join("x")}, window ${window.join("x")}, ` +
    `${epochs} epochs, seed ${seed}; evaluation: ${val.length} val cases (stride ${P.env.stride}), ` +
    `${fresh.length} fresh phantoms (stride half the window)`,
);

async function report(name: string, model: tfl.LayersModel, history: TrainingHistory, seconds: number) {
  const scorer = await ClassifierScorer.fromModel(model, intensity, { batchSize: 16 });
  const best = history.epochs[history.bestEpoch - 1];
  console.log(
    `${name}: ${seconds.toFixed(0)} s training, best epoch ${history.bestEpoch}/${history.epochs.length}, ` +
      `own validation AUC ${best.validation.auc.toFixed(3)}\n` +
      `  window AUC val split: ${await windowAuc(scorer, val, P.env.stride)}\n` +
      `  window AUC fresh phantoms: ${await windowAuc(
        scorer,
        fresh,
        window.map((w) => w / 2) as unknown as Vec3,
      )}`,
  );
}

let instancesPerEpoch = 0;
if (values.only !== "mil") {
  const started = performance.now();
  const source = {
    mode: D.samples,
    target: dataset.target,
    minTargetVoxels: D.minTargetVoxels,
    ambiguousBelow: D.minTargetVoxels,
    cropSize: window,
    crops: D.crops,
    cropScale: D.cropScale,
    seed,
  };
  const train = await samplesFromDataset(dataset.split("train").cases(), window, intensity, source);
  const v = await samplesFromDataset(dataset.split("val").cases(), window, intensity, source);
  instancesPerEpoch = train.samples.length;
  const model = buildClassifier(architecture, seed);
  const history = await trainClassifier(model, train.samples, v.samples, {
    epochs,
    batchSize: D.batchSize,
    seed,
    patience: D.patience,
    recalibrationSamples: D.recalibration,
  });
  await report(
    `crops labelled from voxel masks (${train.samples.length} crops per epoch)`,
    model,
    history,
    (performance.now() - started) / 1000,
  );
  model.dispose();
}
if (values.only !== "crops") {
  const started = performance.now();
  const m = MIL_CLI_DEFAULTS, perStep = m.bagsPerStep * (m.topK + m.randomK);
  const steps = Math.max(1, Math.round((instancesPerEpoch || 256) / perStep));
  const model = buildClassifier(architecture, seed);
  const { history } = await trainMilOnDataset(model, dataset, {
    ...m,
    stepsPerEpoch: steps,
    window,
    intensityWindow: intensity,
    epochs,
    seed,
    patience: D.patience,
    recalibrationSamples: D.recalibration,
  }, (line) => console.log(`  ${line}`));
  await report(
    `image-level MIL (${steps} steps x ${perStep} windows per epoch)`,
    model,
    history,
    (performance.now() - started) / 1000,
  );
  model.dispose();
}
