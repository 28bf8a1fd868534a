/**
 * OnnxClassifierScorer (the classifier on onnxruntime) equals tfjs predictions within 1e-4, over one
 * or several volumes, behind CachedScorer and from a checkpoint; bad input and a missing runtime are
 * typed errors. Tests that need onnxruntime run only when it loads (--allow-ffi).
 */
import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import { diagonalAffine, type Vec3, type Volume } from "../data/types.ts";
import { BackendError } from "../models/backend.ts";
import { buildClassifier } from "../models/classifier.ts";
import { writeClassifierInput } from "../models/classifier_input.ts";
import { saveClassifier } from "../models/checkpoint.ts";
import { CachedScorer } from "../env/cached_scorer.ts";
import { exportClassifierToOnnx } from "../models/onnx_export.ts";
import { loadOnnxRuntime, ONNXRUNTIME_NODE_SPECIFIER } from "../models/onnx_runtime.ts";
import { OnnxClassifierScorer } from "../models/onnx_scorer.ts";
import { NO_ORT, randomizeBatchNorms, runtime, spreadOutputs, tfjsPredict, TOLERANCE } from "./_onnx.ts";
import { scratchDir } from "./_helpers.ts";

function volume(shape: Vec3, seed: number): Volume {
  const rng = new Rng(seed);
  const data = Float32Array.from({ length: shape[0] * shape[1] * shape[2] }, () => rng.uniform(-300, 300));
  return { id: `v${seed}`, shape, spacing: [1, 1, 1], data, affine: diagonalAffine([1, 1, 1]) };
}

function randomCorners(n: number, volumeShape: Vec3, size: Vec3, rng: Rng): Int32Array {
  const corners = new Int32Array(3 * n);
  for (let i = 0; i < 3 * n; i++) corners[i] = rng.int(volumeShape[i % 3] - size[i % 3] + 1);
  return corners;
}

const SHAPE: Vec3 = [8, 12, 10];
const WINDOW: [number, number] = [-200, 250];

Deno.test({
  name: "OnnxClassifierScorer on n corners equals n single-window tfjs predictions within 1e-4",
  ignore: NO_ORT,
  fn: async () => {
    const model = buildClassifier({ inputShape: SHAPE, hiddenUnits: [16, 8] }, 5);
    randomizeBatchNorms(model, 5);
    const v = volume([20, 25, 24], 1), size: Vec3 = [11, 15, 13]; // resampled to 8x12x10
    const corners = randomCorners(7, v.shape, size, new Rng(8));
    const inputs = new Float32Array(7 * 960);
    for (let i = 0; i < 7; i++) {
      const corner: Vec3 = [corners[3 * i], corners[3 * i + 1], corners[3 * i + 2]];
      writeClassifierInput(v, corner, size, SHAPE, WINDOW, inputs.subarray(i * 960, (i + 1) * 960));
    }
    spreadOutputs(model, inputs, 7, SHAPE);
    const scorer = await OnnxClassifierScorer.fromModel(model, WINDOW, { batchSize: 3, runtime });
    const batched = await scorer.score(v, corners, size);
    assert.equal(batched.length, 7);
    for (let i = 0; i < 7; i++) {
      const single = tfjsPredict(model, inputs.subarray(i * 960, (i + 1) * 960), 1, SHAPE)[0];
      assert.ok(Math.abs(single - batched[i]) < TOLERANCE, `window ${i}: tfjs ${single} onnx ${batched[i]}`);
    }
    assert.ok(Math.max(...batched) - Math.min(...batched) > 0.3, `scores spread: ${batched}`);
    assert.deepEqual(await scorer.score(v, new Int32Array(0), size), new Float32Array(0));
    await scorer.dispose();
    model.dispose();
  },
});

Deno.test({
  name: "OnnxClassifierScorer.scoreBatch over several volumes equals per-volume scores; calls are serialised",
  ignore: NO_ORT,
  fn: async () => {
    const model = buildClassifier({ inputShape: SHAPE, hiddenUnits: [8] }, 6);
    randomizeBatchNorms(model, 6);
    const scorer = await OnnxClassifierScorer.fromModel(model, WINDOW, { batchSize: 4, runtime });
    const size: Vec3 = [8, 12, 10], rng = new Rng(3);
    const requests = [volume([10, 14, 12], 2), volume([9, 12, 16], 3), volume([8, 12, 10], 4)].map((
      v,
      i,
    ) => ({
      volume: v,
      corners: randomCorners([3, 6, 0][i], v.shape, size, rng),
    }));
    const together = await scorer.scoreBatch(requests, size);
    const alone = await Promise.all(requests.map((r) => scorer.score(r.volume, r.corners, size)));
    assert.equal(together.length, 3);
    for (let r = 0; r < 3; r++) {
      assert.equal(together[r].length, requests[r].corners.length / 3);
      for (let i = 0; i < together[r].length; i++) assert.ok(Math.abs(together[r][i] - alone[r][i]) < 1e-6);
    }
    const sequential = [];
    for (const r of requests) sequential.push(await scorer.score(r.volume, r.corners, size));
    assert.deepEqual(alone, sequential);
    await scorer.dispose();
    model.dispose();
  },
});

