import nodeAssert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { PixelA2cLearner } from "../agents/pixel_a2c.ts";
import { Rng } from "../data/random.ts";
import { PixelSegEnv, type PixelSlice } from "../env/pixel/pixel_env.ts";
import { PixelNetwork, SMALL_PIXEL_NETWORK } from "../models/pixel_network.ts";
import { initBackend } from "../models/backend.ts";
import { initialKeepProbability, trainCrossEntropyFcn } from "../train/pixel_train.ts";

await initBackend("wasm"); // the cpu backend takes ~10x longer on the learning test

Deno.test("initialKeepProbability: mean softmax keep over truth and other pixels, by hand", async () => {
  // Stub network: logits [0, ln 3] (keep 3/4) where the image is bright, [0, 0] (keep 1/2) elsewhere;
  // it also checks that the mask channel it is given is all foreground.
  const network = {
    config: { actions: 2 },
    forward: (x: tf.Tensor4D) => {
      const [image, mask] = tf.split(x, 2, 3);
      nodeAssert.equal(tf.min(mask).dataSync()[0], 1);
      const keep = tf.mul(tf.cast(tf.greater(image, 0.5), "float32"), Math.log(3));
      return { logits: tf.concat([tf.zerosLike(keep), keep], 3), values: tf.squeeze(image, [3]) };
    },
  };
  const learner = { network } as unknown as PixelA2cLearner;
  const s: PixelSlice = {
    id: "a",
    shape: [2, 2],
    spacing: [1, 1],
    image: Float32Array.from([0.9, 0.9, 0.1, 0.1]),
    truth: Uint8Array.from([1, 0, 0, 0]),
  };
  const t: PixelSlice = { ...s, id: "b", truth: Uint8Array.from([1, 1, 1, 0]) };
  const p = await initialKeepProbability(learner, [s, t]);
  // truth pixels: a0 0.75, b0 0.75, b1 0.75, b2 0.5; other: a1 0.75, a2 0.5, a3 0.5, b3 0.5.
  nodeAssert.ok(Math.abs(p.truth - (0.75 * 3 + 0.5) / 4) < 1e-6, `${p.truth}`);
  nodeAssert.ok(Math.abs(p.other - (0.75 + 0.5 * 3) / 4) < 1e-6, `${p.other}`);
});

/** 16x16 slices, each pixel truth with probability `share`; truth pixels brighter (separable). */
function separableSlices(n: number, seed: number, share: number): PixelSlice[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, k) => {
    const truth = new Uint8Array(256), image = new Float32Array(256);
    for (let i = 0; i < 256; i++) {
      truth[i] = rng.float() < share ? 1 : 0;
      image[i] = truth[i] ? 0.6 + 0.2 * rng.float() : 0.2 + 0.3 * rng.float();
    }
    return { id: `s${k}`, shape: [16, 16], spacing: [1, 1], image, truth };
  });
}

Deno.test("pixel a2c: from scratch on a balanced separable toy, the policy learns to keep truth pixels", async () => {
  // One-step episodes: set background pays +1 on non-truth, -1 on truth, keep pays 0. A correct
  // actor-critic raises keep on truth pixels above keep on the others; a flipped advantage sign or
  // a misaligned action map would not.
  const net = new PixelNetwork({
    ...SMALL_PIXEL_NETWORK,
    trunk: [{ channels: 8, dilation: 1 }, { channels: 8, dilation: 2 }],
  }, 0);
  const learner = new PixelA2cLearner(net, { tMax: 1, batchSize: 2 }, 0);
  const train = separableSlices(8, 1, 0.5), test = separableSlices(4, 2, 0.5);
  const envs = [0, 1].map(() => new PixelSegEnv({ slices: train, tMax: 1 }));
  const before = await initialKeepProbability(learner, test);
  for (let u = 0; u < 150; u++) {
    const obs = envs.map((e, i) => e.reset({ seed: u * 2 + i }).observation);
    await learner.update(await learner.collect(envs, obs), learner.options.learningRate);
  }
  const after = await initialKeepProbability(learner, test);
  learner.dispose();
  net.dispose();
  nodeAssert.ok(Math.abs(before.truth - before.other) < 0.02, JSON.stringify(before));
  nodeAssert.ok(after.truth > after.other + 0.1, JSON.stringify(after));
});

