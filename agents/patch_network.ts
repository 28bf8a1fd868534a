/**
 * The image-reading network of the patch game: ONE logit per patch computed by the same weights from
 * that patch's own features (so "this patch looks like tumour", learnt at one place, holds at every
 * place), plus a terminate logit and a value from features pooled over all patches. Why: the dense
 * head of {@link PolicyNetwork} maps the flattened trunk to a separate logit per patch index and
 * learnt WHERE tumours usually lie, not to read the image (it picked the same patches on every
 * image; `train/patch_train.ts`).
 *
 * Input `[n, oz, oy, ox, c]` (channels last, already in [0, 1]; no intensity window). Trunk
 * ({@link patchTrunkPlan}):
 *
 * 1. downsampling convolutions, kernel 2 / stride 2 along each axis whose halved size still holds at
 *    least one cell per patch (kernel 1 / stride 1 along the others; channels 8, 16, 32, 32, ...), at
 *    least one; a 2D image (oz = 1) thus gets depth-1 kernels (no wasted depth computation);
 * 2. `contextLayers` convolutions of kernel 3 (1 along axes of size 1), stride 1, so that a patch's
 *    features see its neighbours (the liver around a tumour);
 * 3. patch pooling: the mean of the feature cells whose centre lies in each patch (skipped, identity,
 *    when the feature map is the grid, as for the defaults).
 *
 * Heads: patch logit = `feature . w + b` (shared over patches); terminate logit and value from one
 * hidden layer over [mean, max] of the patch features (the max can carry "the most object-like patch
 * left", the greedy baseline's stopping rule). Logits `[n, patches + 1]` in action order (patch
 * `p = (iz * gy + iy) * gx + ix`, last = terminate), values `[n]`.
 *
 * Weights: unnamed tf variables in a fixed order, orthogonal initialisation as CleanRL (gain sqrt(2)
 * hidden, 0.01 both logit heads, so the first policy is near uniform; 1 value head), zero biases.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import type { Vec3 } from "../data/types.ts";
import { orthogonalMatrix } from "./orthogonal_init.ts";
import { addChannelBias, type PolicyOutputs } from "./policy_network.ts";
import { type NamedWeight, shapeSize } from "./snapshot.ts";
import { assignVariables, readVariables } from "./variable_weights.ts";

/** Everything that defines a {@link PatchPolicyNetwork}. */
export interface PatchNetworkArchitecture {
  /** Observation shape z,y,x; at least one cell per patch along each axis. */
  readonly observationShape: Vec3;
  /** Channels per cell (the patch game: 2, intensity and taken mask). */
  readonly channels: number;
  /** Patch grid z,y,x. */
  readonly grid: Vec3;
  /** Kernel-3 context convolutions after the downsampling (>= 0). Default 2. */
  readonly contextLayers: number;
  /** Output channels of the context convolutions (= patch feature width). Default 16. */
  readonly contextChannels: number;
  /** Hidden units of the terminate/value head. Default 32. */
  readonly hiddenUnits: number;
  /** Actions: patches + 1 (derived from the grid). */
  readonly actions: number;
}

/** One convolution of the trunk: kernel and stride per axis z,y,x, and the shape it outputs. */
export interface PatchConvStage {
  /** Kernel z,y,x. */
  readonly kernel: Vec3;
  /** Stride z,y,x. */
  readonly stride: Vec3;
  /** Output shape z,y,x ('same' padding: ceil(size / stride)). */
  readonly shape: Vec3;
  /** Output channels. */
  readonly channels: number;
}

const vec = (f: (a: number) => number): Vec3 => [f(0), f(1), f(2)];

/**
 * The trunk's convolutions for an observation shape and grid (see the module doc).
 * @param observationShape z,y,x cells
 * @param grid patches z,y,x
 * @param contextLayers kernel-3 convolutions after the downsampling (>= 0)
 * @param contextChannels their output channels
 * @throws {InvalidArgumentError} when the observation has fewer cells than patches along an axis
 */
export function patchTrunkPlan(
  observationShape: Vec3,
  grid: Vec3,
  contextLayers: number,
  contextChannels: number,
): PatchConvStage[] {
  if (!observationShape.every((s, a) => s >= grid[a])) {
    throw new InvalidArgumentError(
      "observationShape",
      `is [${observationShape}] for a grid of [${grid}]`,
      "at least one observation cell per patch along each axis",
    );
  }
  const stages: PatchConvStage[] = [];
  let s = vec((a) => observationShape[a]);
  for (;;) {
    const halve = s.map((n, a) => n >= 2 && Math.ceil(n / 2) >= grid[a]);
    if (!halve.some(Boolean) && stages.length > 0) break;
    const stride = vec((a) => (halve[a] ? 2 : 1));
    s = vec((a) => Math.ceil(s[a] / stride[a]));
    stages.push({ kernel: stride, stride, shape: s, channels: Math.min(32, 8 << stages.length) });
    if (!halve.some(Boolean)) break; // grid = observation: one 1x1x1 stage
  }
  const kernel = vec((a) => (s[a] > 1 ? 3 : 1));
  for (let i = 0; i < contextLayers; i++) {
    stages.push({ kernel, stride: [1, 1, 1], shape: s, channels: contextChannels });
  }
  return stages;
}

