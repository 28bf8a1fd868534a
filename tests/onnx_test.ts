/**
 * The ONNX inference path equals the tfjs model (cpu backend) within 1e-4. Tests that need
 * onnxruntime run only when it loads (it needs --allow-ffi); otherwise they are ignored with the
 * reason printed.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import { diagonalAffine, type Vec3, type Volume } from "../data/types.ts";
import { BackendError, initBackend } from "../models/backend.ts";
import { BatchNorm3d } from "../models/batch_norm3d.ts";
import { buildClassifier, type ClassifierArchitecture } from "../models/classifier.ts";
import { writeClassifierInput } from "../models/classifier_input.ts";
import { saveClassifier } from "../models/checkpoint.ts";
import { CachedScorer } from "../env/cached_scorer.ts";
import { exportClassifierToOnnx, type OnnxLayout, saveClassifierOnnx } from "../models/onnx_export.ts";
import { encodeVarint } from "../models/onnx_proto.ts";
import { loadOnnxRuntime, ONNXRUNTIME_NODE_SPECIFIER, probeOnnxRuntime } from "../models/onnx_runtime.ts";
import { OnnxClassifierScorer } from "../models/onnx_scorer.ts";
import { scratchDir } from "./_helpers.ts";

await initBackend("cpu", { quiet: true });
const probe = await probeOnnxRuntime();
const runtime = "runtime" in probe ? probe.runtime : undefined;
const NO_ORT = runtime === undefined;
if ("reason" in probe) console.warn(`SKIP: onnxruntime tests ignored: ${probe.reason}`);
const LAYOUTS: OnnxLayout[] = ["depthFolded", "conv3d"];
const TOLERANCE = 1e-4;

/** Random batch-norm statistics and scales, so inference differs clearly from the identity. */
function randomizeBatchNorms(model: tfl.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  for (const layer of model.layers) {
    if (!(layer instanceof BatchNorm3d)) continue;
    const c = layer.getWeights()[0].shape[0];
    const v = (lo: number, hi: number) => tf.tensor1d(Array.from({ length: c }, () => rng.uniform(lo, hi)));
    layer.setWeights([v(0.5, 1.5), v(-0.3, 0.3), v(-0.2, 0.2), v(0.3, 2)]);
  }
}

/** Inputs in [0, 1], each sample at its own contrast so that the outputs differ. */
function randomInputs(n: number, shape: Vec3, seed: number): Float32Array {
  const rng = new Rng(seed), voxels = shape[0] * shape[1] * shape[2];
  const data = new Float32Array(n * voxels);
  for (let i = 0; i < n; i++) {
    const contrast = 0.2 + 0.8 * i / Math.max(1, n - 1);
    for (let j = 0; j < voxels; j++) data[i * voxels + j] = contrast * rng.float();
  }
  return data;
}

function tfjsPredict(model: tfl.LayersModel, data: Float32Array, n: number, shape: Vec3): Float32Array {
  return tf.tidy(() =>
    (model.predict(tf.tensor5d(data, [n, ...shape, 1])) as tf.Tensor).dataSync() as Float32Array
  );
}

/**
 * Rescales the output layer so that the logits of `data` have mean 0 and standard deviation 2:
 * probabilities then spread over (0, 1) and a wrong network cannot hide near one value.
 */
function spreadOutputs(model: tfl.LayersModel, data: Float32Array, n: number, shape: Vec3): void {
  const logits = Array.from(tfjsPredict(model, data, n, shape), (p) => Math.log(p / (1 - p)));
  const mean = logits.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(logits.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  const out = model.layers[model.layers.length - 1];
  const [kernel, bias] = out.getWeights();
  const s = 2 / std, b = bias.dataSync()[0];
  out.setWeights([tf.mul(kernel, s), tf.tensor1d([-s * (mean - b)])]);
}

async function onnxPredict(
  bytes: Uint8Array,
  data: Float32Array,
  n: number,
  shape: Vec3,
): Promise<Float32Array> {
  const session = await runtime!.createSession(bytes);
  try {
    return (await session.run({ volume: runtime!.tensor(data, [n, 1, ...shape]) })).presence
      .data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Exports in both layouts and checks both against tfjs cpu on `n` random inputs. */
async function assertExportEqualsTfjs(model: tfl.LayersModel, shape: Vec3, n: number, seed: number) {
  const data = randomInputs(n, shape, seed);
  spreadOutputs(model, data, n, shape);
  const expected = tfjsPredict(model, data, n, shape);
  assert.ok(Math.max(...expected) - Math.min(...expected) > 0.3, `outputs spread: ${expected}`);
  for (const layout of LAYOUTS) {
    const got = await onnxPredict(await exportClassifierToOnnx(model, { layout }), data, n, shape);
    assert.equal(got.length, n);
    for (let i = 0; i < n; i++) {
      assert.ok(
        Math.abs(got[i] - expected[i]) < TOLERANCE,
        `${layout} sample ${i}: onnx ${got[i]} tfjs ${expected[i]}`,
      );
    }
  }
}

Deno.test("encodeVarint writes protobuf varints (hand-computed bytes)", () => {
  assert.deepEqual([...encodeVarint(0)], [0]);
  assert.deepEqual([...encodeVarint(1)], [1]);
  assert.deepEqual([...encodeVarint(127)], [0x7f]);
  assert.deepEqual([...encodeVarint(128)], [0x80, 0x01]);
  assert.deepEqual([...encodeVarint(300)], [0xac, 0x02]);
  assert.deepEqual([...encodeVarint(2 ** 32)], [0x80, 0x80, 0x80, 0x80, 0x10]);
  assert.deepEqual([...encodeVarint(-1)], [...Array(9).fill(0xff), 0x01]);
  assert.throws(() => encodeVarint(1.5), InvalidArgumentError);
});

Deno.test("exportClassifierToOnnx rejects what it cannot translate, naming the layer", async () => {
  const dilated = tfl.sequential({
    layers: [
      tfl.layers.conv3d({
        inputShape: [4, 4, 4, 1],
        filters: 2,
        kernelSize: 3,
        dilationRate: 2,
        name: "dil",
      }),
    ],
  });
  await assert.rejects(exportClassifierToOnnx(dilated), /layer dil \(Conv3D\).*dilation/);
  const dropout = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [2, 2, 2, 1] }),
      tfl.layers.dropout({ rate: 0.5, name: "drop" }),
      tfl.layers.dense({ units: 1, activation: "sigmoid" }),
    ],
  });
  await assert.rejects(exportClassifierToOnnx(dropout), /layer drop \(Dropout\)/);
  const model = buildClassifier({ inputShape: [4, 4, 4], channels: [2], hiddenUnits: [] }, 1);
  await assert.rejects(exportClassifierToOnnx(model, { layout: "nchw" as OnnxLayout }), InvalidArgumentError);
  tf.dispose([dilated, dropout, model].flatMap((m) => m.getWeights()));
});

