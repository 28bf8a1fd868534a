/**
 * The policy/value network of the SPARS agents: a small 3D convolutional trunk over the window
 * observation ([z, y, x, c], channels last: intensity, plus position or map channels when the env's
 * observation mode provides them), a hidden dense layer, a 6-way categorical policy head (logits)
 * and a scalar value head. The value head shares the trunk by default, or has its own (an option).
 *
 * Weights are plain tf variables in a fixed, named order (so they can be copied into a frozen
 * opponent, snapshotted and checkpointed) with orthogonal initialisation as CleanRL: gain sqrt(2)
 * for hidden layers, 0.01 for the policy head, 1 for the value head, zero biases.
 *
 * The default trunk is 3 convolutions (8, 16, 32 channels, kernel 2, stride 2, 'same' padding, so
 * non-overlapping 2x2x2 patches): 12x24x24 -> 6x12x12 -> 3x6x6 -> 2x3x3, 576 features, then 64
 * hidden units (about 43k weights). Kernel 2 rather than 3: measured 1.5x faster per PPO step on
 * the `cpu` backend, whose conv3d filter gradient dominates the update (kernel 3 is an option).
 * `downsample: "pool"` uses stride-1 convolutions followed by 2x2x2 max pooling instead (slower).
 * Both run on the `wasm` backend with this package's conv3d kernels (`models/wasm_kernels.ts`),
 * which take any stride and equal `cpu` within 1e-4 (tests/policy_wasm_test.ts).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import type { Vec3 } from "../data/types.ts";
import { MOVE_COUNT } from "../env/geometry.ts";
import { orthogonalMatrix } from "./orthogonal_init.ts";
import { type NamedWeight, shapeSize } from "./snapshot.ts";
import { assignVariables, readVariables } from "./variable_weights.ts";

/** Everything that defines the network's shape and input transform (stored in checkpoints). */
export interface PolicyArchitecture {
  /** Observation shape z,y,x (the env's `observationShape`). Default 12x24x24. */
  readonly observationShape: Vec3;
  /** Channels per voxel (1 `window`, 2 `window+map`, 4 `window+position`). Default 1. */
  readonly channels: number;
  /** Output channels of each convolution. Default [8, 16, 32]. */
  readonly convChannels: readonly number[];
  /** Cubic kernel size of the convolutions. Default 2. */
  readonly kernelSize: number;
  /** `stride`: stride-2 convolutions; `pool`: stride-1 convolutions + 2x2x2 max pooling. Default `stride`. */
  readonly downsample: "stride" | "pool";
  /** Width of the hidden dense layer. Default 64. */
  readonly hiddenUnits: number;
  /** One trunk for policy and value (true, default) or a separate value trunk. */
  readonly sharedTrunk: boolean;
  /**
   * Intensity window [lo, hi] applied to the {@link windowedChannels} before the network:
   * `(v - lo) / (hi - lo)` clamped to [0, 1] (CT in HU: the liver window [-200, 250], the default).
   * `null`: observations are used as they are (data already in [0, 1]).
   */
  readonly intensityWindow: readonly [number, number] | null;
  /**
   * The channels the intensity window applies to (env/observation.ts `intensityChannels`: the image
   * channels, and the context channels of `window+context`). Default [0] (checkpoints written before
   * the field existed windowed channel 0 only).
   */
  readonly windowedChannels: readonly number[];
  /** Number of actions (6 moves). */
  readonly actions: number;
}

/** The defaults (see each field). */
export const DEFAULT_POLICY_ARCHITECTURE: PolicyArchitecture = {
  observationShape: [12, 24, 24],
  channels: 1,
  convChannels: [8, 16, 32],
  kernelSize: 2,
  downsample: "stride",
  hiddenUnits: 64,
  sharedTrunk: true,
  intensityWindow: [-200, 250],
  windowedChannels: [0],
  actions: MOVE_COUNT,
};