Deno.test({
  name: "OnnxClassifierScorer.load scores a checkpoint as the model it saved; its id follows the weights",
  ignore: NO_ORT,
  fn: async () => {
    const architecture = {
      inputShape: SHAPE,
      channels: [4, 8],
      hiddenUnits: [8],
      batchNormMomentum: 0.9,
      head: "flatten",
    } as const;
    const model = buildClassifier(architecture, 7);
    randomizeBatchNorms(model, 7);
    const dir = `${await scratchDir("onnx_scorer")}/classifier`;
    const meta = await saveClassifier(model, dir, { intensityWindow: WINDOW, architecture });
    const loaded = await OnnxClassifierScorer.load(dir, { batchSize: 2, runtime, layout: "conv3d" });
    assert.equal(loaded.id, `classifier-onnx:${meta.weights.sha256.slice(0, 12)}`);
    assert.deepEqual(loaded.inputShape, SHAPE);
    const fresh = await OnnxClassifierScorer.fromModel(model, WINDOW, { runtime });
    assert.match(fresh.id, /^classifier-onnx:[0-9a-f]{12}$/);
    const v = volume([10, 14, 12], 5), corners = Int32Array.from([0, 0, 0, 2, 2, 2, 1, 0, 2]);
    const a = await loaded.score(v, corners, SHAPE), b = await fresh.score(v, corners, SHAPE);
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6);
    await loaded.dispose();
    await fresh.dispose();
    model.dispose();
  },
});

Deno.test({
  name: "OnnxClassifierScorer rejects bad corners, windows outside the volume and bad options",
  ignore: NO_ORT,
  fn: async () => {
    const model = buildClassifier({ inputShape: SHAPE, channels: [2], hiddenUnits: [] }, 2);
    const scorer = await OnnxClassifierScorer.fromModel(model, null, { runtime });
    const v = volume([8, 12, 10], 5);
    await assert.rejects(scorer.score(v, Int32Array.from([0, 0]), SHAPE), InvalidArgumentError);
    await assert.rejects(scorer.score(v, Int32Array.from([1, 0, 0]), SHAPE), InvalidArgumentError);
    await assert.rejects(
      OnnxClassifierScorer.fromModel(model, null, { batchSize: 0, runtime }),
      InvalidArgumentError,
    );
    await assert.rejects(OnnxClassifierScorer.fromModel(model, [1, 1], { runtime }), InvalidArgumentError);
    await assert.rejects(
      OnnxClassifierScorer.fromModel(model, null, { intraOpThreads: 0, runtime }),
      BackendError,
    );
    // Still usable after rejected calls.
    assert.equal((await scorer.score(v, Int32Array.from([0, 0, 0]), SHAPE)).length, 1);
    await scorer.dispose();
    model.dispose();
  },
});

Deno.test({
  name: "OnnxClassifierScorer works behind CachedScorer; a spec that contradicts the model fails clearly",
  ignore: NO_ORT,
  fn: async () => {
    const model = buildClassifier({ inputShape: SHAPE, channels: [2, 4], hiddenUnits: [4] }, 8);
    const scorer = await OnnxClassifierScorer.fromModel(model, WINDOW, { runtime });
    const cached = new CachedScorer(scorer);
    const v = volume([9, 13, 11], 6), corners = Int32Array.from([0, 0, 0, 1, 1, 1]);
    const direct = await scorer.score(v, corners, SHAPE);
    assert.deepEqual(await cached.score(v, corners, SHAPE), direct);
    assert.deepEqual(await cached.score(v, corners, SHAPE), direct);
    const wrong = await OnnxClassifierScorer.fromOnnx(
      await exportClassifierToOnnx(model),
      { inputShape: [4, 6, 6], intensityWindow: WINDOW, weightsId: "w" },
      { runtime },
    );
    await assert.rejects(
      wrong.score(v, corners, [4, 6, 6]),
      (e: Error) => e instanceof BackendError && /4, 6, 6/.test(e.message),
    );
    await wrong.dispose();
    await scorer.dispose();
    model.dispose();
  },
});

Deno.test("a missing or invalid runtime is a BackendError that says how to get onnxruntime-node", async () => {
  const missing = new URL("../.tmp/no-such-onnxruntime/index.js", import.meta.url).href;
  const ffi = Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  for (const specifier of [missing, "node:path"]) {
    const error = await loadOnnxRuntime(specifier).then(() => null, (e) => e);
    assert.ok(error instanceof BackendError, `${specifier}: ${error}`);
    assert.ok(error.message.includes(ONNXRUNTIME_NODE_SPECIFIER) && error.message.includes("--allow-ffi"));
    assert.match(
      error.message,
      ffi ? (specifier === missing ? /cannot be loaded/ : /exports no InferenceSession/) : /not granted/,
    );
  }
});

Deno.test({
  name: "without --allow-ffi, loading onnxruntime is a BackendError naming the permission",
  permissions: { read: "inherit", env: "inherit", ffi: false },
  fn: async () => {
    await assert.rejects(
      loadOnnxRuntime(),
      (e: Error) =>
        e instanceof BackendError && /--allow-ffi/.test(e.message) && /not granted/.test(e.message),
    );
  },
});
