/**
 * PPO's update path against a brute-force reference: a tiny policy (2 inputs, 2 ReLU units, 3
 * actions, a value head; no convolutions) whose loss is re-implemented here in float64, its
 * gradient taken by central finite differences, clipped to the global norm and fed through one
 * Adam step written out by hand. Nothing of `agents/ppo.ts` or `agents/adam.ts` is used to compute
 * the expected numbers.
 */
import assert from "node:assert/strict";
import { PolicyNetwork } from "../agents/policy_network.ts";
import { type PpoBatch, PpoLearner, type PpoOptions } from "../agents/ppo.ts";
import type { NamedWeight } from "../agents/snapshot.ts";
import { initBackend } from "../models/backend.ts";

await initBackend("cpu", { quiet: true });

const F = 2, H = 2, A = 3;
const ARCH = {
  observationShape: [1, 1, F] as const,
  channels: 1,
  convChannels: [] as number[],
  hiddenUnits: H,
  actions: A,
  intensityWindow: null,
};

/** Parameters of the tiny network, by the network's own weight names. */
const INITIAL: Record<string, number[]> = {
  "policy/hidden/kernel": [0.8, 0.3, 0.4, 0.9], // [F, H] row-major
  "policy/hidden/bias": [0.1, 0.2],
  "policy/logits/kernel": [0.5, -0.4, 0.2, -0.3, 0.6, 0.1], // [H, A]
  "policy/logits/bias": [0.05, -0.05, 0.0],
  "value/output/kernel": [0.7, -0.2], // [H, 1]
  "value/output/bias": [0.1],
};

/** Six samples: inputs (all positive, so every ReLU is active far from its kink), actions, targets. */
const X = [[0.2, 1.0], [1.5, 0.3], [0.7, 0.7], [1.2, 1.1], [0.4, 0.5], [0.9, 0.2]];
const ACTIONS = [0, 1, 2, 0, 1, 2];
const ADVANTAGES = [1.0, -0.5, 2.0, 0.3, -1.2, 0.8];
const RETURNS = [1.5, -0.2, 0.4, 2.0, 0.1, -0.6];
const OLD_VALUES = [0.6, 0.1, 0.2, 1.2, 0.3, 0.0];
/** Probability ratios of the behaviour policy: three inside [0.8, 1.2], three clipped. */
const RATIOS = [1.0, 1.1, 1.3, 0.7, 0.9, 1.25];

type Params = Record<string, number[]>;

/** Float64 forward pass: log-probabilities [n][A] and values [n]. */
function forward(p: Params): { logProbs: number[][]; values: number[] } {
  const logProbs: number[][] = [], values: number[] = [];
  for (const x of X) {
    const h = [0, 1].map((j) =>
      Math.max(
        0,
        x[0] * p["policy/hidden/kernel"][j] + x[1] * p["policy/hidden/kernel"][H + j] +
          p["policy/hidden/bias"][j],
      )
    );
    const logits = [0, 1, 2].map((k) =>
      h[0] * p["policy/logits/kernel"][k] + h[1] * p["policy/logits/kernel"][A + k] +
      p["policy/logits/bias"][k]
    );
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
    logProbs.push(logits.map((l) => l - lse));
    values.push(
      h[0] * p["value/output/kernel"][0] + h[1] * p["value/output/kernel"][1] + p["value/output/bias"][0],
    );
  }
  return { logProbs, values };
}

/** Behaviour log-probabilities that give {@link RATIOS} at the initial parameters. */
const OLD_LOG_PROBS = forward(INITIAL).logProbs.map((row, i) => row[ACTIONS[i]] - Math.log(RATIOS[i]));

interface LossOptions {
  clipCoef: number;
  entCoef: number;
  vfCoef: number;
  valueHalf: boolean;
}

