/**
 * The pixel-level advantage actor-critic of PixelDRL-MG (the paper's PA3C) and PixelRL, readable top
 * to bottom. This is a SYNCHRONOUS BATCHED version (A2C): instead of asynchronous workers, `batchSize`
 * episodes (one slice each) run in lockstep with one shared network, and one update follows each
 * batch of full episodes of `tMax` steps:
 *
 * 1. rollout: at each step every pixel samples its action from its softmax policy; the env returns
 *    the per-pixel reward map (voxel labels: fully supervised);
 * 2. returns with the reward-map convolution (PixelRL eq. 8 in n-step form):
 *    `R_T = 0` (the paper's terminal state; `bootstrapTruncation` uses `stop_grad V(s_T)` instead),
 *    `R_t = r_t + gamma * conv_w(R_{t+1})`, `w` a learned 3x3 kernel initialised to the identity
 *    (so that at start `R_t` is the plain discounted return), zero padded at the border;
 * 3. per-pixel losses, averaged over pixels and the batch and summed over the steps (the paper
 *    accumulates gradients over n, Algorithm 1): policy `-log pi(a|s) * stop_grad(R - V)`, value
 *    `(R - V)^2` (its gradient also trains `w`, as PixelRL's: `w` is learned through the value
 *    loss only), entropy bonus `-entCoef * H(pi)`;
 *    `loss = policy + vfCoef * value - entCoef * entropy`;
 * 4. one Adam step (gradients optionally clipped to a global norm; the paper does not clip).
 *
 * The learning rate decays by `lrDecay` every `lrDecayEvery` epochs (an epoch = one pass over the
 * training slices), as the paper (1e-3, x0.9 every 25 epochs).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import type { PixelSegEnv } from "../env/pixel/pixel_env.ts";
import { dilatedConv2d, type PixelNetwork } from "../models/pixel_network.ts";
import { Adam } from "./adam.ts";
import { type PixelA2cOptions, resolvePixelA2cOptions } from "./pixel_a2c_options.ts";
import { clipByGlobalNorm } from "./ppo.ts";

export {
  DEFAULT_PIXEL_A2C_OPTIONS,
  type PixelA2cOptions,
  resolvePixelA2cOptions,
} from "./pixel_a2c_options.ts";

/**
 * How many of `network.variables` (in order) belong to the shared trunk and attention block: two per
 * trunk layer (weights, bias) and four for the attention block; the heads' variables follow.
 */
export function pixelTrunkVariableCount(config: PixelNetwork["config"]): number {
  return config.trunk.length * 2 + (config.attention ? 4 : 0);
}

/** Identity in the forward pass, zero gradient (tfjs has no `stopGradient`). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad(
    ((t: tf.Tensor) => ({
      value: tf.clone(t),
      gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
    })) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return f(x) as T;
}

/** The 3x3 identity kernel `[3, 3, 1, 1]` (1 at the centre). */
export function identityKernel(): tf.Tensor4D {
  return tf.tensor4d([0, 0, 0, 0, 1, 0, 0, 0, 0], [3, 3, 1, 1]);
}

/**
 * Returns with the reward-map convolution: `R_T = bootstrap`, `R_t = r_t + gamma * conv_w(R_{t+1})`
 * ('same' zero padding). Differentiable in `w` (and in `bootstrap` unless stopped by the caller).
 * @param rewards per step `[B, y, x]`, t = 0..T-1
 * @param bootstrap `[B, y, x]` (zeros for the paper's terminal end)
 * @param w kernel `[k, k, 1, 1]`, k odd
 * @returns per step `[B, y, x]`
 */
export function pixelReturns(
  rewards: readonly tf.Tensor3D[],
  bootstrap: tf.Tensor3D,
  w: tf.Tensor4D,
  gamma: number,
): tf.Tensor3D[] {
  const out: tf.Tensor3D[] = new Array(rewards.length);
  let R = bootstrap;
  for (let t = rewards.length - 1; t >= 0; t--) {
    const conv = tf.squeeze(dilatedConv2d(tf.expandDims(R, 3) as tf.Tensor4D, w, 1), [3]);
    R = tf.add(rewards[t], tf.mul(gamma, conv)) as tf.Tensor3D;
    out[t] = R;
  }
  return out;
}

/** Inputs of {@link pixelA2cLoss}: N = T*B images of y*x pixels. */
export interface PixelLossInputs {
  /** `[N, y, x, A]`. */
  readonly logits: tf.Tensor4D;
  /** `[N, y, x]`. */
  readonly values: tf.Tensor3D;
  /** `[N, y, x]` int32 action taken per pixel. */
  readonly actions: tf.Tensor3D;
  /** `[N, y, x]` returns R. */
  readonly returns: tf.Tensor3D;
  /** Number of steps T (the per-pixel means are multiplied by T: summed over steps). */
  readonly steps: number;
}

