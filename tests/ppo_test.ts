import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../data/random.ts";
import { Adam } from "../agents/adam.ts";
import { orthogonalMatrix } from "../agents/orthogonal_init.ts";
import { chooseActions, PolicyAgent } from "../agents/policy_agent.ts";
import { addChannelBias, PolicyNetwork } from "../agents/policy_network.ts";
import {
  clipByGlobalNorm,
  DEFAULT_PPO_OPTIONS,
  PAPER_PPO_OPTIONS,
  type PpoBatch,
  PpoLearner,
  ppoLoss,
  resolvePpoOptions,
} from "../agents/ppo.ts";
import { initBackend } from "../models/backend.ts";

await initBackend("cpu", { quiet: true });

const near = (a: number, b: number, tol = 1e-5, what = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);

/** The 5-sample minibatch of the hand computation (2 actions, uniform current policy). */
function toyLoss(
  normalizeAdvantages: boolean,
  clipValueLoss: boolean,
  advantages: number[],
  valueLossHalf = true,
) {
  const ratios = [1, 1.5, 0.5, 1.5, 0.5];
  const lnHalf = Math.log(0.5);
  return tf.tidy(() => {
    const t = ppoLoss({
      logits: tf.zeros([5, 2]) as tf.Tensor2D,
      values: tf.tensor1d([0.5, 0.0, 1.0, 2.0, -1.0]),
      actions: tf.tensor1d([0, 1, 0, 1, 0], "int32"),
      oldLogProbs: tf.tensor1d(ratios.map((r) => lnHalf - Math.log(r))),
      oldValues: tf.tensor1d([0.4, 0.3, 1.0, 1.0, -1.0]),
      advantages: tf.tensor1d(advantages),
      returns: tf.tensor1d([1.0, 0.0, 0.5, 1.0, 0.0]),
    }, {
      clipCoef: 0.2,
      clipValueLoss,
      entCoef: 0.01,
      vfCoef: 0.5,
      valueLossHalf,
      normalizeAdvantages,
    });
    return [t.loss, t.policyLoss, t.valueLoss, t.entropy, t.approxKl, t.clipFraction].map((s) =>
      s.dataSync()[0]
    );
  });
}

Deno.test("clipped PPO losses match hand-computed numbers on a 5-sample toy batch", () => {
  // ratios 1, 1.5, 0.5, 1.5, 0.5 with advantages 1, 1, 1, -1, -1:
  // max(-A r, -A clip(r)) = -1, -1.2, -0.5, 1.5, 0.8 -> mean -0.08
  const [loss, policy, value, entropy, kl, clipFraction] = toyLoss(false, true, [1, 1, 1, -1, -1]);
  near(policy, -0.08, 1e-6, "policy loss");
  // value errors unclipped .25, 0, .25, 1, 1; clipped .25, .01, .25, .04, 1; max -> mean .502; x 0.5
  near(value, 0.251, 1e-6, "clipped value loss");
  near(entropy, Math.LN2, 1e-6, "entropy");
  // mean((r - 1) - ln r) = (2 (0.5 - ln 1.5) + 2 (-0.5 + ln 2)) / 5
  near(kl, (2 * (0.5 - Math.log(1.5)) + 2 * (-0.5 + Math.LN2)) / 5, 1e-6, "approx KL");
  near(clipFraction, 0.8, 1e-7, "clip fraction");
  near(loss, -0.08 - 0.01 * Math.LN2 + 0.5 * 0.251, 1e-6, "total loss");
  // Without value clipping: 0.5 * mean(.25, 0, .25, 1, 1) = 0.25
  near(toyLoss(false, false, [1, 1, 1, -1, -1])[2], 0.25, 1e-6, "unclipped value loss");
});

