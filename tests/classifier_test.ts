import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../models/backend.ts";
import { BatchNorm3d } from "../models/batch_norm3d.ts";
import { buildClassifier, DEFAULT_ARCHITECTURE, resolveArchitecture } from "../models/classifier.ts";
import { binaryMetrics, rocAuc } from "../models/classifier_metrics.ts";
import { augmentInto, samplesFromCases, trainClassifier } from "../models/classifier_training.ts";
import { samplesFromDataset } from "../models/classifier_data.ts";
import { loadClassifier } from "../models/checkpoint.ts";
import { generatePhantomDataset } from "../data/phantom.ts";
import { DatasetError, InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import { parseClassifierCliArgs, runClassifierCli } from "../train/classifier_cli.ts";
import { scratchDir } from "./_helpers.ts";

await initBackend("cpu", { quiet: true });

Deno.test("default classifier: the paper's 4 conv blocks (8,16,32,64), 5 dense layers, one sigmoid output", () => {
  const model = buildClassifier();
  assert.deepEqual(model.inputs[0].shape, [null, 24, 48, 48, 1]);
  assert.deepEqual(model.outputs[0].shape, [null, 1]);
  const convs = model.layers.filter((l) => l.getClassName() === "Conv3D");
  assert.deepEqual(convs.map((l) => l.getConfig().filters), [8, 16, 32, 64]);
  assert.ok(convs.every((l) => JSON.stringify(l.getConfig().kernelSize) === "[3,3,3]"));
  assert.equal(model.layers.filter((l) => l instanceof BatchNorm3d).length, 4);
  assert.equal(model.layers.filter((l) => l.getClassName() === "ReLU").length, 4);
  // 4 block pools + the global max over the last 2x3x3 map.
  const pools = model.layers.filter((l) => l.getClassName() === "MaxPooling3D");
  assert.equal(pools.length, 5);
  assert.deepEqual(pools[4].outputShape, [null, 1, 1, 1, 64]);
  const dense = model.layers.filter((l) => l.getClassName() === "Dense");
  assert.deepEqual(dense.map((l) => l.getConfig().units), [256, 128, 64, 32, 1]);
  assert.equal(dense[4].getConfig().activation, "sigmoid");
  const flatten = buildClassifier({ head: "flatten", hiddenUnits: [8] });
  assert.deepEqual(flatten.layers.find((l) => l.getClassName() === "Flatten")!.outputShape, [null, 1152]);
  const p = tf.tidy(() => (model.predict(tf.ones([2, 24, 48, 48, 1])) as tf.Tensor).dataSync());
  assert.ok(p.every((v) => v > 0 && v < 1));
  model.dispose();
  flatten.dispose();
});

Deno.test("resolveArchitecture fills defaults and rejects bad shapes", () => {
  assert.deepEqual(resolveArchitecture(), DEFAULT_ARCHITECTURE);
  assert.throws(
    () => resolveArchitecture({ inputShape: [24, 48] as unknown as [number, number, number] }),
    InvalidArgumentError,
  );
  assert.throws(() => resolveArchitecture({ inputShape: [0, 4, 4] }), InvalidArgumentError);
  assert.throws(() => resolveArchitecture({ channels: [] }), InvalidArgumentError);
  assert.throws(() => resolveArchitecture({ batchNormMomentum: 1 }), InvalidArgumentError);
});

Deno.test("rocAuc and binaryMetrics on hand-computed examples", () => {
  assert.equal(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  assert.equal(rocAuc([0.5, 0.5], [0, 1]), 0.5); // a tie counts one half
  assert.ok(Number.isNaN(rocAuc([0.2, 0.3], [1, 1])));
  const m = binaryMetrics([0.9, 0.6, 0.4, 0.2], [1, 0, 1, 0]);
  assert.equal(m.accuracy, 0.5);
  assert.equal(m.sensitivity, 0.5);
  assert.equal(m.specificity, 0.5);
  assert.equal(m.auc, 0.75);
  const loss = -(Math.log(0.9) + Math.log(0.4) + Math.log(0.4) + Math.log(0.8)) / 4;
  assert.ok(Math.abs(m.loss - loss) < 1e-12);
  assert.throws(() => binaryMetrics([0.5], [1, 0]));
});

Deno.test("augmentInto flips keep every value (a permutation) and jitter is affine and bounded", () => {
  const shape = [2, 3, 4] as const, src = Float32Array.from({ length: 24 }, (_, i) => i);
  const dst = new Float32Array(24);
  augmentInto(src, shape, new Rng(1), false, 0, dst);
  assert.deepEqual(dst, src);
  let flipped = 0;
  for (let seed = 0; seed < 8; seed++) {
    augmentInto(src, shape, new Rng(seed), true, 0, dst);
    assert.deepEqual(Array.from(dst).sort((a, b) => a - b), Array.from(src));
    if (dst[0] !== 0) flipped++;
  }
  assert.ok(flipped > 0, "some seed flips an axis");
  augmentInto(src, shape, new Rng(3), false, 0.05, dst);
  const a = (dst[23] - dst[0]) / 23, b = dst[0];
  assert.ok(Math.abs(a - 1) <= 0.05 + 1e-6 && Math.abs(b) <= 0.05 + 1e-6);
  for (let i = 0; i < 24; i++) assert.ok(Math.abs(dst[i] - (a * i + b)) < 1e-4);
});

Deno.test("samples need image-level labels; tiles need voxel labels", async () => {
  const [c] = generatePhantomDataset({ count: 1, seed: 1, shape: [8, 16, 16] });
  const unlabelled = { ...c, presence: undefined };
  await assert.rejects(samplesFromCases([unlabelled], [4, 8, 8], null), DatasetError);
  await assert.rejects(
    samplesFromDataset([{ ...c, labels: undefined }], [4, 8, 8], null, { mode: "tiles", target: [2] }),
    /no voxel labels/,
  );
  const { report } = await samplesFromDataset([c], [4, 8, 8], [-200, 250], {
    mode: "tiles",
    grid: [2, 2, 1],
    target: [2],
  });
  assert.equal(report.samples + report.dropped, 4);
});

Deno.test({
  name: "on phantoms the classifier learns: held-out AUC >= 0.9 after a short seeded training (wasm)",
  sanitizeResources: false,
  fn: async () => {
    await initBackend("wasm", { quiet: true });
    try {
      const started = performance.now();
      // Whole small phantoms (the paper's image-level setting), clearly visible tumours, half negative.
      const cases = generatePhantomDataset({
        count: 160,
        seed: 7,
        shape: [24, 48, 48],
        negativeShare: 0.5,
        contrast: [-90, -60],
        tumourRadiusMm: [8, 14],
      });
      const samples = await samplesFromCases(cases, [12, 24, 24], [-200, 250]);
      const validation = samples.slice(0, 40), train = samples.slice(40);
      const model = buildClassifier({ inputShape: [12, 24, 24], hiddenUnits: [32] }, 1);
      const history = await trainClassifier(model, train, validation, { epochs: 10, patience: 4, seed: 1 });
      const best = history.epochs[history.bestEpoch - 1].validation;
      const seconds = (performance.now() - started) / 1000;
      assert.ok(best.auc >= 0.9, `best-epoch validation AUC ${best.auc} (epoch ${history.bestEpoch})`);
      assert.deepEqual(history.balance.validation.positives + history.balance.validation.negatives, 40);
      assert.ok(seconds < 120, `took ${seconds} s`);
      model.dispose();
    } finally {
      await initBackend("cpu", { quiet: true });
    }
  },
});

Deno.test("CLI: --help, defaults, bad values", async () => {
  assert.equal(parseClassifierCliArgs(["--help"]), "help");
  const config = parseClassifierCliArgs(["--out", "x"]);
  assert.ok(config !== "help");
  assert.deepEqual(config.inputShape, [24, 48, 48]);
  assert.equal(config.data, "phantoms");
  assert.equal(config.batchSize, 8);
  assert.deepEqual(config.window, [-200, 250]);
  assert.throws(() => parseClassifierCliArgs(["--input-shape", "24x48"]), /three positive integers/);
  assert.throws(() => parseClassifierCliArgs(["--backend", "gpu"]), /--backend/);
  assert.throws(() => parseClassifierCliArgs(["--bogus"]));
  assert.equal(await runClassifierCli(["--epochs", "zero"]), 2);
});

Deno.test({
  name:
    "CLI end to end on a few phantoms: run folder, metrics.jsonl, loadable checkpoint, refuses to overwrite",
  sanitizeResources: false,
  fn: async () => {
    const out = `${await scratchDir("cli")}/run`;
    const args = [
      "--out",
      out,
      "--phantoms",
      "7",
      "--epochs",
      "2",
      "--input-shape",
      "6x12x12",
      "--backend",
      "wasm",
    ];
    try {
      assert.equal(await runClassifierCli(args), 0);
      const metrics = (await Deno.readTextFile(`${out}/metrics.jsonl`)).trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      assert.ok(metrics.length >= 1 && metrics.length <= 2);
      assert.equal(metrics[0].epoch, 1);
      assert.ok(Number.isFinite(metrics[0].trainLoss));
      const config = JSON.parse(await Deno.readTextFile(`${out}/config.json`));
      assert.deepEqual(config.inputShape, [6, 12, 12]);
      const summary = JSON.parse(await Deno.readTextFile(`${out}/summary.json`));
      const { model, meta } = await loadClassifier(`${out}/classifier`);
      assert.equal(meta.weights.sha256, summary.weightsSha256);
      assert.deepEqual(meta.inputShape, [6, 12, 12]);
      model.dispose();
      assert.equal(await runClassifierCli(args), 2, "an existing run is refused without --force");
    } finally {
      await initBackend("cpu", { quiet: true });
    }
  },
});
