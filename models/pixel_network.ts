/**
 * The fully-convolutional network of the pixel-level actor-critic (PixelDRL-MG / PixelRL): a trunk
 * of 3x3 convolutions with growing dilation (ReLU), an optional self-attention block, then two heads
 * of dilated 3x3 convolutions ending in 1x1 outputs: per-pixel policy logits (one channel per action)
 * and a per-pixel value. Input `[B, y, x, C]` (channels last, C = 2: image, mask); outputs
 * `logits [B, y, x, A]` and `values [B, y, x]`. Resolution is kept everywhere ('same' padding,
 * stride 1; dilation replaces pooling as in Yu & Koltun's dilated front end).
 *
 * Presets: {@link SMALL_PIXEL_NETWORK} (default; ~20k weights, trains on 2 CPU cores in minutes on
 * 64x64 slices) and {@link PAPER_PIXEL_NETWORK} (the paper's half-channel VGG16 conv1-1..conv4-3 as a
 * dilated front end, 32..256 channels, + self-attention + PixelRL-style heads; for a GPU). Departures
 * from the paper, where it is silent or where we simplify: the front end keeps full resolution with
 * dilations 1,1,2,2,4,4,4,8,8,8 instead of pooling and the multi-scale concatenation of conv1-2,
 * conv2-2, conv3-3; the self-attention block is SAGAN-style (query at every pixel, keys/values
 * average-pooled by `attentionPool`, residual scale gamma initialised to 0).
 *
 * Dilated convolutions go through {@link dilatedConv2d}: tfjs' conv2d forward with its own gradient
 * (tfjs has no conv2d gradient for dilation > 1, its cpu filter gradient is slow and the wasm
 * backend has none).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";

/**
 * A stride-1 'same' 3x3 (or any odd k x k) convolution with dilation `d`, NHWC, with a hand-written
 * gradient: `dx` = the same convolution of `dy` with the kernel rotated 180 degrees and in/out
 * channels swapped; `dw[ky, kx]` = `x` shifted by the tap, transposed, times `dy` (one matMul per tap).
 * @param x `[B, H, W, Ci]`
 * @param w `[k, k, Ci, Co]`, k odd
 * @returns `[B, H, W, Co]`
 */