Deno.test("value loss form: CleanRL halves the squared error before vfCoef, SB3 (the paper preset) does not", () => {
  // SB3: loss = policy + ent_coef * entropy_loss + vf_coef * mean((R - V)^2); the same toy batch has
  // squared errors .25, 0, .25, 1, 1 (mean 0.5) unclipped, and .502 with CleanRL's value clipping.
  const [loss, policy, value, entropy] = toyLoss(false, false, [1, 1, 1, -1, -1], false);
  near(value, 0.5, 1e-6, "SB3 value loss");
  near(loss, policy - 0.01 * entropy + 0.5 * 0.5, 1e-6, "SB3 total loss");
  near(toyLoss(false, true, [1, 1, 1, -1, -1], false)[2], 0.502, 1e-6, "unhalved clipped value loss");
  assert.equal(PAPER_PPO_OPTIONS.valueLossHalf, false, "the paper preset follows SB3");
  assert.equal(PAPER_PPO_OPTIONS.clipValueLoss, false);
  assert.equal(PAPER_PPO_OPTIONS.vfCoef, 0.5);
  assert.equal(DEFAULT_PPO_OPTIONS.valueLossHalf, true, "the default follows CleanRL");
  assert.equal(resolvePpoOptions({}).valueLossHalf, true, "configs written before the option: CleanRL");
  assert.throws(() => resolvePpoOptions({ valueLossHalf: "no" as unknown as boolean }), /valueLossHalf/);
});

Deno.test("advantages are normalised per minibatch with the unbiased standard deviation", () => {
  // A = 1..5: mean 3, sd sqrt(10 / 4); normalised -1.2649, -0.6325, 0, 0.6325, 1.2649.
  // max(-A r, -A clip(r)) with r = 1, 1.5, 0.5, 1.5, 0.5: 1.264911, 0.948683, 0, -0.758947, -0.632456
  const policy = toyLoss(true, true, [1, 2, 3, 4, 5])[1];
  near(policy, (1.264911 + 0.948683 + 0 - 0.758947 - 0.632456) / 5, 1e-5, "normalised policy loss");
});

Deno.test("global gradient-norm clipping scales to maxNorm and reports the norm before clipping", () => {
  const grads = [Float32Array.of(3), Float32Array.of(4)];
  const { clipped, norm } = clipByGlobalNorm(grads, 0.5);
  near(norm, 5, 1e-12);
  near(clipped[0][0], 0.3, 1e-6);
  near(clipped[1][0], 0.4, 1e-6);
  assert.equal(grads[0][0], 3, "inputs unchanged");
  const small = clipByGlobalNorm([Float32Array.of(0.03, 0.04)], 0.5).clipped[0];
  assert.deepEqual(Array.from(small), [Math.fround(0.03), Math.fround(0.04)]); // below the limit: unchanged
  assert.equal(clipByGlobalNorm(grads, Infinity).clipped[1][0], 4);
});

Deno.test("Adam follows PyTorch's update rule and its state restores exactly", async () => {
  const p = tf.variable(tf.tensor1d([1, -2]));
  const adam = new Adam([p], { learningRate: 0.1, epsilon: 1e-5 });
  await adam.apply([Float32Array.of(0.5, -0.25)]);
  // step 1: m = 0.1 g, v = 0.001 g^2 -> update = lr * |g| / (|g| + eps) * sign(g)
  const after1 = p.dataSync().slice();
  near(after1[0], 1 - 0.1 * 0.5 / (0.5 + 1e-5), 1e-6);
  near(after1[1], -2 + 0.1 * 0.25 / (0.25 + 1e-5), 1e-6);
  const state = adam.getState();
  const g2 = Float32Array.of(0.2, 0.1);
  await adam.apply([g2]);
  // step 2 by hand: m = 0.9 m1 + 0.1 g2, v = 0.999 v1 + 0.001 g2^2
  const m = [0.9 * 0.05 + 0.1 * 0.2, 0.9 * -0.025 + 0.1 * 0.1];
  const v = [0.999 * 0.00025 + 0.001 * 0.04, 0.999 * 0.0000625 + 0.001 * 0.01];
  const expected = [0, 1].map((i) =>
    after1[i] - (0.1 / (1 - 0.81)) * m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - 0.999 ** 2) + 1e-5)
  );
  const after2 = p.dataSync().slice();
  near(after2[0], expected[0], 1e-6);
  near(after2[1], expected[1], 1e-6);
  // Restore the state after step 1 into a fresh optimizer: the same step gives bit-identical weights.
  const q = tf.variable(tf.tensor1d(after1));
  const restored = new Adam([q], { learningRate: 0.1, epsilon: 1e-5 });
  restored.setState(state);
  await restored.apply([g2]);
  assert.deepEqual(Array.from(q.dataSync()), Array.from(after2));
  assert.equal(restored.step, 2);
  assert.throws(() => restored.setState({ ...state, m: [] }), /state.m/);
  await assert.rejects(restored.apply([Float32Array.of(1)]), /gradients\[0\]/);
  tf.dispose([p, q]);
});