/** The loss and its parts (scalars). */
export interface PixelLossTerms {
  /** `policy + vfCoef * value - entCoef * entropy`. */
  readonly loss: tf.Scalar;
  /** `-T * mean(log pi(a|s) * stop_grad(R - V))`. */
  readonly policyLoss: tf.Scalar;
  /** `T * mean((R - V)^2)`. */
  readonly valueLoss: tf.Scalar;
  /** `T * mean(H(pi))`. */
  readonly entropy: tf.Scalar;
}

/** The per-pixel actor-critic loss (module doc step 3). Call inside `tf.tidy` or a gradient function. */
export function pixelA2cLoss(
  x: PixelLossInputs,
  o: Pick<PixelA2cOptions, "entCoef" | "vfCoef">,
): PixelLossTerms {
  const a = x.logits.shape[3];
  const logp = tf.logSoftmax(x.logits);
  const taken = tf.sum(tf.mul(logp, tf.oneHot(tf.cast(x.actions, "int32"), a)), 3);
  const diff = tf.sub(x.returns, x.values);
  const advantage = stopGradient(diff);
  const policyLoss = tf.mul(-x.steps, tf.mean(tf.mul(taken, advantage))) as tf.Scalar;
  const valueLoss = tf.mul(x.steps, tf.mean(tf.square(diff))) as tf.Scalar;
  const entropy = tf.mul(x.steps, tf.mean(tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 3)))) as tf.Scalar;
  const loss = tf.sub(
    tf.add(policyLoss, tf.mul(o.vfCoef, valueLoss)),
    tf.mul(o.entCoef, entropy),
  ) as tf.Scalar;
  return { loss, policyLoss, valueLoss, entropy };
}

/** A batch of episodes in plain arrays (`P = B * y * x` pixels per step). */
export interface PixelEpisode {
  /** Episodes B. */
  readonly batch: number;
  /** Slice shape y,x. */
  readonly shape: readonly [number, number];
  /** Per step t = 0..T-1: observations `[B, y, x, 2]`. */
  readonly observations: Float32Array[];
  /** Per step: actions `[B, y, x]`. */
  readonly actions: Int32Array[];
  /** Per step: rewards `[B, y, x]`. */
  readonly rewards: Float32Array[];
  /** Observation after the last step `[B, y, x, 2]`. */
  readonly finalObservation: Float32Array;
  /** Mean reward per pixel per step. */
  readonly meanReward: number;
}

/** Statistics of one update. */
export interface PixelUpdateStats {
  /** Learning rate used. */
  readonly learningRate: number;
  /** Total loss. */
  readonly loss: number;
  /** Policy loss. */
  readonly policyLoss: number;
  /** Value loss. */
  readonly valueLoss: number;
  /** Entropy (summed over steps, mean per pixel). */
  readonly entropy: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /** Centre weight of the reward kernel after the step. */
  readonly kernelCentre: number;
}

/** Network + reward kernel + Adam; acts, collects batched episodes, updates. */
export class PixelA2cLearner {
  /** The network. */
  readonly network: PixelNetwork;
  /** Reward-map kernel `[3, 3, 1, 1]`, identity at start. */
  readonly rewardKernel: tf.Variable;
  /** Options. */
  readonly options: PixelA2cOptions;
  /** Optimiser over the network's variables then the kernel (when learned). */
  readonly optimizer: Adam;
  readonly #rng: Rng;

  /**
   * Creates the learner.
   * @param seed seed of action sampling
   */
  constructor(network: PixelNetwork, options: Partial<PixelA2cOptions> = {}, seed = 0) {
    this.network = network;
    this.options = resolvePixelA2cOptions(options);
    const init = identityKernel();
    this.rewardKernel = tf.variable(init, this.options.learnRewardKernel);
    init.dispose();
    this.optimizer = new Adam(this.trainable, {
      learningRate: this.options.learningRate,
      epsilon: this.options.adamEpsilon,
      beta1: 0.9,
      beta2: 0.999,
    });
    this.#rng = new Rng(seed);
  }

  /** Variables updated by Adam: the network's (its heads only with `freezeTrunk`), then `w` if learned. */
  get trainable(): tf.Variable[] {
    const net = this.options.freezeTrunk
      ? this.network.variables.slice(pixelTrunkVariableCount(this.network.config))
      : this.network.variables;
    return this.options.learnRewardKernel ? [...net, this.rewardKernel] : net;
  }

  /** Learning rate in epoch `epoch` (0-based): `lr * lrDecay^floor(epoch / lrDecayEvery)`. */
  learningRateAt(epoch: number): number {
    const o = this.options;
    return o.learningRate * o.lrDecay ** Math.floor(epoch / o.lrDecayEvery);
  }

