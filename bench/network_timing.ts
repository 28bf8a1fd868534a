/**
 * Timing of the package's networks on the current tfjs backend (shared by `torch_peer_bench.ts`
 * and `gpu_bench.ts`): medians of repeated calls after one warm-up, in seconds.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as tfl from "@tensorflow/tfjs-layers";
import { Adam } from "../agents/adam.ts";
import { PolicyNetwork } from "../agents/policy_network.ts";
import { ppoMinibatchStep, type PpoSamples } from "../agents/ppo_minibatch.ts";
import { DEFAULT_PPO_OPTIONS } from "../agents/ppo_options.ts";
import type { Vec3 } from "../data/types.ts";
import { observationChannels } from "../env/observation.ts";
import { buildClassifier } from "../models/classifier.ts";
import { PRESETS } from "../train/train_config.ts";

/** Seconds per call (medians). */
export interface Timing {
  /** Forward pass. */
  forward: number;
  /** Train step. */
  train: number;
}

/** A policy input measured by the benchmarks. */
export interface PolicyInput {
  /** Row name, e.g. `policy default 8x16x16x5`. */
  readonly name: string;
  /** Observation shape z,y,x. */
  readonly shape: Vec3;
  /** Observation channels. */
  readonly channels: number;
}

/** The policies of the `default` and `paper` train presets (their observation shapes and channels). */
export const PRESET_POLICIES: readonly PolicyInput[] = (["default", "paper"] as const).map((preset) => {
  const env = PRESETS[preset].env;
  const channels = observationChannels(env.observation);
  return {
    name: `policy ${preset} ${env.observationShape.join("x")}x${channels}`,
    shape: env.observationShape,
    channels,
  };
});

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Warm-up before timing: at least this many calls... */
export const WARMUP_CALLS = 10;
/** ...and at least this many seconds, so that V8 has compiled the JavaScript paths (im2col, Adam). */
export const WARMUP_SECONDS = 1;

/**
 * Median seconds of `reps` calls of `f` after a warm-up of at least {@link WARMUP_CALLS} calls and
 * {@link WARMUP_SECONDS} s (one warm-up call measured the JIT, not the steady state: the policy's
 * forward took 5.9 ms per call over 20 calls and 1.7 ms over 300). The PyTorch peer warms up the same way.
 */
export async function timeIt(f: () => Promise<unknown>, reps: number): Promise<number> {
  const warmStart = performance.now();
  for (let i = 0; i < WARMUP_CALLS || performance.now() - warmStart < 1000 * WARMUP_SECONDS; i++) await f();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  return median(times) / 1000;
}

/**
 * The default-architecture classifier with input `shape` (z,y,x) on the current tfjs backend:
 * `model.predict` and one Adam step on the binary cross-entropy, batch `batch`.
 */
export async function timeClassifier(shape: Vec3, batch: number, reps: number): Promise<Timing> {
  const model = buildClassifier({ inputShape: shape }, 0);
  const x = tf.randomUniform([batch, ...shape, 1], 0, 1, "float32", 1);
  const y = tf.tensor2d(Array.from({ length: batch }, (_, i) => i % 2), [batch, 1]);
  const optimizer = tf.train.adam(1e-3);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const forward = await timeIt(async () => {
    const p = model.predict(x) as tf.Tensor;
    await p.data(); // data(), not dataSync(): webgpu reads back asynchronously
    p.dispose();
  }, reps);
  const train = await timeIt(async () => {
    const loss = optimizer.minimize(
      () => tf.mean(tfl.metrics.binaryCrossentropy(y, model.apply(x, { training: true }) as tf.Tensor)),
      true,
      variables,
    ) as tf.Scalar;
    await loss.data();
    loss.dispose();
  }, reps);
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return { forward, train };
}

/**
 * The default-architecture policy over `shape` (z,y,x) x `channels` observations on the current
 * tfjs backend: forward (log-softmax read back) and one PPO minibatch step (`ppoMinibatchStep`:
 * gradients, global-norm clip, Adam), batch `batch`.
 */
export async function timePolicy(
  shape: Vec3,
  channels: number,
  batch: number,
  reps: number,
): Promise<Timing> {
  const net = new PolicyNetwork({ observationShape: shape, channels, intensityWindow: null }, 0);
  const optimizer = new Adam(net.variables, { learningRate: 3e-4, epsilon: 1e-5 });
  const len = net.observationLength;
  const samples: PpoSamples = {
    observations: Float32Array.from({ length: batch * len }, (_, i) => (i % 89) / 89),
    actions: Int32Array.from({ length: batch }, (_, i) => i % 6),
    logProbs: new Float32Array(batch).fill(-1.79),
    values: new Float32Array(batch),
    advantages: Float32Array.from({ length: batch }, (_, i) => -1 + (2 * i) / (batch - 1 || 1)),
    returns: Float32Array.from({ length: batch }, (_, i) => 1 - (2 * i) / (batch - 1 || 1)),
  };
  const indices = Array.from({ length: batch }, (_, i) => i);
  const x = tf.tensor5d(samples.observations, [batch, ...shape, channels]);
  const forward = await timeIt(async () => {
    const lp = tf.tidy(() => tf.logSoftmax(net.forward(x).logits));
    await lp.data();
    lp.dispose();
  }, reps);
  const train = await timeIt(
    () => ppoMinibatchStep(net, optimizer, samples, indices, DEFAULT_PPO_OPTIONS),
    reps,
  );
  x.dispose();
  optimizer.dispose();
  net.dispose();
  return { forward, train };
}
