import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { initBackend } from "../models/backend.ts";
import { buildClassifier, resolveArchitecture } from "../models/classifier.ts";
import { CheckpointError, loadClassifier, saveClassifier, sha256Hex } from "../models/checkpoint.ts";
import { SparsGymError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import { scratchDir } from "./_helpers.ts";

await initBackend("cpu", { quiet: true });

const ARCH = resolveArchitecture({ inputShape: [4, 8, 8], hiddenUnits: [8, 4] });

function input(seed: number): tf.Tensor5D {
  const rng = new Rng(seed);
  return tf.tensor5d(Float32Array.from({ length: 3 * 4 * 8 * 8 }, () => rng.float()), [3, 4, 8, 8, 1]);
}

/** A small classifier whose batch-norm statistics are not the initial ones (one training step). */
function trainedModel(): tfl.LayersModel {
  const model = buildClassifier(ARCH, 3);
  const x = input(1), y = tf.tensor2d([1, 0, 1], [3, 1]);
  const optimizer = tf.train.adam(1e-2);
  tf.dispose(
    optimizer.minimize(
      () =>
        tf.mean(
          tfl.metrics.binaryCrossentropy(y, model.apply(x, { training: true }) as tf.Tensor),
        ) as tf.Scalar,
      true,
    )!,
  );
  tf.dispose([x, y]);
  optimizer.dispose();
  return model;
}

async function saved(): Promise<{ dir: string; model: tfl.LayersModel }> {
  const model = trainedModel();
  const dir = `${await scratchDir("checkpoint")}/classifier`;
  await saveClassifier(model, dir, {
    intensityWindow: [-200, 250],
    architecture: ARCH,
    training: { epochs: 1 },
  });
  return { dir, model };
}

Deno.test("checkpoint round trip: identical predictions, complete classifier.json, standard tfjs files", async () => {
  const { dir, model } = await saved();
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assert.deepEqual(names, ["classifier.json", "model.json", "weights.bin"]);
  const { model: loaded, meta } = await loadClassifier(dir);
  const x = input(2);
  const a = (model.predict(x) as tf.Tensor).dataSync(), b = (loaded.predict(x) as tf.Tensor).dataSync();
  assert.deepEqual(Array.from(b), Array.from(a));
  assert.equal(meta.format, "spars-gym-classifier");
  assert.deepEqual(meta.inputShape, [4, 8, 8]);
  assert.deepEqual(meta.intensityWindow, [-200, 250]);
  assert.deepEqual(meta.architecture, ARCH);
  assert.deepEqual(meta.training, { epochs: 1 });
  const weights = await Deno.readFile(`${dir}/weights.bin`);
  assert.equal(meta.weights.bytes, weights.byteLength);
  assert.equal(meta.weights.sha256, await sha256Hex(weights));
  // model.json is the tfjs layers-model format, readable by plain tf.loadLayersModel.
  const modelJson = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
  assert.equal(modelJson.format, "layers-model");
  assert.deepEqual(modelJson.weightsManifest[0].paths, ["weights.bin"]);
  const plain = await tfl.loadLayersModel(tf.io.fromMemory({
    modelTopology: modelJson.modelTopology,
    weightSpecs: modelJson.weightsManifest[0].weights,
    weightData: weights.buffer as ArrayBuffer,
  }));
  assert.deepEqual(Array.from((plain.predict(x) as tf.Tensor).dataSync()), Array.from(a));
  tf.dispose([x]);
  model.dispose();
  loaded.dispose();
  plain.dispose();
});

Deno.test("checkpoint: a corrupted or truncated weights.bin is rejected with CheckpointError", async () => {
  const { dir, model } = await saved();
  model.dispose();
  const path = `${dir}/weights.bin`;
  const original = await Deno.readFile(path);
  const flipped = original.slice();
  flipped[17] ^= 0x40;
  await Deno.writeFile(path, flipped);
  await assert.rejects(loadClassifier(dir), (e: unknown) => {
    assert.ok(e instanceof CheckpointError && e instanceof SparsGymError);
    assert.match(e.message, /weights\.bin.*SHA-256.*corrupt/);
    return true;
  });
  await Deno.writeFile(path, original.subarray(0, original.length - 4));
  await assert.rejects(loadClassifier(dir), (e: unknown) => {
    assert.ok(e instanceof CheckpointError);
    assert.match(e.message, new RegExp(`has ${original.length - 4} bytes`));
    return true;
  });
  await Deno.remove(path);
  await assert.rejects(loadClassifier(dir), CheckpointError);
});

Deno.test("checkpoint: a wrong input size is rejected with CheckpointError", async () => {
  const { dir, model } = await saved();
  model.dispose();
  await assert.rejects(loadClassifier(dir, [24, 48, 48]), (e: unknown) => {
    assert.ok(e instanceof CheckpointError);
    assert.match(e.message, /input shape 4x8x8.*24x48x48 \(the caller\)/);
    return true;
  });
  // classifier.json disagreeing with the model topology.
  const metaPath = `${dir}/classifier.json`;
  const meta = JSON.parse(await Deno.readTextFile(metaPath));
  meta.inputShape = [8, 8, 8];
  meta.architecture.inputShape = [8, 8, 8];
  await Deno.writeTextFile(metaPath, JSON.stringify(meta));
  await assert.rejects(loadClassifier(dir), /input shape 4x8x8.*8x8x8 \(classifier.json\)/);
  meta.inputShape = [8, 8];
  await Deno.writeTextFile(metaPath, JSON.stringify(meta));
  await assert.rejects(loadClassifier(dir), /inputShape/);
  await Deno.writeTextFile(metaPath, "{not json");
  await assert.rejects(loadClassifier(dir), /not a JSON object/);
});

Deno.test("checkpoint: saving refuses an existing directory unless overwrite, and leaves no temporary folder", async () => {
  const { dir, model } = await saved();
  const before = (await loadClassifier(dir)).meta.weights.sha256;
  await assert.rejects(
    saveClassifier(model, dir, { intensityWindow: null, architecture: ARCH }),
    /already exists/,
  );
  model.setWeights(model.getWeights().map((w) => tf.mul(w, 0.5)));
  const meta = await saveClassifier(model, dir, { intensityWindow: null, architecture: ARCH }, {
    overwrite: true,
  });
  assert.notEqual(meta.weights.sha256, before);
  const { meta: reloaded, model: loaded } = await loadClassifier(dir);
  assert.equal(reloaded.weights.sha256, meta.weights.sha256);
  assert.equal(reloaded.intensityWindow, null);
  const parent = dir.slice(0, dir.lastIndexOf("/"));
  assert.deepEqual([...Deno.readDirSync(parent)].map((e) => e.name), ["classifier"]);
  await assert.rejects(
    saveClassifier(model, `${parent}/other`, {
      intensityWindow: null,
      architecture: { ...ARCH, inputShape: [4, 4, 4] },
    }),
    /model takes 4x8x8/,
  );
  model.dispose();
  loaded.dispose();
});
