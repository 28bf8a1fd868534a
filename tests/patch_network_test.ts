/**
 * The patch game's fully convolutional network (`agents/patch_network.ts`): its trunk plan and patch
 * pooling by hand, logits of hand-set weights equal to each patch's mean intensity (shape, patch
 * order, terminate and value heads), masking in the agent, argmax following the object, translation
 * equivariance of the per-patch logits at random weights (the dense head has none), a flat tensor
 * count, determinism under a seed, weight round trips and refused options.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../models/backend.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import { Adam } from "../agents/adam.ts";
import { PatchPolicyNetwork, patchPoolingMatrix, patchTrunkPlan } from "../agents/patch_network.ts";
import { maskedPpoUpdate, PatchPolicyAgent } from "../agents/patch_policy.ts";
import { resolvePpoOptions } from "../agents/ppo.ts";
import type { NamedWeight } from "../agents/snapshot.ts";

await initBackend("cpu");

Deno.test("patchTrunkPlan: depth-1 stride-2 convolutions down to the grid, then kernel-3 context layers", () => {
  const plan = patchTrunkPlan([1, 32, 32], [1, 8, 8], 2, 16);
  assert.deepEqual(plan.map((s) => [s.kernel, s.stride, s.shape, s.channels]), [
    [[1, 2, 2], [1, 2, 2], [1, 16, 16], 8],
    [[1, 2, 2], [1, 2, 2], [1, 8, 8], 16],
    [[1, 3, 3], [1, 1, 1], [1, 8, 8], 16],
    [[1, 3, 3], [1, 1, 1], [1, 8, 8], 16],
  ]);
  // z halves once (4 -> 2 = grid), y and x twice (16 -> 8 -> 4); 6 is not a power of 2 times 4
  assert.deepEqual(patchTrunkPlan([4, 16, 6], [2, 4, 4], 0, 5).map((s) => [s.stride, s.shape]), [
    [[2, 2, 1], [2, 8, 6]],
    [[1, 2, 1], [2, 4, 6]],
  ]);
  // observation = grid: one 1x1x1 stage
  assert.deepEqual(patchTrunkPlan([1, 4, 4], [1, 4, 4], 0, 5).map((s) => [s.kernel, s.shape]), [
    [[1, 1, 1], [1, 4, 4]],
  ]);
  assert.throws(() => patchTrunkPlan([1, 4, 4], [1, 8, 8], 1, 4), InvalidArgumentError);
});

Deno.test("patchPoolingMatrix: 1/m over each patch's cells by hand; null when the map is the grid", () => {
  const m = patchPoolingMatrix([1, 4, 4], [1, 2, 2])!;
  const row = (p: number) =>
    [...m.subarray(p * 16, p * 16 + 16)].map((v, i) => (v ? i : -1)).filter((i) => i >= 0);
  assert.deepEqual([row(0), row(1), row(2), row(3)], [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [
    10,
    11,
    14,
    15,
  ]]);
  assert.ok([...m].every((v) => v === 0 || v === 0.25));
  // 3 cells over 2 patches: centres 0.5, 1.5, 2.5 of 3 -> patches 0, 1 (1.5 * 2 / 3 = 1), 1
  const odd = patchPoolingMatrix([1, 1, 3], [1, 1, 2])!;
  assert.deepEqual([...odd], [1, 0, 0, 0, 0.5, 0.5]);
  assert.equal(patchPoolingMatrix([1, 8, 8], [1, 8, 8]), null);
});

/**
 * Weights making each patch logit the mean intensity of its cells (conv1, conv2: 2x2 means of
 * channel 0 into channel 0; context: centre tap; patch head: channel 0), terminate logit 0.5 and
 * value 2 (zero hidden layer, head biases). Intensities >= 0 pass the relus unchanged.
 */
function meanIntensityWeights(net: PatchPolicyNetwork): NamedWeight[] {
  const out: NamedWeight[] = [];
  net.variables.forEach((v, i) => {
    const name = net.weightNames[i], values = new Float32Array(v.size), shape = [...v.shape];
    const at = (idx: number[]) => idx.reduce((acc, d, a) => acc * shape[a] + d, 0);
    if (/conv\d\/kernel/.test(name) && shape[1] === 2) {
      for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) values[at([0, y, x, 0, 0])] = 0.25;
    } else if (/conv\d\/kernel/.test(name)) values[at([0, 1, 1, 0, 0])] = 1;
    else if (name.endsWith("patch_logit/kernel")) values[0] = 1;
    else if (name.endsWith("terminate_logit/bias")) values[0] = 0.5;
    else if (name.endsWith("value/bias")) values[0] = 2;
    out.push({ name, shape, values });
  });
  return out;
}

/** An observation [1, s, s, 2] with `intensity(y, x)` in channel 0 and `taken(y, x)` in channel 1. */
function observation(s: number, intensity: (y: number, x: number) => number, taken = () => 0): Float32Array {
  const o = new Float32Array(s * s * 2);
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) [o[2 * (y * s + x)], o[2 * (y * s + x) + 1]] = [intensity(y, x), taken()];
  }
  return o;
}

