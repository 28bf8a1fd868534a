import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../models/backend.ts";
import { buildClassifier } from "../models/classifier.ts";
import { writeClassifierInput } from "../models/classifier_input.ts";
import { ClassifierScorer } from "../models/classifier_scorer.ts";
import { saveClassifier } from "../models/checkpoint.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import { diagonalAffine, type Vec3, type Volume } from "../data/types.ts";
import { scratchDir } from "./_helpers.ts";

await initBackend("cpu", { quiet: true });

function volume(shape: Vec3, seed: number): Volume {
  const rng = new Rng(seed);
  const data = Float32Array.from({ length: shape[0] * shape[1] * shape[2] }, () => rng.uniform(-300, 300));
  return { id: `v${seed}`, shape, spacing: [1, 1, 1], data, affine: diagonalAffine([1, 1, 1]) };
}

const SHAPE: Vec3 = [4, 6, 6];

Deno.test("ClassifierScorer on n corners equals n single-window predictions (partial batches, resampling)", async () => {
  const model = buildClassifier({ inputShape: SHAPE, hiddenUnits: [8] }, 5);
  const scorer = await ClassifierScorer.fromModel(model, [-200, 250], { batchSize: 3 });
  const v = volume([12, 15, 14], 1);
  const size: Vec3 = [6, 9, 7]; // resampled to 4x6x6
  const rng = new Rng(9);
  const corners = new Int32Array(7 * 3);
  for (let i = 0; i < 7; i++) {
    corners[3 * i] = rng.int(12 - 6 + 1);
    corners[3 * i + 1] = rng.int(15 - 9 + 1);
    corners[3 * i + 2] = rng.int(14 - 7 + 1);
  }
  const batched = await scorer.score(v, corners, size);
  assert.equal(batched.length, 7);
  for (let i = 0; i < 7; i++) {
    const corner: Vec3 = [corners[3 * i], corners[3 * i + 1], corners[3 * i + 2]];
    const single = await scorer.score(v, Int32Array.from(corner), size);
    const input = writeClassifierInput(v, corner, size, SHAPE, [-200, 250], new Float32Array(4 * 6 * 6));
    const direct = tf.tidy(() =>
      (model.predict(tf.tensor5d(input, [1, ...SHAPE, 1])) as tf.Tensor).dataSync()[0]
    );
    assert.ok(
      Math.abs(single[0] - batched[i]) < 1e-6,
      `window ${i}: single ${single[0]} batched ${batched[i]}`,
    );
    assert.ok(Math.abs(direct - batched[i]) < 1e-6, `window ${i}: direct ${direct} batched ${batched[i]}`);
    assert.ok(batched[i] > 0 && batched[i] < 1);
  }
  assert.deepEqual(await scorer.score(v, new Int32Array(0), size), new Float32Array(0));
  scorer.dispose();
});

Deno.test("ClassifierScorer leaks no tensor over 1,000 score calls", async () => {
  const model = buildClassifier({ inputShape: [2, 2, 2], channels: [2], hiddenUnits: [] }, 1);
  const scorer = await ClassifierScorer.fromModel(model, null, { batchSize: 2 });
  const v = volume([4, 4, 4], 2);
  const corners = Int32Array.from([0, 0, 0, 1, 1, 1, 2, 2, 2]);
  await scorer.score(v, corners, [2, 2, 2]); // warm-up
  const before = tf.memory().numTensors;
  for (let i = 0; i < 1000; i++) await scorer.score(v, corners, [2, 2, 2]);
  assert.equal(tf.memory().numTensors, before);
  scorer.dispose();
});

Deno.test("ClassifierScorer ids follow the weights; a loaded checkpoint scores as the model it saved", async () => {
  const model = buildClassifier({ inputShape: SHAPE, hiddenUnits: [8] }, 5);
  const a = await ClassifierScorer.fromModel(model, null);
  const b = await ClassifierScorer.fromModel(model, null);
  assert.equal(a.id, b.id);
  assert.match(a.id, /^classifier:[0-9a-f]{12}$/);
  const other = await ClassifierScorer.fromModel(
    buildClassifier({ inputShape: SHAPE, hiddenUnits: [8] }, 6),
    null,
  );
  assert.notEqual(other.id, a.id);
  const dir = `${await scratchDir("scorer")}/classifier`;
  const meta = await saveClassifier(model, dir, {
    intensityWindow: [-200, 250],
    architecture: {
      inputShape: SHAPE,
      channels: [8, 16, 32, 64],
      hiddenUnits: [8],
      batchNormMomentum: 0.9,
      head: "globalMax",
    },
  });
  const loaded = await ClassifierScorer.load(dir, { batchSize: 4 });
  assert.equal(loaded.id, `classifier:${meta.weights.sha256.slice(0, 12)}`);
  const fresh = new ClassifierScorer(model, { intensityWindow: [-200, 250], weightsId: "x" });
  const v = volume([8, 8, 8], 3), corners = Int32Array.from([0, 0, 0, 4, 2, 1]);
  assert.deepEqual(await loaded.score(v, corners, [4, 6, 6]), await fresh.score(v, corners, [4, 6, 6]));
  loaded.dispose();
  other.dispose();
  model.dispose();
});

Deno.test("ClassifierScorer applies the intensity window exactly as windowed input data", async () => {
  const model = buildClassifier({ inputShape: SHAPE, hiddenUnits: [8] }, 2);
  const withWindow = new ClassifierScorer(model, { intensityWindow: [-100, 100], weightsId: "w" });
  const plain = new ClassifierScorer(model, { intensityWindow: null, weightsId: "p" });
  const v = volume([6, 8, 8], 4);
  const windowed: Volume = { ...v, data: v.data.map((x) => Math.min(1, Math.max(0, (x + 100) / 200))) };
  const corners = Int32Array.from([0, 0, 0, 2, 2, 2, 1, 0, 2]);
  const a = await withWindow.score(v, corners, SHAPE), b = await plain.score(windowed, corners, SHAPE);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6);
  model.dispose();
});

Deno.test("ClassifierScorer rejects bad corners, windows outside the volume and bad options", async () => {
  const model = buildClassifier({ inputShape: SHAPE, hiddenUnits: [8] }, 2);
  const scorer = new ClassifierScorer(model, { intensityWindow: null, weightsId: "w" });
  const v = volume([6, 8, 8], 5);
  await assert.rejects(scorer.score(v, Int32Array.from([0, 0]), SHAPE), InvalidArgumentError);
  await assert.rejects(scorer.score(v, Int32Array.from([3, 0, 0]), SHAPE), InvalidArgumentError);
  assert.throws(() =>
    new ClassifierScorer(model, { intensityWindow: null, weightsId: "w" }, { batchSize: 0 })
  );
  assert.throws(() => new ClassifierScorer(model, { intensityWindow: [1, 1], weightsId: "w" }));
  model.dispose();
});
