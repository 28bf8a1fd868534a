/**
 * Multi-channel classifier input (issue 12, `--channels flair,t1ce,t2`): the scorer feeds every
 * channel a dataset registered for the image, channels last, in order; tfjs and the exported ONNX
 * graph (an independent runtime) agree; a volume without its channels is refused, not scored on
 * channel 0 alone. Expected inputs are built by hand (window = network input: a plain copy).
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { registerChannels } from "../data/channels.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import { diagonalAffine, type Vec3, type Volume } from "../data/types.ts";
import { initBackend } from "../models/backend.ts";
import { buildClassifier, modelInputChannels } from "../models/classifier.ts";
import { ClassifierScorer } from "../models/classifier_scorer.ts";
import { probeOnnxRuntime } from "../models/onnx_runtime.ts";
import { OnnxClassifierScorer } from "../models/onnx_scorer.ts";

await initBackend("cpu", { quiet: true });
const probe = await probeOnnxRuntime();
const runtime = "runtime" in probe ? probe.runtime : undefined;

const SHAPE: Vec3 = [6, 8, 8], INPUT: Vec3 = [4, 4, 4];
const CORNERS = Int32Array.from([0, 0, 0, 2, 4, 4, 1, 3, 2]);

function volume(id: string, seed: number): Volume {
  const rng = new Rng(seed), n = SHAPE[0] * SHAPE[1] * SHAPE[2];
  const data = Float32Array.from({ length: n }, () => rng.uniform(0, 1));
  return { id, shape: SHAPE, spacing: [1, 1, 1], data, affine: diagonalAffine([1, 1, 1]) };
}

/** The network input of the window at `corner`, channels last, written by plain indexing. */
function handInput(channels: readonly Volume[], corner: number[]): Float32Array {
  const [d, h, w] = INPUT, c = channels.length, out = new Float32Array(d * h * w * c);
  for (let z = 0; z < d; z++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const src = ((corner[0] + z) * SHAPE[1] + corner[1] + y) * SHAPE[2] + corner[2] + x;
        for (let k = 0; k < c; k++) out[((z * h + y) * w + x) * c + k] = channels[k].data[src];
      }
    }
  }
  return out;
}

async function predictByHand(
  model: ReturnType<typeof buildClassifier>,
  inputs: Float32Array[],
): Promise<number[]> {
  const c = modelInputChannels(model), n = inputs.length;
  const buffer = new Float32Array(inputs.reduce((a, b) => a + b.length, 0));
  inputs.forEach((x, i) => buffer.set(x, i * x.length));
  const p = model.predict(tf.tensor5d(buffer, [n, INPUT[0], INPUT[1], INPUT[2], c])) as tf.Tensor;
  return Array.from(await p.data());
}

Deno.test("a 3-channel classifier scores the registered channels in order (tfjs and ONNX agree)", async () => {
  const model = buildClassifier(
    { inputShape: INPUT, inputChannels: 3, channels: [4, 8], hiddenUnits: [8] },
    3,
  );
  assert.equal(modelInputChannels(model), 3);
  const channels = [volume("flair", 1), volume("t1ce", 2), volume("t2", 3)];
  registerChannels(channels);
  const corners = [[0, 0, 0], [2, 4, 4], [1, 3, 2]];
  const expected = await predictByHand(model, corners.map((c) => handInput(channels, c)));
  const scorer = await ClassifierScorer.fromModel(model, null, { batchSize: 2 });
  const scores = Array.from(await scorer.score(channels[0], CORNERS, INPUT));
  scores.forEach((s, i) => assert.ok(Math.abs(s - expected[i]) < 1e-6, `${i}: ${s} vs ${expected[i]}`));
  // Another channel order is another input: the scorer does not read channel 0 alone.
  const swapped = [channels[0], channels[2], channels[1]].map((v) => ({ ...v }));
  registerChannels(swapped);
  const other = Array.from(await scorer.score(swapped[0], CORNERS, INPUT));
  const expectedSwapped = await predictByHand(model, corners.map((c) => handInput(swapped, c)));
  other.forEach((s, i) => assert.ok(Math.abs(s - expectedSwapped[i]) < 1e-6));
  assert.ok(other.some((s, i) => Math.abs(s - scores[i]) > 1e-6), "channel order changes the scores");
  if (runtime) {
    for (const layout of ["depthFolded", "conv3d"] as const) {
      const onnx = await OnnxClassifierScorer.fromModel(model, null, { batchSize: 2, runtime, layout });
      const viaOnnx = Array.from(await onnx.score(channels[0], CORNERS, INPUT));
      viaOnnx.forEach((s, i) =>
        assert.ok(Math.abs(s - expected[i]) < 1e-4, `${layout} ${i}: ${s} vs ${expected[i]}`)
      );
      await onnx.dispose?.();
    }
  }
  model.dispose();
});

Deno.test("a multi-channel classifier refuses a volume without its channels; one channel is unchanged", async () => {
  const model = buildClassifier({ inputShape: INPUT, inputChannels: 2, channels: [4], hiddenUnits: [8] }, 1);
  const scorer = await ClassifierScorer.fromModel(model, null);
  await assert.rejects(() => scorer.score(volume("alone", 4), CORNERS, INPUT), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError);
    assert.match(e.message, /1 channel/);
    return true;
  });
  model.dispose();
  const single = buildClassifier({ inputShape: INPUT, channels: [4], hiddenUnits: [8] }, 1);
  assert.equal(modelInputChannels(single), 1);
  const v = volume("ct", 5);
  const expected = await predictByHand(
    single,
    [[0, 0, 0], [2, 4, 4], [1, 3, 2]].map((c) => handInput([v], c)),
  );
  const scores = await (await ClassifierScorer.fromModel(single, null)).score(v, CORNERS, INPUT);
  Array.from(scores).forEach((s, i) => assert.ok(Math.abs(s - expected[i]) < 1e-6));
  single.dispose();
});