/**
 * Merges options over the defaults and validates them.
 * @throws {InvalidArgumentError} naming the first bad field
 */
export function resolvePolicyArchitecture(options: Partial<PolicyArchitecture> = {}): PolicyArchitecture {
  const a = { ...DEFAULT_POLICY_ARCHITECTURE, ...options };
  const positive = (v: number) => Number.isInteger(v) && v >= 1;
  if (a.observationShape.length !== 3 || !a.observationShape.every(positive)) {
    throw new InvalidArgumentError(
      "observationShape",
      `is ${JSON.stringify(a.observationShape)}`,
      "z,y,x > 0",
    );
  }
  if (!positive(a.channels)) {
    throw new InvalidArgumentError("channels", `is ${a.channels}`, "an integer >= 1");
  }
  if (!a.convChannels.every(positive)) {
    throw new InvalidArgumentError("convChannels", `is ${JSON.stringify(a.convChannels)}`, "integers >= 1");
  }
  if (!positive(a.kernelSize)) {
    throw new InvalidArgumentError("kernelSize", `is ${a.kernelSize}`, "an integer >= 1");
  }
  if (a.downsample !== "stride" && a.downsample !== "pool") {
    throw new InvalidArgumentError("downsample", `is '${a.downsample}'`, "'stride' or 'pool'");
  }
  if (!positive(a.hiddenUnits)) {
    throw new InvalidArgumentError("hiddenUnits", `is ${a.hiddenUnits}`, "an integer >= 1");
  }
  if (a.intensityWindow !== null && !(a.intensityWindow[0] < a.intensityWindow[1])) {
    throw new InvalidArgumentError(
      "intensityWindow",
      `is ${JSON.stringify(a.intensityWindow)}`,
      "lo < hi, or null",
    );
  }
  if (!positive(a.actions)) throw new InvalidArgumentError("actions", `is ${a.actions}`, "an integer >= 1");
  if (!a.windowedChannels.every((k) => Number.isInteger(k) && k >= 0 && k < a.channels)) {
    throw new InvalidArgumentError(
      "windowedChannels",
      `is ${JSON.stringify(a.windowedChannels)}`,
      `channel indices in [0, ${a.channels})`,
    );
  }
  return {
    ...a,
    observationShape: [a.observationShape[0], a.observationShape[1], a.observationShape[2]],
    convChannels: [...a.convChannels],
    windowedChannels: [...a.windowedChannels],
    intensityWindow: a.intensityWindow === null ? null : [a.intensityWindow[0], a.intensityWindow[1]],
  };
}

/** Spatial shape after each convolution block (ceil halving, as 'same' stride 2 and 'same' pooling). */
export function trunkShapes(a: PolicyArchitecture): Vec3[] {
  const shapes: Vec3[] = [];
  let s = a.observationShape;
  for (let i = 0; i < a.convChannels.length; i++) {
    s = [Math.ceil(s[0] / 2), Math.ceil(s[1] / 2), Math.ceil(s[2] / 2)];
    shapes.push(s);
  }
  return shapes;
}

/**
 * `x + bias` over the last (channel) axis, with the bias gradient computed as a matrix product
 * (`ones[1, M] @ dy[M, C]`) on `cpu`: tfjs' own gradient of a broadcast add reduces over the leading
 * axes through a transpose, which on the `cpu` backend cost more than the convolution it follows.
 * Other backends sum `dy[M, C]` over its rows (one kernel, no ones tensor).
 */
export const addChannelBias: (x: tf.Tensor, bias: tf.Tensor) => tf.Tensor = tf.customGrad((...inputs) => {
  const [x, bias] = inputs as [tf.Tensor, tf.Tensor];
  const channels = bias.shape[0], rows = x.size / channels;
  return {
    value: tf.add(x, bias),
    gradFunc: (dy: tf.Tensor) => [
      dy,
      tf.getBackend() === "cpu"
        ? tf.reshape(tf.matMul(tf.ones([1, rows]), tf.reshape(dy, [rows, channels])), [channels])
        : tf.sum(tf.reshape(dy, [rows, channels]), 0),
    ],
  };
}) as unknown as (x: tf.Tensor, bias: tf.Tensor) => tf.Tensor;