Deno.test("orthogonal init: orthonormal columns (tall) or rows (wide), scaled by the gain, seeded", () => {
  for (const [rows, cols] of [[40, 7], [5, 12]]) {
    const gain = Math.SQRT2;
    const w = orthogonalMatrix(rows, cols, gain, new Rng(3));
    const k = Math.min(rows, cols);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        let dot = 0;
        for (let t = 0; t < Math.max(rows, cols); t++) {
          dot += rows >= cols ? w[t * cols + i] * w[t * cols + j] : w[i * cols + t] * w[j * cols + t];
        }
        near(dot, i === j ? gain * gain : 0, 1e-5, `(${i}, ${j})`);
      }
    }
    assert.deepEqual(w, orthogonalMatrix(rows, cols, gain, new Rng(3)));
  }
});

Deno.test("policy network: shapes, near-uniform initial policy, batch independence, weight copies", async () => {
  const arch = { observationShape: [4, 8, 8] as const, channels: 2, convChannels: [4, 8], hiddenUnits: 16 };
  const net = new PolicyNetwork({ ...arch, intensityWindow: null }, 7);
  const rng = new Rng(1);
  const obs = Array.from(
    { length: 3 },
    () => Float32Array.from({ length: net.observationLength }, () => rng.float()),
  );
  const [logits, values] = tf.tidy(() => {
    const out = net.forward(net.observationTensor(obs));
    return [out.logits.arraySync() as number[][], out.values.arraySync() as number[]];
  });
  assert.equal(logits.length, 3);
  assert.equal(logits[0].length, 6);
  assert.equal(values.length, 3);
  // Policy head gain 0.01: logits near 0, so every action has probability near 1/6.
  for (const row of logits) for (const l of row) assert.ok(Math.abs(l) < 0.1, `logit ${l}`);
  const single = tf.tidy(() => net.forward(net.observationTensor([obs[1]])).logits.arraySync() as number[][]);
  for (let k = 0; k < 6; k++) near(single[0][k], logits[1][k], 1e-6, "batch independence");
  // A copy has equal outputs; changing the copy does not change the original.
  const copy = new PolicyNetwork({ ...arch, intensityWindow: null }, 99);
  copy.setWeights(await net.getWeights());
  const copied = tf.tidy(() => copy.forward(copy.observationTensor(obs)).logits.arraySync() as number[][]);
  assert.deepEqual(copied, logits);
  const before = await net.getWeights();
  copy.setWeights((await copy.getWeights()).map((w) => ({ ...w, values: w.values.map((v) => v + 1) })));
  const after = await net.getWeights();
  assert.deepEqual(after.map((w) => Array.from(w.values)), before.map((w) => Array.from(w.values)));
  assert.throws(() => copy.setWeights(before.slice(1)), /weights/);
  assert.throws(() => net.observationTensor([new Float32Array(3)]), /observations\[0\]/);
  net.dispose();
  copy.dispose();
});