  /**
   * Per-pixel actions for `[B, y, x, 2]` observations of `shape` B,y,x: sampled from the policy, or its argmax when `greedy`.
   * @returns `[B, y, x]` action indices
   */
  async act(
    observations: Float32Array,
    shape: readonly [number, number, number],
    greedy = false,
  ): Promise<Int32Array> {
    const [batch, h, w] = shape;
    if (observations.length !== batch * h * w * 2) {
      throw new InvalidArgumentError(
        "observations",
        `hold ${observations.length} values`,
        `${batch}x${h}x${w}x2`,
      );
    }
    const probs = tf.tidy(() => {
      const x = tf.tensor4d(observations, [batch, h, w, 2]);
      return tf.softmax(this.network.forward(x).logits);
    });
    const p = (await probs.data()) as Float32Array;
    probs.dispose();
    const a = this.network.config.actions, n = batch * h * w, out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (greedy) {
        let best = 0;
        for (let k = 1; k < a; k++) if (p[i * a + k] > p[i * a + best]) best = k;
        out[i] = best;
      } else {
        let u = this.#rng.float(), k = 0;
        while (k < a - 1 && (u -= p[i * a + k]) >= 0) k++;
        out[i] = k;
      }
    }
    return out;
  }

  /**
   * Plays one episode of `tMax` steps on each env (each already reset), in lockstep.
   * @throws {InvalidArgumentError} when the envs' tMax differs from the options'
   */
  async collect(envs: readonly PixelSegEnv[], observations: readonly Float32Array[]): Promise<PixelEpisode> {
    const b = envs.length, [h, w] = envs[0].shape, p = h * w, T = this.options.tMax;
    if (envs.some((e) => e.tMax !== T)) throw new InvalidArgumentError("env.tMax", "differs", `tMax ${T}`);
    const stack = (obs: readonly Float32Array[]) => {
      const out = new Float32Array(b * p * 2);
      obs.forEach((o, i) => out.set(o, i * p * 2));
      return out;
    };
    let current = stack(observations);
    const ep = {
      observations: [] as Float32Array[],
      actions: [] as Int32Array[],
      rewards: [] as Float32Array[],
    };
    let sum = 0;
    for (let t = 0; t < T; t++) {
      const actions = await this.act(current, [b, h, w]);
      const rewards = new Float32Array(b * p), next: Float32Array[] = [];
      envs.forEach((env, i) => {
        const r = env.step(actions.subarray(i * p, (i + 1) * p));
        rewards.set(r.rewardMap, i * p);
        sum += r.reward;
        next.push(r.observation);
      });
      ep.observations.push(current);
      ep.actions.push(actions);
      ep.rewards.push(rewards);
      current = stack(next);
    }
    return { batch: b, shape: [h, w], ...ep, finalObservation: current, meanReward: sum / (b * T) };
  }

  /** One update on a batch of episodes (module doc steps 2-4). */
  async update(ep: PixelEpisode, learningRate: number): Promise<PixelUpdateStats> {
    const o = this.options, T = ep.observations.length, b = ep.batch, [h, w] = ep.shape;
    this.optimizer.learningRate = learningRate;
    const vars = this.trainable;
    const { value, grads, aux } = tf.tidy(() => {
      const obs = new Float32Array(T * b * h * w * 2);
      ep.observations.forEach((x, t) => obs.set(x, t * x.length));
      const acts = new Int32Array(T * b * h * w);
      ep.actions.forEach((x, t) => acts.set(x, t * x.length));
      const inputs = tf.tensor4d(obs, [T * b, h, w, 2]);
      const actions = tf.tensor3d(acts, [T * b, h, w], "int32");
      const rewards = ep.rewards.map((r) => tf.tensor3d(r, [b, h, w]));
      const bootstrap = o.bootstrapTruncation
        ? this.network.forward(tf.tensor4d(ep.finalObservation, [b, h, w, 2])).values // outside the gradient
        : tf.zeros([b, h, w]) as tf.Tensor3D;
      let parts: tf.Tensor | undefined;
      const result = tf.variableGrads(() => {
        const out = this.network.forward(inputs);
        const returns = tf.concat(
          pixelReturns(rewards, bootstrap, this.rewardKernel as tf.Tensor4D, o.gamma),
          0,
        );
        const terms = pixelA2cLoss({ ...out, actions, returns, steps: T }, o);
        parts = tf.keep(tf.stack([terms.policyLoss, terms.valueLoss, terms.entropy]));
        return terms.loss;
      }, vars);
      return { ...result, aux: parts! };
    });
    const gradTensors = vars.map((v) => grads[v.name]);
    const gradients = await Promise.all(gradTensors.map((g) => g.data() as Promise<Float32Array>));
    const { clipped, norm } = clipByGlobalNorm(gradients, o.maxGradNorm);
    await this.optimizer.apply(clipped);
    const loss = (await value.data())[0], [policyLoss, valueLoss, entropy] = await aux.data();
    tf.dispose([value, aux, ...gradTensors]);
    const kernelCentre = (await this.rewardKernel.data())[4];
    return { learningRate, loss, policyLoss, valueLoss, entropy, gradNorm: norm, kernelCentre };
  }

  /** Frees the optimiser state and the kernel (not the network). */
  dispose(): void {
    this.optimizer.dispose();
    this.rewardKernel.dispose();
  }
}