/** The PPO loss written out: normalised advantages, clipped surrogate, clipped value loss, entropy. */
function referenceLoss(p: Params, o: LossOptions): number {
  const n = X.length, { logProbs, values } = forward(p);
  const mean = ADVANTAGES.reduce((s, a) => s + a, 0) / n;
  const sd = Math.sqrt(ADVANTAGES.reduce((s, a) => s + (a - mean) ** 2, 0) / (n - 1));
  let policy = 0, value = 0, entropy = 0;
  for (let i = 0; i < n; i++) {
    const adv = (ADVANTAGES[i] - mean) / (sd + 1e-8);
    const ratio = Math.exp(logProbs[i][ACTIONS[i]] - OLD_LOG_PROBS[i]);
    const clipped = Math.min(Math.max(ratio, 1 - o.clipCoef), 1 + o.clipCoef);
    policy += Math.max(-adv * ratio, -adv * clipped) / n;
    const vClipped = OLD_VALUES[i] + Math.min(Math.max(values[i] - OLD_VALUES[i], -o.clipCoef), o.clipCoef);
    value += Math.max((values[i] - RETURNS[i]) ** 2, (vClipped - RETURNS[i]) ** 2) / n;
    entropy += -logProbs[i].reduce((s, l) => s + Math.exp(l) * l, 0) / n;
  }
  return policy - o.entCoef * entropy + o.vfCoef * (o.valueHalf ? 0.5 : 1) * value;
}

/** Central finite-difference gradient of {@link referenceLoss}, parameter by parameter. */
function referenceGradient(p: Params, o: LossOptions): Params {
  const h = 1e-6, grad: Params = {};
  for (const [name, values] of Object.entries(p)) {
    grad[name] = values.map((_, k) => {
      const plus = structuredClone(p), minus = structuredClone(p);
      plus[name][k] += h;
      minus[name][k] -= h;
      return (referenceLoss(plus, o) - referenceLoss(minus, o)) / (2 * h);
    });
  }
  return grad;
}

/**
 * One clipped Adam step from zero moments: with m = (1 - b1) g, v = (1 - b2) g^2 and the bias
 * corrections of step 1, the step is `lr * g / (|g| + eps)` for the clipped gradient g.
 */
function referenceStep(
  p: Params,
  o: LossOptions & { lr: number; maxGradNorm: number; eps: number },
): { params: Params; norm: number } {
  const g = referenceGradient(p, o);
  const norm = Math.sqrt(Object.values(g).flat().reduce((s, v) => s + v * v, 0));
  const factor = Math.min(1, o.maxGradNorm / (norm + 1e-6));
  const params: Params = {};
  for (const [name, values] of Object.entries(p)) {
    params[name] = values.map((v, k) => {
      const gc = g[name][k] * factor;
      return v - o.lr * gc / (Math.abs(gc) + o.eps);
    });
  }
  return { params, norm };
}

/** The network with {@link INITIAL} weights and the batch of the six samples. */
function setup(): { net: PolicyNetwork; batch: PpoBatch } {
  const net = new PolicyNetwork(ARCH, 0);
  const weights: NamedWeight[] = net.weightNames.map((name, i) => ({
    name,
    shape: [...net.variables[i].shape],
    values: Float32Array.from(INITIAL[name]),
  }));
  net.setWeights(weights);
  const batch: PpoBatch = {
    size: X.length,
    observations: Float32Array.from(X.flat()),
    actions: Int32Array.from(ACTIONS),
    logProbs: Float32Array.from(OLD_LOG_PROBS),
    values: Float32Array.from(OLD_VALUES),
    advantages: Float32Array.from(ADVANTAGES),
    returns: Float32Array.from(RETURNS),
  };
  return { net, batch };
}

async function assertWeights(net: PolicyNetwork, expected: Params, tol: number, what: string): Promise<void> {
  for (const w of await net.getWeights()) {
    expected[w.name].forEach((e, k) =>
      assert.ok(Math.abs(w.values[k] - e) <= tol, `${what}: ${w.name}[${k}] ${w.values[k]} vs ${e}`)
    );
  }
}

const BASE: Partial<PpoOptions> = {
  minibatchSize: X.length,
  updateEpochs: 1,
  clipCoef: 0.2,
  clipValueLoss: true,
  normalizeAdvantages: true,
  entCoef: 0.01,
  vfCoef: 0.5,
};