Deno.test("the channel-bias add has the value and gradients of a broadcast add", () => {
  const rng = new Rng(2);
  const x = tf.tensor(Float32Array.from({ length: 2 * 3 * 4 * 5 }, () => rng.normal()), [2, 3, 4, 5]);
  const b = tf.tensor1d([0.5, -1, 2, 0, 3]);
  const w = tf.tensor(Float32Array.from({ length: 2 * 3 * 4 * 5 }, () => rng.normal()), [2, 3, 4, 5]);
  const loss = (f: (x: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (a: tf.Tensor, c: tf.Tensor) =>
    tf.sum(tf.mul(tf.square(f(a, c)), w));
  const [ours, theirs] = [addChannelBias, (a: tf.Tensor, c: tf.Tensor) => tf.add(a, c)].map((f) => {
    const { value, grads } = tf.valueAndGrads(loss(f))([x, b]);
    return [value.dataSync()[0], ...grads.map((g) => Array.from(g.dataSync()))] as const;
  });
  near(ours[0] as number, theirs[0] as number, 1e-4, "value");
  (ours[1] as number[]).forEach((v, i) => near(v, (theirs[1] as number[])[i], 1e-5, `dx ${i}`));
  (ours[2] as number[]).forEach((v, i) => near(v, (theirs[2] as number[])[i], 1e-4, `dbias ${i}`));
  tf.dispose([x, b, w]);
});

Deno.test("action choice: greedy takes the arg-max, sampling follows the probabilities", () => {
  const probs = [0.1, 0.2, 0.3, 0.4];
  const row = Float32Array.from(probs, Math.log);
  const n = 20000;
  const logProbs = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) logProbs.set(row, i * 4);
  assert.deepEqual(Array.from(chooseActions(row, 4, "greedy", new Rng(0)).actions), [3]);
  const { actions, logProbs: chosen } = chooseActions(logProbs, 4, "sample", new Rng(5));
  const counts = [0, 0, 0, 0];
  actions.forEach((a) => counts[a]++);
  // chi-square with 3 degrees of freedom; 16.27 is the 0.001 critical value
  const chi2 = counts.reduce((s, c, k) => s + (c - n * probs[k]) ** 2 / (n * probs[k]), 0);
  assert.ok(chi2 < 16.27, `chi2 ${chi2} counts ${counts}`);
  near(chosen[0], Math.log(probs[actions[0]]), 1e-6);
});

Deno.test("PPO update: no tensor leak across updates, stats are finite, options are validated", async () => {
  const net = new PolicyNetwork({
    observationShape: [2, 4, 4],
    channels: 1,
    convChannels: [4],
    hiddenUnits: 8,
  }, 1);
  const agent = new PolicyAgent(net, { seed: 1 });
  const learner = new PpoLearner(net, { minibatchSize: 5, updateEpochs: 2 }, 2);
  const rng = new Rng(4);
  const size = 12, len = net.observationLength;
  const observations = Float32Array.from({ length: size * len }, () => rng.float());
  const batch: PpoBatch = {
    size,
    observations,
    actions: Int32Array.from({ length: size }, () => rng.int(6)),
    logProbs: new Float32Array(size).fill(Math.log(1 / 6)),
    values: new Float32Array(size),
    advantages: Float32Array.from({ length: size }, () => rng.normal()),
    returns: Float32Array.from({ length: size }, () => rng.normal()),
  };
  const counts: number[] = [];
  for (let u = 0; u < 4; u++) {
    const stats = await learner.update(batch, 1e-3);
    assert.equal(stats.minibatches, 6); // ceil(12 / 5) = 3 per epoch, 2 epochs
    assert.ok(Number.isFinite(stats.loss) && Number.isFinite(stats.gradNorm) && stats.approxKl >= 0);
    await agent.step([observations.subarray(0, len)]);
    counts.push(tf.memory().numTensors);
  }
  assert.ok(counts.every((c) => c === counts[0]), `tensor counts ${counts}`);
  assert.equal(learner.optimizer.step, 24);
  assert.throws(() => resolvePpoOptions({ minibatchSize: 0 }), /minibatchSize/);
  assert.throws(() => resolvePpoOptions({ gamma: 2 }), /gamma/);
  learner.dispose();
  net.dispose();
});