export function dilatedConv2d(x: tf.Tensor4D, w: tf.Tensor4D, d = 1): tf.Tensor4D {
  const k = w.shape[0];
  if (k % 2 !== 1 || w.shape[1] !== k) throw new InvalidArgumentError("kernel", `is ${w.shape}`, "odd k x k");
  const half = ((k - 1) / 2) * d;
  const f = tf.customGrad(
    ((xx: tf.Tensor, ww: tf.Tensor, save: tf.GradSaveFunc) => {
      const X = xx as tf.Tensor4D, W = ww as tf.Tensor4D;
      save([X, W]);
      return {
        value: tf.conv2d(X, W, 1, "same", "NHWC", d),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [X, W] = saved as tf.Tensor4D[];
          const [b, h, wd, ci] = X.shape, co = W.shape[3];
          const flipped = tf.transpose(tf.reverse(W, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
          const dx = tf.conv2d(dy as tf.Tensor4D, flipped, 1, "same", "NHWC", d);
          const padded = tf.pad(X, [[0, 0], [half, half], [half, half], [0, 0]]);
          const dy2 = tf.reshape(dy, [b * h * wd, co]) as tf.Tensor2D;
          const taps: tf.Tensor2D[] = [];
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const s = tf.reshape(tf.slice(padded, [0, ky * d, kx * d, 0], [b, h, wd, ci]), [
                b * h * wd,
                ci,
              ]);
              taps.push(tf.matMul(s as tf.Tensor2D, dy2, true, false));
            }
          }
          return [dx, tf.reshape(tf.stack(taps), [k, k, ci, co])];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return f(x, w) as tf.Tensor4D;
}

/** One 3x3 convolution layer. */
export interface ConvSpec {
  /** Output channels. */
  readonly channels: number;
  /** Dilation (1 = plain). */
  readonly dilation: number;
}

/** Architecture of a {@link PixelNetwork}. */
export interface PixelNetworkConfig {
  /** Input channels (2: image, mask). */
  readonly inChannels: number;
  /** Actions per pixel (policy channels). */
  readonly actions: number;
  /** Shared trunk layers. */
  readonly trunk: readonly ConvSpec[];
  /** Layers of each head before its 1x1 output (policy and value have their own). */
  readonly head: readonly ConvSpec[];
  /** Self-attention block after the trunk. */
  readonly attention: boolean;
  /** Average-pooling factor of the attention keys/values (the slice size must be divisible by it). */
  readonly attentionPool: number;
}

/** Default: 4 trunk layers of 16 channels (dilations 1, 2, 4, 8: receptive field 31 px) + 1 per head. */
export const SMALL_PIXEL_NETWORK: PixelNetworkConfig = {
  inChannels: 2,
  actions: 2,
  trunk: [1, 2, 4, 8].map((dilation) => ({ channels: 16, dilation })),
  head: [{ channels: 16, dilation: 1 }],
  attention: false,
  attentionPool: 4,
};

/** The paper's architecture (see the module doc for the departures); slow on a CPU. */
export const PAPER_PIXEL_NETWORK: PixelNetworkConfig = {
  inChannels: 2,
  actions: 2,
  trunk: [
    [32, 1],
    [32, 1],
    [64, 2],
    [64, 2],
    [128, 4],
    [128, 4],
    [128, 4],
    [256, 8],
    [256, 8],
    [256, 8],
  ].map(([channels, dilation]) => ({ channels, dilation })),
  head: [3, 2, 1].map((dilation) => ({ channels: 64, dilation })),
  attention: true,
  attentionPool: 8,
};

/** Named presets of {@link PixelNetworkConfig}. */
export const PIXEL_NETWORK_PRESETS: Readonly<Record<"small" | "paper", PixelNetworkConfig>> = {
  small: SMALL_PIXEL_NETWORK,
  paper: PAPER_PIXEL_NETWORK,
};

/** Outputs of {@link PixelNetwork.forward}. */
export interface PixelNetworkOutput {
  /** `[B, y, x, A]` policy logits. */
  readonly logits: tf.Tensor4D;
  /** `[B, y, x]` values. */
  readonly values: tf.Tensor3D;
}

/** A saved weight: name, shape and values. */
export interface PixelWeight {
  /** Layer name. */
  readonly name: string;
  /** Shape. */
  readonly shape: number[];
  /** Values. */
  readonly values: number[];
}

interface Layer {
  readonly name: string;
  readonly w: tf.Variable;
  readonly b: tf.Variable;
  readonly dilation: number;
}

/** The network (see the module doc). Owns its variables; call {@link dispose}. */
export class PixelNetwork {
  /** Architecture. */
  readonly config: PixelNetworkConfig;
  /** Every trainable variable, in a fixed order. */
  readonly variables: tf.Variable[] = [];
  readonly #names: string[] = [];
  readonly #trunk: Layer[] = [];
  readonly #policy: Layer[] = [];
  readonly #value: Layer[] = [];
  #attention: { q: tf.Variable; k: tf.Variable; v: tf.Variable; gamma: tf.Variable } | null = null;

  /**
   * Builds the layers with He-normal weights (seeded), zero biases, and output layers scaled by 0.01
   * (a near-uniform initial policy and near-zero values).
   * @throws {InvalidArgumentError} for a bad config
   */
  constructor(config: PixelNetworkConfig = SMALL_PIXEL_NETWORK, seed = 0) {
    const okSpec = (s: ConvSpec) =>
      Number.isInteger(s.channels) && s.channels >= 1 && Number.isInteger(s.dilation) && s.dilation >= 1;
    if (!config.trunk.length || ![...config.trunk, ...config.head].every(okSpec)) {
      throw new InvalidArgumentError(
        "network.trunk/head",
        "has a bad layer",
        "layers of integer channels, dilation >= 1",
      );
    }
    if (!(Number.isInteger(config.actions) && config.actions >= 1 && config.inChannels >= 1)) {
      throw new InvalidArgumentError("network", `actions ${config.actions}`, ">= 1 action and input channel");
    }
    this.config = config;
    const rng = new Rng(seed);
    const weight = (name: string, shape: number[], fanIn: number, gain = 1): tf.Variable => {
      const size = shape.reduce((a, b) => a * b, 1), sd = gain * Math.sqrt(2 / fanIn);
      const values = Float32Array.from({ length: size }, () => sd * rng.normal());
      const init = tf.tensor(values, shape), v = tf.variable(init, true);
      init.dispose();
      this.variables.push(v);
      this.#names.push(name);
      return v;
    };
    const bias = (name: string, n: number) => {
      const init = tf.zeros([n]), v = tf.variable(init, true);
      init.dispose();
      this.variables.push(v);
      this.#names.push(name);
      return v;
    };
    const conv = (name: string, ci: number, s: ConvSpec, k = 3, gain = 1): Layer => ({
      name,
      w: weight(`${name}/w`, [k, k, ci, s.channels], k * k * ci, gain),
      b: bias(`${name}/b`, s.channels),
      dilation: s.dilation,
    });
    let c = config.inChannels;
    config.trunk.forEach((s, i) => {
      this.#trunk.push(conv(`trunk${i}`, c, s));
      c = s.channels;
    });
    if (config.attention) {
      const c8 = Math.max(1, c >> 3);
      this.#attention = {
        q: weight("att/q", [c, c8], c),
        k: weight("att/k", [c, c8], c),
        v: weight("att/v", [c, c], c),
        gamma: bias("att/gamma", 1),
      };
    }
    for (const [heads, out, tag] of [[this.#policy, config.actions, "pi"], [this.#value, 1, "v"]] as const) {
      let hc = c;
      config.head.forEach((s, i) => {
        heads.push(conv(`${tag}${i}`, hc, s));
        hc = s.channels;
      });
      heads.push(conv(`${tag}_out`, hc, { channels: out, dilation: 1 }, 1, 0.01));
    }
  }

  /** Number of weights. */
  get parameterCount(): number {
    return this.variables.reduce((n, v) => n + v.size, 0);
  }

  /** Forward pass; call inside `tf.tidy` or a gradient function. */
  forward(input: tf.Tensor4D): PixelNetworkOutput {
    const apply = (x: tf.Tensor4D, l: Layer, relu: boolean): tf.Tensor4D => {
      const y = tf.add(dilatedConv2d(x, l.w as tf.Tensor4D, l.dilation), l.b) as tf.Tensor4D;
      return relu ? tf.relu(y) : y;
    };
    let h = input;
    for (const l of this.#trunk) h = apply(h, l, true);
    if (this.#attention) h = this.#attend(h);
    const run = (layers: Layer[]) => layers.reduce((x, l, i) => apply(x, l, i < layers.length - 1), h);
    const logits = run(this.#policy);
    const v = run(this.#value);
    return { logits, values: tf.squeeze(v, [3]) as tf.Tensor3D };
  }

  #attend(h: tf.Tensor4D): tf.Tensor4D {
    const a = this.#attention!, [b, y, x, c] = h.shape, p = this.config.attentionPool;
    const flat = tf.reshape(h, [b * y * x, c]) as tf.Tensor2D;
    const pooled = tf.avgPool(h, p, p, "same");
    const m = pooled.shape[1] * pooled.shape[2];
    const pf = tf.reshape(pooled, [b * m, c]) as tf.Tensor2D;
    const q = tf.reshape(tf.matMul(flat, a.q as tf.Tensor2D), [b, y * x, -1]) as tf.Tensor3D;
    const k = tf.reshape(tf.matMul(pf, a.k as tf.Tensor2D), [b, m, -1]) as tf.Tensor3D;
    const v = tf.reshape(tf.matMul(pf, a.v as tf.Tensor2D), [b, m, c]) as tf.Tensor3D;
    const att = tf.softmax(tf.matMul(q, k, false, true));
    const out = tf.reshape(tf.matMul(att, v), [b, y, x, c]);
    return tf.add(h, tf.mul(a.gamma, out)) as tf.Tensor4D;
  }

  /** The weights as plain arrays (for a JSON checkpoint). */
  getWeights(): PixelWeight[] {
    return this.variables.map((v, i) => ({
      name: this.#names[i],
      shape: [...v.shape],
      values: Array.from(v.dataSync()),
    }));
  }

  /**
   * Restores weights saved by {@link getWeights}.
   * @throws {InvalidArgumentError} when names or shapes differ
   */
  setWeights(weights: readonly PixelWeight[]): void {
    if (weights.length !== this.variables.length) {
      throw new InvalidArgumentError("weights", `has ${weights.length} entries`, `${this.variables.length}`);
    }
    weights.forEach((w, i) => {
      const v = this.variables[i];
      if (w.name !== this.#names[i] || w.shape.join() !== v.shape.join()) {
        throw new InvalidArgumentError(
          `weights[${i}]`,
          `is ${w.name} ${w.shape}`,
          `${this.#names[i]} ${v.shape}`,
        );
      }
      const t = tf.tensor(w.values, w.shape);
      v.assign(t);
      t.dispose();
    });
  }

  /** Frees the variables. */
  dispose(): void {
    tf.dispose(this.variables);
  }
}