Deno.test("trainCrossEntropyFcn: --fcn-steps stops after exactly that many Adam steps", async () => {
  const net = new PixelNetwork({ ...SMALL_PIXEL_NETWORK, trunk: [{ channels: 4, dilation: 1 }] }, 0);
  const before = net.getWeights();
  const r = await trainCrossEntropyFcn(net, separableSlices(4, 3, 0.5), {
    maxSeconds: 60, // not the limit: 3 steps take well under a second
    maxSteps: 3,
    learningRate: 1e-2,
    batchSize: 2,
    seed: 0,
    maskStates: "random",
  });
  nodeAssert.equal(r.steps, 3);
  nodeAssert.notDeepEqual(net.getWeights(), before);
  net.dispose();
});

/**
 * A stub network on 2x2 slices whose greedy action depends on the mask channel: with f > `floor`
 * foreground pixels it sets pixel f - 1 to background and "keeps" every other pixel, background
 * ones included; with f <= `floor` it keeps all (a fixed point). It records the mask channel of
 * every sample it sees. One variable (times 0) gives Adam a gradient.
 */
function maskRecordingStub(seen: string[], floor: number) {
  const bias = tf.variable(tf.zeros([1]), true, "stub_bias");
  return {
    config: { actions: 2 },
    variables: [bias],
    forward: (x: tf.Tensor4D) => {
      const [b] = x.shape, v = x.dataSync(), logits = new Float32Array(b * 4 * 2);
      for (let j = 0; j < b; j++) {
        const mask = [0, 1, 2, 3].map((i) => v[(j * 4 + i) * 2 + 1]);
        seen.push(mask.join(""));
        const fg = mask.reduce((a, m) => a + m, 0);
        for (let i = 0; i < 4; i++) logits[(j * 4 + i) * 2 + 1] = i === fg - 1 && fg > floor ? -5 : 5;
      }
      return { logits: tf.add(tf.tensor4d(logits, [b, 2, 2, 2]), tf.mul(bias, 0)) as tf.Tensor4D };
    },
    dispose: () => bias.dispose(),
  };
}

async function seenMasks(
  maskStates: "start" | "random" | "visited",
  tMax: number,
  floor = 0,
): Promise<string[]> {
  const seen: string[] = [], stub = maskRecordingStub(seen, floor);
  const slice: PixelSlice = {
    id: "a",
    shape: [2, 2],
    spacing: [1, 1],
    image: new Float32Array(4).fill(0.5),
    truth: Uint8Array.from([1, 0, 0, 0]),
  };
  const before = tf.memory().numTensors;
  await trainCrossEntropyFcn(stub as unknown as PixelNetwork, [slice], {
    maxSeconds: 60,
    maxSteps: 60,
    learningRate: 1e-3,
    batchSize: 1,
    seed: 3,
    maskStates,
    tMax,
  });
  nodeAssert.equal(tf.memory().numTensors, before, "no tensor left behind");
  stub.dispose();
  return seen;
}

Deno.test("trainCrossEntropyFcn: visited mask states follow the network's own greedy rollout", async () => {
  // From 1111 the stub drops pixel 3, then 2 (keeping the background pixel 3: it must stay background,
  // else 1101 would appear), then 1: the rollout shows 1111, 1110, 1100, 1000 and restarts after tMax.
  const distinct = async (...a: Parameters<typeof seenMasks>) => [...new Set(await seenMasks(...a))].sort();
  nodeAssert.deepEqual(await distinct("visited", 4), ["1000", "1100", "1110", "1111"]);
  nodeAssert.deepEqual(await distinct("visited", 2), ["1110", "1111"]);
  nodeAssert.deepEqual(await distinct("start", 4), ["1111"]);
  nodeAssert.ok((await distinct("random", 4)).length > 4, "random masks are pixel noise");
  // With a fixed point at 1100 the rollout restarts there instead of showing 1100 until tMax: the
  // cycle is 1111, 1110, 1100, so 1100 is shown as often as 1110 (once more at most).
  const fixed = await seenMasks("visited", 10, 2), count = (m: string) => fixed.filter((x) => x === m).length;
  nodeAssert.deepEqual([...new Set(fixed)].sort(), ["1100", "1110", "1111"]);
  nodeAssert.ok(
    count("1100") >= 3 && count("1100") <= count("1110") + 1,
    `${count("1100")} vs ${count("1110")}`,
  );
});
