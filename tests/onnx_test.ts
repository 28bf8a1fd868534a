/**
 * The ONNX inference path equals the tfjs model (cpu backend) within 1e-4. Tests that need
 * onnxruntime run only when it loads (it needs --allow-ffi); otherwise they are ignored with the
 * reason printed.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";
import { BackendError } from "../models/backend.ts";
import { BatchNorm3d } from "../models/batch_norm3d.ts";
import { buildClassifier, type ClassifierArchitecture } from "../models/classifier.ts";
import { exportClassifierToOnnx, type OnnxLayout, saveClassifierOnnx } from "../models/onnx_export.ts";
import { encodeVarint } from "../models/onnx_proto.ts";
import {
  NO_ORT,
  randomInputs,
  randomizeBatchNorms,
  runtime,
  spreadOutputs,
  tfjsPredict,
  TOLERANCE,
} from "./_onnx.ts";
import { scratchDir } from "./_helpers.ts";

const LAYOUTS: OnnxLayout[] = ["depthFolded", "conv3d"];

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
