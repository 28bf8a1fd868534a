/**
 * 3D batch normalisation for rank-5 tensors [N, D, H, W, C] (channels last), which tfjs-layers'
 * `BatchNormalization` does not support. Importing this module registers the class with
 * `tf.serialization`, so `tf.loadLayersModel` can read a model that holds it.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

/** Constructor options of {@link BatchNorm3d}. */
export interface BatchNorm3dArgs {
  /** Layer name (unique in a model). */
  name?: string;
  /**
   * Fraction of the running statistics kept at each training step (Keras convention; PyTorch's
   * `momentum=0.1` is 0.9 here). Default 0.9, so that short trainings settle their statistics.
   */
  momentum?: number;
  /** Added to the variance before the square root. Default 1e-5 (PyTorch's). */
  epsilon?: number;
  /** Whether the layer's weights are trained (default true). */
  trainable?: boolean;
}

/**
 * Batch normalisation over the N, D, H, W axes of a [N, D, H, W, C] tensor, one scale `gamma` and
 * offset `beta` per channel.
 *
 * - Training (`apply(x, {training: true})`): normalises with the batch mean and biased variance,
 *   and updates the running mean and the running (unbiased, as PyTorch) variance:
 *   `running = momentum * running + (1 - momentum) * batch`.
 * - Inference: normalises with the running statistics.
 *
 * Weights, in this order: gamma, beta, running mean, running variance (each [C]).
 * A batch of one voxel per channel has no unbiased variance: the running variance then takes
 * the biased one (0) rather than dividing by zero.
 */
export class BatchNorm3d extends tfl.layers.Layer {
  /** Registered class name (in model.json). */
  static className = "BatchNorm3d";
  /** Fraction of the running statistics kept per training step. */
  readonly momentum: number;
  /** Variance offset. */
  readonly epsilon: number;
  #gamma?: tfl.LayerVariable;
  #beta?: tfl.LayerVariable;
  #runningMean?: tfl.LayerVariable;
  #runningVariance?: tfl.LayerVariable;

  /**
   * Creates the layer (weights are made on first use).
   *
   * @param args see {@link BatchNorm3dArgs}; momentum in [0, 1), epsilon > 0
   */
  constructor(args: BatchNorm3dArgs = {}) {
    super({ name: args.name, trainable: args.trainable ?? true });
    this.momentum = args.momentum ?? 0.9;
    this.epsilon = args.epsilon ?? 1e-5;
    if (!(this.momentum >= 0 && this.momentum < 1)) {
      throw new RangeError(`BatchNorm3d momentum must lie in [0, 1), got ${this.momentum}`);
    }
    if (!(this.epsilon > 0)) throw new RangeError(`BatchNorm3d epsilon must be > 0, got ${this.epsilon}`);
  }

  /** Creates the per-channel weights; the input must be rank 5 with a known channel count. */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const channels = shape[shape.length - 1];
    if (shape.length !== 5 || channels == null) {
      throw new RangeError(`BatchNorm3d expects [N, D, H, W, C] with a known C, got [${shape.join(", ")}]`);
    }
    const c = [channels];
    this.#gamma = this.addWeight("gamma", c, "float32", tfl.initializers.ones());
    this.#beta = this.addWeight("beta", c, "float32", tfl.initializers.zeros());
    this.#runningMean = this.addWeight(
      "running_mean",
      c,
      "float32",
      tfl.initializers.zeros(),
      undefined,
      false,
    );
    this.#runningVariance = this.addWeight(
      "running_variance",
      c,
      "float32",
      tfl.initializers.ones(),
      undefined,
      false,
    );
    this.built = true;
  }

  /** Output shape equals input shape. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  /** Normalises `inputs` ([N, D, H, W, C]); `kwargs.training` selects batch or running statistics. */
  // deno-lint-ignore no-explicit-any
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { [key: string]: any }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const gamma = this.#gamma!.read(), beta = this.#beta!.read();
    if (!kwargs["training"]) {
      return tf.tidy(() => {
        const scale = tf.mul(gamma, tf.rsqrt(tf.add(this.#runningVariance!.read(), this.epsilon)));
        return tf.add(tf.mul(tf.sub(x, this.#runningMean!.read()), scale), beta);
      });
    }
    return tf.tidy(() => {
      // Per-channel sums as products with a row of ones: the wasm backend's Sum over leading axes
      // transposes the whole tensor first and is ~20x slower than its matrix product.
      const c = x.shape[4] as number, n = x.size / c;
      const flat = tf.reshape(x, [n, c]);
      const ones = tf.fill([1, n], 1 / n);
      const mean = tf.matMul(ones, flat);
      const centered = tf.sub(flat, mean);
      const variance = tf.matMul(ones, tf.square(centered));
      const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, this.epsilon)));
      const y = tf.reshape(tf.add(tf.mul(centered, scale), beta), x.shape);
      const keep = this.momentum, take = 1 - this.momentum;
      const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
      this.#runningMean!.write(
        tf.add(tf.mul(this.#runningMean!.read(), keep), tf.mul(tf.reshape(mean, [c]), take)),
      );
      this.#runningVariance!.write(
        tf.add(tf.mul(this.#runningVariance!.read(), keep), tf.mul(tf.reshape(unbiased, [c]), take)),
      );
      return y;
    });
  }

  /** Serialisable configuration (momentum, epsilon, and the base layer's). */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(BatchNorm3d);