/**
 * Patch pooling matrix `[patches, cells]` of a feature map of `shape` under `grid`: row p holds
 * 1/m at the m cells whose centre lies in patch p (cell i of an axis of n cells lies in patch
 * `floor((i + 0.5) * g / n)`), or null when the map is the grid (identity).
 */
export function patchPoolingMatrix(shape: Vec3, grid: Vec3): Float32Array | null {
  if (shape.every((n, a) => n === grid[a])) return null;
  const owner = (a: number) =>
    Int32Array.from({ length: shape[a] }, (_, i) => Math.floor((i + 0.5) * grid[a] / shape[a]));
  const [oz, oy, ox] = [owner(0), owner(1), owner(2)];
  const patches = grid[0] * grid[1] * grid[2], cells = shape[0] * shape[1] * shape[2];
  const out = new Float32Array(patches * cells), counts = new Int32Array(patches);
  const patchOf = new Int32Array(cells);
  for (let z = 0, i = 0; z < shape[0]; z++) {
    for (let y = 0; y < shape[1]; y++) {
      for (let x = 0; x < shape[2]; x++, i++) {
        patchOf[i] = (oz[z] * grid[1] + oy[y]) * grid[2] + ox[x];
        counts[patchOf[i]]++;
      }
    }
  }
  for (let i = 0; i < cells; i++) out[patchOf[i] * cells + i] = 1 / counts[patchOf[i]];
  return out;
}

interface Layer {
  kernel: tf.Variable;
  bias: tf.Variable;
}

/** Options of {@link PatchPolicyNetwork}: shape, channels and grid required, widths optional. */
export type PatchNetworkOptions =
  & Pick<PatchNetworkArchitecture, "observationShape" | "channels" | "grid">
  & Partial<Pick<PatchNetworkArchitecture, "contextLayers" | "contextChannels" | "hiddenUnits">>;

/** The fully convolutional patch-game network. Dispose it when done. */
export class PatchPolicyNetwork {
  /** The resolved architecture. */
  readonly architecture: PatchNetworkArchitecture;
  /** Floats per observation: z*y*x*channels. */
  readonly observationLength: number;
  /** The trunk's convolutions. */
  readonly stages: readonly PatchConvStage[];
  readonly #names: string[] = [];
  readonly #variables: tf.Variable[] = [];
  readonly #convs: Layer[];
  readonly #patch: Layer;
  readonly #hidden: Layer;
  readonly #terminate: Layer;
  readonly #value: Layer;
  readonly #pooling: tf.Tensor2D | null;
  #disposed = false;