interface Layer {
  kernel: tf.Variable;
  bias: tf.Variable;
}

/** Outputs of a forward pass. */
export interface PolicyOutputs {
  /** Action logits, [batch, actions]. */
  readonly logits: tf.Tensor2D;
  /** State values, [batch]. */
  readonly values: tf.Tensor1D;
}

/** The network: variables plus a functional forward pass. Dispose it when done. */
export class PolicyNetwork {
  /** The resolved architecture. */
  readonly architecture: PolicyArchitecture;
  /** Floats per observation: z*y*x*channels. */
  readonly observationLength: number;
  readonly #names: string[] = [];
  readonly #variables: tf.Variable[] = [];
  readonly #policyTrunk: Layer[];
  readonly #policyHidden: Layer;
  readonly #valueTrunk: Layer[];
  readonly #valueHidden: Layer;
  readonly #pi: Layer;
  readonly #v: Layer;
  #disposed = false;

  /**
   * Builds a network with seeded orthogonal initial weights.
   * @param architecture options over {@link DEFAULT_POLICY_ARCHITECTURE}
   * @param seed initialisation seed (same seed, same weights, on every backend)
   */
  constructor(architecture: Partial<PolicyArchitecture> = {}, seed = 0) {
    const a = this.architecture = resolvePolicyArchitecture(architecture);
    const [z, y, x] = a.observationShape;
    this.observationLength = z * y * x * a.channels;
    const rng = new Rng(seed);
    const k = a.kernelSize;
    const last = trunkShapes(a).at(-1) ?? a.observationShape;
    const features = shapeSize(last) * (a.convChannels.at(-1) ?? a.channels);
    const trunk = (prefix: string): Layer[] => {
      let inChannels = a.channels;
      return a.convChannels.map((out, i) => {
        const layer = this.#layer(`${prefix}/conv${i + 1}`, [k, k, k, inChannels, out], Math.SQRT2, rng);
        inChannels = out;
        return layer;
      });
    };
    this.#policyTrunk = trunk("policy");
    this.#policyHidden = this.#layer("policy/hidden", [features, a.hiddenUnits], Math.SQRT2, rng);
    if (a.sharedTrunk) {
      this.#valueTrunk = this.#policyTrunk;
      this.#valueHidden = this.#policyHidden;
    } else {
      this.#valueTrunk = trunk("value");
      this.#valueHidden = this.#layer("value/hidden", [features, a.hiddenUnits], Math.SQRT2, rng);
    }
    this.#pi = this.#layer("policy/logits", [a.hiddenUnits, a.actions], 0.01, rng);
    this.#v = this.#layer("value/output", [a.hiddenUnits, 1], 1, rng);
  }

  /** The trainable variables, in the fixed order of {@link PolicyNetwork.weightNames}. */
  get variables(): readonly tf.Variable[] {
    return this.#variables;
  }

  /** Names of the variables, in order (e.g. `policy/conv1/kernel`). */
  get weightNames(): readonly string[] {
    return this.#names;
  }

  /** Number of trainable scalars. */
  get parameterCount(): number {
    return this.#variables.reduce((n, v) => n + v.size, 0);
  }