Deno.test({
  name:
    "exported model is well-formed: onnxruntime loads it (file written atomically) with a batch dimension",
  ignore: NO_ORT,
  fn: async () => {
    const model = buildClassifier({ inputShape: [6, 8, 8], channels: [4, 8], hiddenUnits: [8] }, 3);
    const path = `${await scratchDir("onnx")}/classifier.onnx`;
    const bytes = await saveClassifierOnnx(model, path);
    assert.deepEqual(await Deno.readFile(path), bytes);
    const session = await runtime!.createSession(await Deno.readFile(path));
    assert.deepEqual(session.inputNames, ["volume"]);
    assert.deepEqual(session.outputNames, ["presence"]);
    for (const n of [1, 5]) {
      const y =
        (await session.run({ volume: runtime!.tensor(randomInputs(n, [6, 8, 8], n), [n, 1, 6, 8, 8]) }))
          .presence;
      assert.deepEqual([...y.dims], [n, 1]);
    }
    await session.release();
    await assert.rejects(runtime!.createSession(bytes.subarray(0, bytes.length >> 1)), BackendError);
  },
});

Deno.test({
  name: "default architecture (global max head) at 24x48x48 equals tfjs cpu within 1e-4, both layouts",
  ignore: NO_ORT,
  fn: async () => {
    const model = buildClassifier({ inputShape: [24, 48, 48] }, 11);
    randomizeBatchNorms(model, 1);
    await assertExportEqualsTfjs(model, [24, 48, 48], 3, 2);
    model.dispose();
  },
});

Deno.test({
  name: "default architecture with the flatten head at 24x48x48 equals tfjs cpu within 1e-4, both layouts",
  ignore: NO_ORT,
  fn: async () => {
    const model = buildClassifier({ head: "flatten", inputShape: [24, 48, 48] }, 12);
    randomizeBatchNorms(model, 2);
    await assertExportEqualsTfjs(model, [24, 48, 48], 3, 3);
    model.dispose();
  },
});

Deno.test({
  name: "odd input shapes (asymmetric 'same' padding) equal tfjs cpu for both heads",
  ignore: NO_ORT,
  fn: async () => {
    const cases: [Vec3, ClassifierArchitecture["head"], number[]][] = [
      [[5, 7, 9], "globalMax", [4, 8, 8, 8]],
      [[13, 11, 3], "flatten", [4, 6, 8]], // flattens 2x2x1x8 features
      [[3, 10, 6], "flatten", [3, 5]],
    ];
    for (const [i, [shape, head, channels]] of cases.entries()) {
      const model = buildClassifier({ inputShape: shape, head, channels, hiddenUnits: [16, 8] }, 20 + i);
      randomizeBatchNorms(model, 3 + i);
      await assertExportEqualsTfjs(model, shape, 5, 4 + i);
      model.dispose();
    }
  },
});

Deno.test({
  name:
    "other layer settings (conv bias and relu, 1-deep kernels and pools, pools after batch norm, 'valid' " +
    "pool dropping a slice) equal tfjs cpu",
  ignore: NO_ORT,
  fn: async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv3d({
          inputShape: [7, 9, 8, 1],
          filters: 3,
          kernelSize: [3, 1, 3],
          useBias: true,
          activation: "relu",
          padding: "same",
          biasInitializer: "randomNormal",
        }),
        tfl.layers.maxPooling3d({ poolSize: [1, 2, 2], padding: "same" }),
        tfl.layers.conv3d({ filters: 4, kernelSize: [1, 2, 2], padding: "valid", useBias: false }), // 7x4x3
        new BatchNorm3d({}),
        tfl.layers.maxPooling3d({ poolSize: 2, padding: "valid" }), // 3x2x1: depth slice 6 unused
        new BatchNorm3d({}),
        // Negative inputs: the padding (depth, at the end) must never win the max.
        tfl.layers.maxPooling3d({ poolSize: 2, padding: "same" }), // 2x1x1
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 1, activation: "sigmoid" }),
      ],
    });
    randomizeBatchNorms(model, 9);
    await assertExportEqualsTfjs(model, [7, 9, 8], 5, 9);
    model.dispose();
  },
});

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