  /**
   * Builds a network with seeded orthogonal weights.
   * @param options observation shape, channels and grid (required); context layers (default 2),
   *   context channels (16), hidden units (32)
   * @param seed initialisation seed
   * @throws {InvalidArgumentError} for a bad shape, grid or width
   */
  constructor(options: PatchNetworkOptions, seed = 0) {
    const positive = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;
    for (const k of ["observationShape", "grid"] as const) {
      const v = options[k];
      if (!(Array.isArray(v) && v.length === 3 && v.every(positive))) {
        throw new InvalidArgumentError(k, `is ${JSON.stringify(v)}`, "three positive integers z,y,x");
      }
    }
    const g = options.grid;
    const a: PatchNetworkArchitecture = this.architecture = {
      observationShape: vec((i) => options.observationShape[i]),
      channels: options.channels,
      grid: vec((i) => g[i]),
      contextLayers: options.contextLayers ?? 2,
      contextChannels: options.contextChannels ?? 16,
      hiddenUnits: options.hiddenUnits ?? 32,
      actions: g[0] * g[1] * g[2] + 1,
    };
    for (const k of ["channels", "contextChannels", "hiddenUnits"] as const) {
      if (!positive(a[k])) throw new InvalidArgumentError(k, `is ${a[k]}`, "an integer >= 1");
    }
    if (!(Number.isInteger(a.contextLayers) && a.contextLayers >= 0)) {
      throw new InvalidArgumentError("contextLayers", `is ${a.contextLayers}`, "an integer >= 0");
    }
    this.observationLength = shapeSize(a.observationShape) * a.channels;
    this.stages = patchTrunkPlan(a.observationShape, a.grid, a.contextLayers, a.contextChannels);
    const rng = new Rng(seed);
    let inChannels = a.channels;
    this.#convs = this.stages.map((s, i) => {
      const layer = this.#layer(`conv${i + 1}`, [...s.kernel, inChannels, s.channels], Math.SQRT2, rng);
      inChannels = s.channels;
      return layer;
    });
    this.#patch = this.#layer("patch_logit", [inChannels, 1], 0.01, rng);
    this.#hidden = this.#layer("hidden", [2 * inChannels, a.hiddenUnits], Math.SQRT2, rng);
    this.#terminate = this.#layer("terminate_logit", [a.hiddenUnits, 1], 0.01, rng);
    this.#value = this.#layer("value", [a.hiddenUnits, 1], 1, rng);
    const last = this.stages[this.stages.length - 1].shape;
    const pooling = patchPoolingMatrix(last, a.grid);
    this.#pooling = pooling ? tf.tensor2d(pooling, [a.actions - 1, shapeSize(last)]) : null;
  }

  /** The trainable variables, in the fixed order of {@link PatchPolicyNetwork.weightNames}. */
  get variables(): readonly tf.Variable[] {
    return this.#variables;
  }

  /** Names of the variables, in order (`conv1/kernel`, `conv1/bias`, ..., `value/bias`). */
  get weightNames(): readonly string[] {
    return this.#names;
  }

  /**
   * Packs observations (each `observationLength` floats, z,y,x,c) into one tensor
   * `[n, oz, oy, ox, c]`.
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
    const [z, y, x] = this.architecture.observationShape;
    return tf.tensor5d(buffer, [n, z, y, x, this.architecture.channels]);
  }

  /** Forward pass: logits `[n, patches + 1]` and values `[n]`. Call inside `tf.tidy`. */
  forward(input: tf.Tensor5D): PolicyOutputs {
    this.#checkAlive();
    const n = input.shape[0], p = this.architecture.actions - 1;
    let h: tf.Tensor5D = input;
    this.stages.forEach((s, i) => {
      const layer = this.#convs[i], kernel = layer.kernel as unknown as tf.Tensor5D;
      const conv = tf.conv3d(h, kernel, [s.stride[0], s.stride[1], s.stride[2]], "same");
      h = tf.relu(addChannelBias(conv, layer.bias)) as tf.Tensor5D;
    });
    const c = h.shape[4], cells = h.shape[1] * h.shape[2] * h.shape[3];
    let features = tf.reshape(h, [n, cells, c]) as tf.Tensor3D; // [n, patches, c] after pooling
    if (this.#pooling) {
      const byCell = tf.reshape(tf.transpose(features, [1, 0, 2]), [cells, n * c]);
      features = tf.transpose(tf.reshape(tf.matMul(this.#pooling, byCell), [p, n, c]), [1, 0, 2]);
    }
    const flat = tf.reshape(features, [n * p, c]) as tf.Tensor2D;
    const patchLogits = tf.reshape(tf.add(tf.matMul(flat, this.#patch.kernel), this.#patch.bias), [n, p]);
    const pooled = tf.concat([tf.mean(features, 1), tf.max(features, 1)], 1) as tf.Tensor2D;
    const hidden = tf.relu(tf.add(tf.matMul(pooled, this.#hidden.kernel), this.#hidden.bias)) as tf.Tensor2D;
    const terminate = tf.add(tf.matMul(hidden, this.#terminate.kernel), this.#terminate.bias);
    const values = tf.reshape(tf.add(tf.matMul(hidden, this.#value.kernel), this.#value.bias), [n]);
    return { logits: tf.concat([patchLogits, terminate], 1) as tf.Tensor2D, values: values as tf.Tensor1D };
  }

  /** A copy of the current weights. */
  async getWeights(): Promise<NamedWeight[]> {
    this.#checkAlive();
    return await readVariables(this.#variables, this.#names);
  }

  /**
   * Overwrites every variable with a copy of `weights` (same names and shapes, in order).
   * @throws {InvalidArgumentError} when the count, a name or a shape differs
   */
  setWeights(weights: readonly NamedWeight[]): void {
    this.#checkAlive();
    assignVariables(this.#variables, this.#names, weights);
  }

  /** Frees the variables (idempotent). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    tf.dispose([...this.#variables, ...(this.#pooling ? [this.#pooling] : [])]);
  }

  #layer(name: string, shape: number[], gain: number, rng: Rng): Layer {
    const outputs = shape[shape.length - 1];
    const init = orthogonalMatrix(shapeSize(shape) / outputs, outputs, gain, rng);
    // Unnamed: tfjs variable names are global, and a learner and its frozen copies coexist.
    const kernel = tf.tidy(() => tf.variable(tf.tensor(init, shape), true));
    const bias = tf.tidy(() => tf.variable(tf.zeros([outputs]), true));
    this.#variables.push(kernel, bias);
    this.#names.push(`patch_policy/${name}/kernel`, `patch_policy/${name}/bias`);
    return { kernel, bias };
  }

  #checkAlive(): void {
    if (this.#disposed) throw new InvalidArgumentError("PatchPolicyNetwork", "is disposed", "a live network");
  }
}