  /**
   * Packs observations (each `observationLength` floats, z,y,x,c) into one [n, z, y, x, c] tensor,
   * applying the intensity window to channel 0.
   * @throws {InvalidArgumentError} when an observation has the wrong length
   */
  observationTensor(observations: readonly Float32Array[]): tf.Tensor5D {
    const n = observations.length, len = this.observationLength;
    const buffer = new Float32Array(n * len);
    observations.forEach((o, i) => {
      if (o.length !== len) {
        throw new InvalidArgumentError(`observations[${i}]`, `has ${o.length} values`, `${len}`);
      }
      buffer.set(o, i * len);
    });
    this.normalizeInPlace(buffer);
    const [z, y, x] = this.architecture.observationShape;
    return tf.tensor5d(buffer, [n, z, y, x, this.architecture.channels]);
  }

  /** Applies the intensity window to the windowed channels of packed observations (z,y,x,c rows), in place. */
  normalizeInPlace(buffer: Float32Array): void {
    const w = this.architecture.intensityWindow;
    if (!w) return;
    const c = this.architecture.channels, lo = w[0], scale = 1 / (w[1] - w[0]);
    for (const k of this.architecture.windowedChannels) {
      for (let i = k; i < buffer.length; i += c) {
        const v = (buffer[i] - lo) * scale;
        buffer[i] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
  }

  /** Forward pass on a normalised [n, z, y, x, c] batch. Call inside `tf.tidy`. */
  forward(input: tf.Tensor5D): PolicyOutputs {
    this.#checkAlive();
    const policyFeatures = this.#features(input, this.#policyTrunk, this.#policyHidden);
    const valueFeatures = this.architecture.sharedTrunk
      ? policyFeatures
      : this.#features(input, this.#valueTrunk, this.#valueHidden);
    const logits = tf.add(tf.matMul(policyFeatures, this.#pi.kernel), this.#pi.bias) as tf.Tensor2D;
    const values = tf.reshape(tf.add(tf.matMul(valueFeatures, this.#v.kernel), this.#v.bias), [
      -1,
    ]) as tf.Tensor1D;
    return { logits, values };
  }

  /** A copy of the current weights (plain arrays, independent of the variables). */
  async getWeights(): Promise<NamedWeight[]> {
    this.#checkAlive();
    return await readVariables(this.#variables, this.#names);
  }

  /**
   * Overwrites every variable with a copy of `weights` (same names and shapes, in order).
   * @throws {InvalidArgumentError} when names, order or shapes differ
   */
  setWeights(weights: readonly NamedWeight[]): void {
    this.#checkAlive();
    assignVariables(this.#variables, this.#names, weights);
  }

  /** Frees the variables. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    tf.dispose(this.#variables);
  }

  #features(input: tf.Tensor5D, trunk: Layer[], hidden: Layer): tf.Tensor2D {
    const pool = this.architecture.downsample === "pool";
    let h: tf.Tensor5D = input;
    for (const layer of trunk) {
      const kernel = layer.kernel as unknown as tf.Tensor5D;
      h = tf.relu(addChannelBias(tf.conv3d(h, kernel, pool ? 1 : 2, "same"), layer.bias)) as tf.Tensor5D;
      if (pool) h = tf.maxPool3d(h, 2, 2, "same");
    }
    const flat = tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D;
    return tf.relu(tf.add(tf.matMul(flat, hidden.kernel), hidden.bias)) as tf.Tensor2D;
  }

  #layer(name: string, shape: number[], gain: number, rng: Rng): Layer {
    const outputs = shape[shape.length - 1];
    const rows = shapeSize(shape) / outputs;
    // Unnamed: tfjs variable names are global, and a learner and its frozen copies coexist.
    const init = orthogonalMatrix(rows, outputs, gain, rng);
    const kernel = tf.tidy(() => tf.variable(tf.tensor(init, shape), true));
    const bias = tf.tidy(() => tf.variable(tf.zeros([outputs]), true));
    this.#variables.push(kernel, bias);
    this.#names.push(`${name}/kernel`, `${name}/bias`);
    return { kernel, bias };
  }

  #checkAlive(): void {
    if (this.#disposed) throw new InvalidArgumentError("PolicyNetwork", "is disposed", "a live network");
  }
}