Deno.test("hand-set weights: logits [n, 5] = each patch's mean intensity (p = iy * 2 + ix), terminate, value", async () => {
  const net = new PatchPolicyNetwork({
    observationShape: [1, 8, 8],
    channels: 2,
    grid: [1, 2, 2],
    contextLayers: 1,
  });
  net.setWeights(meanIntensityWeights(net));
  const rng = new Rng(3);
  const images = [0, 1].map(() => Float32Array.from({ length: 64 }, () => rng.float()));
  const obs = images.map((im) => observation(8, (y, x) => im[y * 8 + x]));
  const [logits, values] = tf.tidy(() => {
    const o = net.forward(net.observationTensor(obs));
    return [o.logits.arraySync() as number[][], o.values.arraySync() as number[]];
  });
  assert.deepEqual([logits.length, logits[0].length], [2, 5]);
  images.forEach((im, b) => {
    for (let p = 0; p < 4; p++) {
      const iy = Math.floor(p / 2), ix = p % 2;
      let sum = 0;
      for (let y = 4 * iy; y < 4 * iy + 4; y++) {
        for (let x = 4 * ix; x < 4 * ix + 4; x++) sum += im[y * 8 + x];
      }
      assert.ok(
        Math.abs(logits[b][p] - sum / 16) < 1e-5,
        `image ${b} patch ${p}: ${logits[b][p]} vs ${sum / 16}`,
      );
    }
    assert.ok(Math.abs(logits[b][4] - 0.5) < 1e-6);
    assert.ok(Math.abs(values[b] - 2) < 1e-6);
  });
  // masking: argmax skips the best patch when it is taken, and terminates when every patch is
  const agent = new PatchPolicyAgent(net, { mode: "greedy" });
  const bright = observation(8, (y, x) => (y < 4 && x >= 4 ? 0.9 : y >= 4 && x < 4 ? 0.7 : 0.1));
  const pick = async (mask: number[]) => (await agent.step([bright], [Uint8Array.from(mask)])).actions[0];
  assert.equal(await pick([1, 1, 1, 1, 1]), 1);
  assert.equal(await pick([1, 0, 1, 1, 1]), 2);
  assert.equal(await pick([1, 0, 0, 1, 1]), 4); // terminate 0.5 beats 0.1
  assert.equal(await pick([1, 0, 0, 1, 0]), 0);
  net.dispose();
});

Deno.test("moving the object moves the argmax patch: every one of the 64 places on an 8x8 grid", async () => {
  const net = new PatchPolicyNetwork({ observationShape: [1, 32, 32], channels: 2, grid: [1, 8, 8] });
  net.setWeights(meanIntensityWeights(net));
  const obs = Array.from({ length: 64 }, (_, p) => {
    const [iy, ix] = [Math.floor(p / 8), p % 8];
    // liver-like 0.5 everywhere, a 0.8 object filling patch p, noise-free
    return observation(32, (y, x) => (Math.floor(y / 4) === iy && Math.floor(x / 4) === ix ? 0.8 : 0.5));
  });
  const mask = new Uint8Array(65).fill(1);
  mask[64] = 0; // no terminate: the question is which patch
  const agent = new PatchPolicyAgent(net, { mode: "greedy" });
  const { actions } = await agent.step(obs, obs.map(() => mask));
  assert.deepEqual([...actions], Array.from({ length: 64 }, (_, p) => p));
  net.dispose();
});

Deno.test("random weights: shifting the object by one patch shifts the patch logits (shared per-patch head)", () => {
  const net = new PatchPolicyNetwork({ observationShape: [1, 32, 32], channels: 2, grid: [1, 8, 8] }, 5);
  // zero background (= the zero padding) and zero biases at initialisation: exact equivariance
  const blob = (cy: number, cx: number) =>
    observation(
      32,
      (y, x) => ((y - cy) ** 2 + (x - cx) ** 2 <= 5 ? 0.3 + 0.1 * ((y - cy + 2 * (x - cx) + 9) % 3) : 0),
    );
  const shifted = (dy: number, dx: number) => blob(13 + 4 * dy, 10 + 4 * dx);
  const logits = tf.tidy(() =>
    net.forward(net.observationTensor([shifted(0, 0), shifted(1, 2)])).logits.arraySync() as number[][]
  );
  let compared = 0;
  for (let iy = 0; iy < 8; iy++) {
    for (let ix = 0; ix < 8; ix++) {
      const jy = iy + 1, jx = ix + 2;
      if (jy >= 8 || jx >= 8) continue;
      assert.ok(Math.abs(logits[0][iy * 8 + ix] - logits[1][jy * 8 + jx]) < 1e-6, `patch ${iy},${ix}`);
      compared++;
    }
  }
  assert.equal(compared, 42);
  const argmax = (l: number[]) => l.slice(0, 64).reduce((b, v, i, a) => (v > a[b] ? i : b), 0);
  assert.equal(argmax(logits[1]), argmax(logits[0]) + 8 + 2);
  // the object changes some logits (the test is not vacuous)
  assert.ok(logits[0].slice(0, 64).some((v) => Math.abs(v) > 1e-4));
  net.dispose();
});