Deno.test("PPO update = one Adam step (with its epsilon) on the global-norm-clipped gradient of the loss", async () => {
  // eps = 0.5 makes the step depend on the gradient's scale: lr g / (|g| + eps) differs whether g is
  // clipped or raw, and whether eps is 0.5 or Adam's default 1e-5.
  const cases = [
    { maxGradNorm: 0.05, eps: 0.5, lr: 0.1 }, // clipping active (the raw norm is checked to exceed 0.5)
    { maxGradNorm: 100, eps: 0.5, lr: 0.1 }, // clipping inactive: the raw gradient
    { maxGradNorm: 0.05, eps: 1e-5, lr: 0.01 }, // the default epsilon: the step is about lr * sign(g)
    { maxGradNorm: 100, eps: 0.5, lr: 0.1, valueHalf: false }, // SB3's value loss (the paper preset)
  ];
  for (const c of cases) {
    const { net, batch } = setup();
    const valueLossHalf = c.valueHalf ?? true;
    const learner = new PpoLearner(
      net,
      { ...BASE, maxGradNorm: c.maxGradNorm, adamEpsilon: c.eps, valueLossHalf },
      1,
    );
    const stats = await learner.update(batch, c.lr);
    const o = { clipCoef: 0.2, entCoef: 0.01, vfCoef: 0.5, ...c, valueHalf: valueLossHalf };
    const expected = referenceStep(INITIAL, o);
    assert.ok(expected.norm > 0.5, `the raw norm ${expected.norm} must exceed the clip of the first case`);
    assert.ok(Math.abs(stats.gradNorm - expected.norm) <= 1e-4 * expected.norm, `norm ${stats.gradNorm}`);
    assert.ok(Math.abs(stats.loss - referenceLoss(INITIAL, o)) <= 1e-5, `loss ${stats.loss}`);
    assert.equal(stats.learningRate, c.lr);
    assert.equal(learner.optimizer.step, 1);
    await assertWeights(net, expected.params, 2e-5, JSON.stringify(c));
    learner.dispose();
    net.dispose();
  }
});

Deno.test("target KL: the epochs stop after the first epoch whose mean approx KL exceeds targetKl", async () => {
  // Epoch 1's KL is that of the behaviour ratios, before any step: mean((r - 1) - ln r).
  const kl = RATIOS.reduce((s, r) => s + (r - 1) - Math.log(r), 0) / RATIOS.length;
  assert.ok(kl > 0.01, `kl ${kl}`);
  const o = {
    clipCoef: 0.2,
    entCoef: 0.01,
    vfCoef: 0.5,
    valueHalf: true,
    maxGradNorm: 0.5,
    eps: 1e-5,
    lr: 0.01,
  };
  for (const [targetKl, epochs] of [[kl / 2, 1], [null, 3], [100, 3]] as const) {
    const { net, batch } = setup();
    const learner = new PpoLearner(net, { ...BASE, updateEpochs: 3, targetKl, maxGradNorm: 0.5 }, 1);
    const stats = await learner.update(batch, 0.01);
    assert.equal(stats.epochs, epochs, `targetKl ${targetKl}`);
    assert.equal(stats.minibatches, epochs);
    assert.equal(learner.optimizer.step, epochs);
    if (epochs === 1) {
      assert.ok(Math.abs(stats.approxKl - kl) <= 1e-5, `approx KL ${stats.approxKl} vs ${kl}`);
      await assertWeights(net, referenceStep(INITIAL, o).params, 2e-5, "one epoch");
    }
    learner.dispose();
    net.dispose();
  }
});

Deno.test("learning-rate annealing: linear from lr at update 1 towards 0 at update total + 1", () => {
  const net = new PolicyNetwork(ARCH, 0);
  const annealed = new PpoLearner(net, { learningRate: 0.01 });
  // lr * (1 - (u - 1) / 4) for u = 1..5, written out
  const expected = [0.01, 0.0075, 0.005, 0.0025, 0];
  expected.forEach((e, k) =>
    assert.ok(Math.abs(annealed.learningRateAt(k + 1, 4) - e) < 1e-15, `update ${k + 1}`)
  );
  assert.equal(annealed.learningRateAt(9, 4), 0, "never negative");
  const constant = new PpoLearner(net, { learningRate: 0.01, annealLearningRate: false });
  for (const u of [1, 3, 4]) assert.equal(constant.learningRateAt(u, 4), 0.01);
  annealed.dispose();
  constant.dispose();
  net.dispose();
});
