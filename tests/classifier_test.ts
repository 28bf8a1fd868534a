import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../models/backend.ts";
import { BatchNorm3d } from "../models/batch_norm3d.ts";
import { buildClassifier, DEFAULT_ARCHITECTURE, resolveArchitecture } from "../models/classifier.ts";
import { binaryMetrics, rocAuc } from "../models/classifier_metrics.ts";
import {
  augmentInto,
  EpochSampler,
  predictSamples,
  samplesFromCases,
  trainClassifier,
} from "../models/classifier_training.ts";
import { samplesFromDataset } from "../models/classifier_data.ts";
import { recalibrateBatchNorm } from "../models/batch_norm3d.ts";
import { targetMask } from "../data/tile.ts";
import type { Case, Vec3 } from "../data/types.ts";
import { loadClassifier } from "../models/checkpoint.ts";
import { generatePhantomDataset } from "../data/phantom.ts";
import { DatasetError, InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import { parseClassifierCliArgs, runClassifierCli } from "../train/classifier_cli.ts";
import { scratchDir } from "./_helpers.ts";

await initBackend("cpu", { quiet: true });

Deno.test("default classifier: the paper's 4 conv blocks (8,16,32,64), 5 dense layers, one sigmoid output", () => {
  const model = buildClassifier();
  assert.deepEqual(model.inputs[0].shape, [null, 12, 24, 24, 1]);
  assert.deepEqual(model.outputs[0].shape, [null, 1]);
  const convs = model.layers.filter((l) => l.getClassName() === "Conv3D");
  assert.deepEqual(convs.map((l) => l.getConfig().filters), [8, 16, 32, 64]);
  assert.ok(convs.every((l) => JSON.stringify(l.getConfig().kernelSize) === "[3,3,3]"));
  assert.equal(model.layers.filter((l) => l instanceof BatchNorm3d).length, 4);
  assert.equal(model.layers.filter((l) => l.getClassName() === "ReLU").length, 4);
  // 4 block pools (12x24x24 -> 6x12x12 -> 3x6x6 -> 2x3x3 -> 1x2x2) + the global max over the last map.
  const pools = model.layers.filter((l) => l.getClassName() === "MaxPooling3D");
  assert.equal(pools.length, 5);
  assert.deepEqual(pools[3].outputShape, [null, 1, 2, 2, 64]);
  assert.deepEqual(pools[4].outputShape, [null, 1, 1, 1, 64]);
  const dense = model.layers.filter((l) => l.getClassName() === "Dense");
  assert.deepEqual(dense.map((l) => l.getConfig().units), [256, 128, 64, 32, 1]);
  assert.equal(dense[4].getConfig().activation, "sigmoid");
  // The reference's first fully connected width: 24x48x48 pools to 2x3x3, 2*3*3*64 = 1152 features.
  const flatten = buildClassifier({ head: "flatten", hiddenUnits: [8], inputShape: [24, 48, 48] });
  assert.deepEqual(flatten.layers.find((l) => l.getClassName() === "Flatten")!.outputShape, [null, 1152]);
  const p = tf.tidy(() => (model.predict(tf.ones([2, 12, 24, 24, 1])) as tf.Tensor).dataSync());
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
  assert.equal(report.cases, 1); // counted without a progress callback too
});

/** Target voxels of `mask` (shape z,y,x) in the box corner+size. */
function countBox(mask: Uint8Array, shape: Vec3, corner: Vec3, size: Vec3): number {
  let n = 0;
  for (let z = corner[0]; z < corner[0] + size[0]; z++) {
    for (let y = corner[1]; y < corner[1] + size[1]; y++) {
      for (let x = corner[2]; x < corner[2] + size[2]; x++) n += mask[(z * shape[1] + y) * shape[2] + x];
    }
  }
  return n;
}

Deno.test("crops: labels are the crop's content, near crops miss the target, tumour-free cases get matched positions", async () => {
  const cases = generatePhantomDataset({ count: 6, seed: 3, shape: [24, 48, 48], negativeShare: 0.34 });
  const byId = new Map<string, Case>(cases.map((c) => [c.id, c]));
  const source = {
    mode: "crops" as const,
    target: [2],
    minTargetVoxels: 20,
    cropSize: [12, 24, 24] as Vec3,
    crops: { around: 3, near: 2, elsewhere: 2 },
    cropScale: [0.5, 1] as const,
    seed: 5,
  };
  const { samples, report } = await samplesFromDataset(cases, [6, 12, 12], [-50, 150], source, () => {});
  assert.equal(report.cases, 6);
  assert.equal(report.samples, samples.length);
  assert.equal(report.samples + report.dropped, 6 * 7);
  assert.equal(report.positives + report.negatives, report.samples);
  const positiveCentres: number[][] = [];
  const kinds = new Set<string>();
  for (const s of samples) {
    assert.equal(s.input.length, 6 * 12 * 12);
    assert.ok(s.input.every((v) => v >= 0 && v <= 1), "windowed to [0, 1]");
    const m = /^(.*)\/crop-(\w+)@(\d+),(\d+),(\d+)\+(\d+),(\d+),(\d+)$/.exec(s.id);
    assert.ok(m, s.id);
    const c = byId.get(m[1])!, kind = m[2];
    kinds.add(kind);
    const corner = [+m[3], +m[4], +m[5]] as Vec3, size = [+m[6], +m[7], +m[8]] as Vec3;
    assert.ok(
      size.every((v, a) => v >= Math.round([12, 24, 24][a] * 0.5) && v <= [12, 24, 24][a]),
      `size ${size}`,
    );
    assert.ok(corner.every((v, a) => v >= 0 && v + size[a] <= c.image.shape[a]), "inside the image");
    const n = countBox(targetMask(c.labels!, [2]), c.image.shape, corner, size);
    assert.equal(s.presence, n >= 20 ? 1 : 0, `${s.id}: ${n} target voxels`);
    assert.ok(n === 0 || n >= 20, `${s.id}: ambiguous crop (${n} target voxels) kept`);
    if (kind === "around") assert.equal(s.presence, 1);
    if (kind === "near" || kind === "matched") assert.equal(n, 0);
    if (kind === "matched") assert.equal(c.presence, 0);
    if (s.presence === 1) positiveCentres.push(corner.map((v, a) => (v + size[a] / 2) / c.image.shape[a]));
  }
  assert.deepEqual([...kinds].sort(), ["around", "elsewhere", "matched", "near"]);
  // A matched crop of a tumour-free case is centred (to a voxel) where some positive crop was.
  for (const s of samples.filter((x) => x.id.includes("/crop-matched@"))) {
    const m = /@(\d+),(\d+),(\d+)\+(\d+),(\d+),(\d+)$/.exec(s.id)!;
    const centre = [0, 1, 2].map((a) => (+m[a + 1] + +m[a + 4] / 2) / [24, 48, 48][a]);
    assert.ok(
      positiveCentres.some((p) => p.every((v, a) => Math.abs(v - centre[a]) <= 1 / [24, 48, 48][a] + 1e-9)),
      `${s.id} is not at a positive crop's centre`,
    );
  }
  const again = await samplesFromDataset(cases, [6, 12, 12], [-50, 150], source);
  assert.deepEqual(again.samples.map((s) => s.id), samples.map((s) => s.id), "seeded");
  await assert.rejects(
    samplesFromDataset(cases, [6, 12, 12], null, { ...source, target: [] }),
    InvalidArgumentError,
  );
  await assert.rejects(
    samplesFromDataset(cases, [6, 12, 12], null, { ...source, crops: { around: 0, near: 0, elsewhere: 0 } }),
    InvalidArgumentError,
  );
  await assert.rejects(
    samplesFromDataset(cases, [6, 12, 12], null, { ...source, cropScale: [0.5, 2] }),
    InvalidArgumentError,
  );
  // Images mode reads presence only: cases without voxel labels are fine.
  const images = await samplesFromDataset(
    cases.map((c) => ({ ...c, labels: undefined })),
    [6, 12, 12],
    null,
    {
      mode: "images",
    },
  );
  assert.deepEqual(images.samples.map((s) => s.presence), cases.map((c) => c.presence));
});

Deno.test("EpochSampler: balanced orders alternate classes and cycle each class; plain orders are permutations", () => {
  const labels = [0, 1, 0, 0, 0, 0, 0, 0]; // one positive (index 1), seven negatives
  const sampler = new EpochSampler(labels, new Rng(4));
  assert.equal(sampler.balanced, true);
  const seen: number[] = [];
  for (let epoch = 0; epoch < 2; epoch++) {
    const order = sampler.next();
    assert.equal(order.length, 8);
    for (let i = 0; i < 8; i += 2) {
      assert.equal(order[i], 1, "even slots hold the positive");
      assert.equal(labels[order[i + 1]], 0);
      seen.push(order[i + 1]);
    }
  }
  // 8 negative picks over 2 epochs: the first 7 are each negative once (a full cycle).
  assert.deepEqual(seen.slice(0, 7).sort(), [0, 2, 3, 4, 5, 6, 7]);
  const plain = new EpochSampler(labels, new Rng(4), false);
  assert.equal(plain.balanced, false);
  assert.deepEqual(plain.next().sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
  const oneClass = new EpochSampler([0, 0, 0], new Rng(1));
  assert.equal(oneClass.balanced, false, "no positive: plain shuffling");
  assert.deepEqual(oneClass.next().sort(), [0, 1, 2]);
});

Deno.test("recalibrateBatchNorm: inference then equals training-mode output on the calibration batch", async () => {
  const shape: Vec3 = [4, 8, 8];
  const model = buildClassifier({ inputShape: shape, hiddenUnits: [8] }, 3);
  const rng = new Rng(2);
  const inputs = Array.from({ length: 6 }, () => Float32Array.from({ length: 256 }, () => rng.float()));
  const batch = tf.tensor5d(Float32Array.from(inputs.flatMap((x) => [...x])), [6, ...shape, 1]);
  // Train briefly so the running statistics are stale (momentum-averaged over other batches).
  const samples = inputs.map((input, i) => ({ id: `s${i}`, input, presence: (i % 2) as 0 | 1 }));
  await trainClassifier(model, samples, [], { epochs: 2, batchSize: 2, recalibrationSamples: 0 });
  const trainingMode = tf.tidy(() => (model.apply(batch, { training: true }) as tf.Tensor).dataSync());
  const before = await predictSamples(model, samples, 6);
  assert.ok(before.some((p, i) => Math.abs(p - trainingMode[i]) > 1e-3), "stale statistics differ");
  const tensors = tf.memory().numTensors;
  await recalibrateBatchNorm(model, inputs, 6); // one batch: population statistics = batch statistics
  assert.equal(tf.memory().numTensors, tensors, "no tensor leaked");
  const after = await predictSamples(model, samples, 6);
  for (let i = 0; i < 6; i++) {
    assert.ok(Math.abs(after[i] - trainingMode[i]) < 1e-4, `${after[i]} vs ${trainingMode[i]}`);
  }
  // The first batch norm sees the convolution of the inputs alone: batching does not change its statistics.
  const firstNorm = model.layers.find((l) => l instanceof BatchNorm3d)!;
  const single = firstNorm.getWeights().slice(2).map((w) => w.dataSync().slice());
  await recalibrateBatchNorm(model, inputs, 4);
  const batched = firstNorm.getWeights().slice(2).map((w) => w.dataSync());
  for (let k = 0; k < 2; k++) {
    for (let j = 0; j < single[k].length; j++) assert.ok(Math.abs(single[k][j] - batched[k][j]) < 1e-5);
  }
  await assert.rejects(recalibrateBatchNorm(model, [new Float32Array(3)]), InvalidArgumentError);
  await assert.rejects(recalibrateBatchNorm(model, []), InvalidArgumentError);
  batch.dispose();
  model.dispose();
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
  assert.deepEqual(config.inputShape, [12, 24, 24]);
  assert.equal(config.data, "phantoms");
  assert.equal(config.batchSize, 8);
  assert.equal(config.samples, "crops");
  assert.deepEqual(config.cropSize, [24, 48, 48]);
  assert.deepEqual(config.crops, { around: 8, near: 6, elsewhere: 2 });
  assert.deepEqual(config.cropScale, [0.5, 1]);
  assert.deepEqual(config.window, [-50, 150]);
  assert.equal(config.recalibration, 256);
  const custom = parseClassifierCliArgs(["--crops", "5,0,5", "--crop-scale", "1,1", "--samples", "tiles"]);
  assert.ok(custom !== "help");
  assert.deepEqual(custom.crops, { around: 5, near: 0, elsewhere: 5 });
  assert.deepEqual(custom.cropScale, [1, 1]);
  assert.equal(custom.samples, "tiles");
  assert.throws(() => parseClassifierCliArgs(["--crops", "0,0,0"]), /--crops/);
  assert.throws(() => parseClassifierCliArgs(["--crops", "4,4"]), /--crops/);
  assert.throws(() => parseClassifierCliArgs(["--crop-scale", "0.5,1.5"]), /--crop-scale/);
  assert.throws(() => parseClassifierCliArgs(["--samples", "voxels"]), /--samples/);
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
      assert.equal(meta.supervision, "crops labelled from voxel masks"); // the default reads voxel masks
      assert.equal(summary.supervision, meta.supervision);
      model.dispose();
      assert.equal(await runClassifierCli(args), 2, "an existing run is refused without --force");
    } finally {
      await initBackend("cpu", { quiet: true });
    }
  },
});