Deno.test("tensor count flat over forward, act and masked PPO updates", async () => {
  const net = new PatchPolicyNetwork({ observationShape: [1, 16, 16], channels: 2, grid: [1, 4, 4] }, 1);
  const agent = new PatchPolicyAgent(net, { seed: 2 });
  const optimizer = new Adam(net.variables, { learningRate: 1e-3 });
  const rng = new Rng(4), size = 8, len = net.observationLength;
  const batch = {
    size,
    observations: Float32Array.from({ length: size * len }, () => rng.float()),
    masks: new Uint8Array(size * 17).fill(1),
    actions: Int32Array.from({ length: size }, (_, i) => i),
    logProbs: new Float32Array(size).fill(-Math.log(17)),
    values: new Float32Array(size),
    advantages: Float32Array.from({ length: size }, () => rng.float() - 0.5),
    returns: Float32Array.from({ length: size }, () => rng.float()),
  };
  const ppo = resolvePpoOptions({ minibatchSize: 4, updateEpochs: 1 });
  const once = async () => {
    const obs = [batch.observations.subarray(0, len)];
    await agent.step(obs, [new Uint8Array(17).fill(1)]);
    const stats = await maskedPpoUpdate(net, optimizer, batch, ppo, 1e-3, rng);
    assert.ok(Number.isFinite(stats.policyLoss) && Number.isFinite(stats.gradNorm));
  };
  await once(); // Adam's moments are created on the first step
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await once();
  assert.equal(tf.memory().numTensors, before);
  net.dispose();
});

Deno.test("determinism: the same seed gives the same weights and logits, another seed others", async () => {
  const options = { observationShape: [1, 16, 16] as const, channels: 2, grid: [1, 4, 4] as const };
  const [a, b, c] = [
    new PatchPolicyNetwork(options, 7),
    new PatchPolicyNetwork(options, 7),
    new PatchPolicyNetwork(options, 8),
  ];
  const [wa, wb, wc] = await Promise.all([a.getWeights(), b.getWeights(), c.getWeights()]);
  assert.deepEqual(wa, wb);
  assert.notDeepEqual(wa.map((w) => [...w.values]), wc.map((w) => [...w.values]));
  const obs = [observation(16, (y, x) => ((y * 7 + x * 3) % 5) / 5)];
  const logits = (n: PatchPolicyNetwork) =>
    tf.tidy(() => n.forward(n.observationTensor(obs)).logits.arraySync());
  assert.deepEqual(logits(a), logits(b));
  // round trip: c takes a's weights and then computes a's logits
  c.setWeights(wa);
  assert.deepEqual(logits(c), logits(a));
  [a, b, c].forEach((n) => n.dispose());
});

Deno.test("refused: bad shapes, widths, weights and observations, and use after dispose", async () => {
  const ok = { observationShape: [1, 8, 8] as const, channels: 2, grid: [1, 2, 2] as const };
  assert.throws(() => new PatchPolicyNetwork({ ...ok, grid: [1, 16, 16] }), /observationShape/);
  assert.throws(() => new PatchPolicyNetwork({ ...ok, channels: 0 }), /channels/);
  assert.throws(() => new PatchPolicyNetwork({ ...ok, contextLayers: -1 }), /contextLayers/);
  assert.throws(
    () => new PatchPolicyNetwork({ ...ok, grid: [1, 2] as unknown as [number, number, number] }),
    /grid/,
  );
  const net = new PatchPolicyNetwork(ok);
  const w = await net.getWeights();
  assert.throws(() => net.setWeights(w.slice(1)), /weights/);
  assert.throws(() => net.setWeights([{ ...w[0], shape: [1, 2, 2, 2, 9] }, ...w.slice(1)]), /weights\[0\]/);
  assert.throws(() => net.observationTensor([new Float32Array(3)]), /observations\[0\]/);
  net.dispose();
  assert.throws(() => net.forward(tf.zeros([1, 1, 8, 8, 2]) as tf.Tensor5D), /disposed/);
});

Deno.test("trainPatch with the fcn network: the same seed gives the same update logs and test Dice", async () => {
  const { DEFAULT_PATCH_TRAIN_CONFIG, trainPatch } = await import("../train/patch_train.ts");
  const tiny = {
    ...DEFAULT_PATCH_TRAIN_CONFIG,
    cases: 14,
    shape: [1, 32, 32] as const,
    grid: [1, 4, 4] as const,
    observationShape: [1, 16, 16] as const,
    envs: 2,
    updates: 2,
    snapshotEvery: 1,
    ppo: { ...DEFAULT_PATCH_TRAIN_CONFIG.ppo, numSteps: 8, minibatchSize: 8, updateEpochs: 1 },
  };
  const run = async () => {
    const r = await trainPatch(tiny);
    r.network.dispose();
    return { logs: r.logs, dice: r.rows.map((x) => [x.player, x.perCase]) };
  };
  const [first, second] = [await run(), await run()];
  assert.equal(tiny.network, "fcn");
  assert.deepEqual(first, second);
});
