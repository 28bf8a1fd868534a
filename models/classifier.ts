/**
 * The object-presence classifier of SPARS: a 3D CNN mapping one [D, H, W] input (z,y,x) to the
 * probability that the target (tumour) is present.
 *
 * Architecture (the paper's, Sec. 3.2): 4 blocks of [Conv3D 3x3x3, BatchNorm3D, ReLU, MaxPool3D 2]
 * with 8, 16, 32, 64 channels, then 5 fully connected layers: 4 hidden ReLU layers and ONE sigmoid
 * output (we chose one sigmoid unit with binary cross-entropy over the reference's 2-way softmax:
 * the same model, half the output, and the score is the output itself).
 *
 * Choices the paper leaves open, stated here:
 * - convolutions use 'same' padding and no bias (the batch norm that follows cancels a bias);
 * - pooling uses 'same' padding, so every input size works: 24x48x48 pools to 12x24x24, 6x12x12,
 *   3x6x6 and 2x3x3 (the last pool covers a half-empty window), giving 2*3*3*64 = 1152 features,
 *   the reference's first fully connected width;
 * - the default input is 12x24x24: the default 24x48x48 window at half resolution (trilinear, so
 *   each input voxel averages 2x2x2 voxels and the noise drops ~2.8x). On the 2-core wasm backend a
 *   train step costs ~18 ms per sample against ~125 ms at 24x48x48, and a window scores in ~4 ms
 *   against ~33 ms; tumours of the default phantoms (radius >= 5 mm) stay >= 2 voxels across;
 * - a 2D image is a volume of depth 1 and takes the same path with kernels of depth 1: when the
 *   input depth is 1, convolutions are 1x3x3 and pools 1x2x2 (a 3x3x3 kernel would spend two thirds
 *   of its taps on the zero padding above and below the slice; a 2-deep pool has nothing to pool).
 *   The model is then exactly a 2D CNN (conv2d 3x3 'same', max-pool 2 'same'), proven equal to a
 *   direct conv2d implementation in `tests/classifier_depth1_test.ts`;
 * - the head is a global max over the last feature map ("is there a tumour anywhere in view"), so a
 *   window scores the same wherever the tumour sits in it;
 * - hidden widths default to 256, 128, 64, 32 (the reference's 1600, 800, 400, 128 are an option:
 *   they cost CPU time and overfit a few dozen training volumes). Measured on the default phantoms
 *   with the default training, a single hidden layer of 32 learns as well; the 5-layer head is kept
 *   as the paper's.
 *
 * Inputs are [N, D, H, W, 1] float32 in [0, 1] (see `classifier_input.ts`).
 *
 * @module
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";
import { BatchNorm3d } from "./batch_norm3d.ts";

/** Architecture options of the classifier (all serialised into the checkpoint). */
export interface ClassifierArchitecture {
  /** Network input shape z,y,x in voxels; windows and images are resampled to it. */
  inputShape: Vec3;
  /**
   * Image channels of the input (modalities, e.g. 3 for FLAIR, T1c, T2), channels last; absent in
   * checkpoints written before multi-channel input: 1.
   */
  inputChannels?: number;
  /** Output channels of the convolutional blocks, one block each. */
  channels: readonly number[];
  /** Widths of the hidden fully connected layers (the sigmoid output layer comes after them). */
  hiddenUnits: readonly number[];
  /**
   * Batch-norm momentum (fraction of running statistics kept per step). Training recomputes the
   * running statistics after each epoch by default (`recalibrateBatchNorm`), which overrides them:
   * the momentum then only matters with recalibration off.
   */
  batchNormMomentum: number;
  /**
   * How the last feature map becomes a vector: "flatten" (position-specific, the reference's) or
   * "globalMax" (max over the remaining positions, translation invariant; 64 features).
   */
  head: "flatten" | "globalMax";
}

/** The default architecture: input 12x24x24 (the default 24x48x48 window at half resolution), channels 8,16,32,64. */
export const DEFAULT_ARCHITECTURE: ClassifierArchitecture = {
  inputShape: [12, 24, 24],
  channels: [8, 16, 32, 64],
  hiddenUnits: [256, 128, 64, 32],
  batchNormMomentum: 0.9,
  head: "globalMax",
};

function positiveIntegers(name: string, values: readonly number[], minLength: number): void {
  if (values.length < minLength || !values.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new InvalidArgumentError(
      name,
      `is [${values.join(", ")}]`,
      `at least ${minLength} positive integers`,
    );
  }
}

/**
 * Fills defaults and validates an architecture.
 *
 * @throws {InvalidArgumentError} on a shape that is not 3 positive integers, empty channel lists
 *   or a momentum outside [0, 1)
 */
export function resolveArchitecture(options: Partial<ClassifierArchitecture> = {}): ClassifierArchitecture {
  const a: ClassifierArchitecture = { ...DEFAULT_ARCHITECTURE, ...options };
  if (a.inputShape.length !== 3) {
    throw new InvalidArgumentError(
      "inputShape",
      `is [${a.inputShape.join(", ")}]`,
      "three positive integers z,y,x",
    );
  }
  positiveIntegers("inputShape", a.inputShape, 3);
  positiveIntegers("inputChannels", [a.inputChannels ?? 1], 1);
  positiveIntegers("channels", a.channels, 1);
  positiveIntegers("hiddenUnits", a.hiddenUnits, 0);
  if (!(a.batchNormMomentum >= 0 && a.batchNormMomentum < 1)) {
    throw new InvalidArgumentError("batchNormMomentum", `is ${a.batchNormMomentum}`, "a number in [0, 1)");
  }
  if (a.head !== "flatten" && a.head !== "globalMax") {
    throw new InvalidArgumentError("head", `is ${JSON.stringify(a.head)}`, '"flatten" or "globalMax"');
  }
  return {
    head: a.head,
    inputShape: [a.inputShape[0], a.inputShape[1], a.inputShape[2]],
    ...((a.inputChannels ?? 1) !== 1 ? { inputChannels: a.inputChannels } : {}),
    channels: [...a.channels],
    hiddenUnits: [...a.hiddenUnits],
    batchNormMomentum: a.batchNormMomentum,
  };
}

/**
 * Builds an untrained classifier. Weight initialisation (Glorot uniform) is seeded, so the same
 * seed gives the same initial weights on the same backend.
 *
 * @param options architecture (defaults: {@link DEFAULT_ARCHITECTURE})
 * @param seed initialisation seed (integer)
 * @returns a tfjs-layers model: input [N, D, H, W, C] (C = `inputChannels`, default 1), output [N, 1]
 *   probabilities
 */
export function buildClassifier(options: Partial<ClassifierArchitecture> = {}, seed = 0): tfl.LayersModel {
  const a = resolveArchitecture(options);
  const [d, h, w] = a.inputShape;
  const init = (k: number) => tfl.initializers.glorotUniform({ seed: seed * 1000 + k });
  // Depth 1 (a 2D image): kernels and pools of depth 1, so no tap reads the padding along z.
  const kz = d === 1 ? 1 : 3, pz = d === 1 ? 1 : 2;
  const model = tfl.sequential({ name: "spars_presence_classifier" });
  model.add(tfl.layers.inputLayer({ inputShape: [d, h, w, a.inputChannels ?? 1], name: "volume" }));
  a.channels.forEach((filters, i) => {
    model.add(tfl.layers.conv3d({
      filters,
      kernelSize: [kz, 3, 3],
      padding: "same",
      useBias: false,
      kernelInitializer: init(i),
      name: `block${i + 1}_conv`,
    }));
    model.add(new BatchNorm3d({ name: `block${i + 1}_bn`, momentum: a.batchNormMomentum }));
    model.add(tfl.layers.reLU({ name: `block${i + 1}_relu` }));
    model.add(
      tfl.layers.maxPooling3d({
        poolSize: [pz, 2, 2],
        strides: [pz, 2, 2],
        padding: "same",
        name: `block${i + 1}_pool`,
      }),
    );
  });
  if (a.head === "globalMax") {
    // A max pool over the whole remaining map ('same' pooling halves each axis, rounding up).
    let [rd, rh, rw] = a.inputShape;
    for (let i = 0; i < a.channels.length; i++) {
      [rd, rh, rw] = [Math.ceil(rd / pz), Math.ceil(rh / 2), Math.ceil(rw / 2)];
    }
    model.add(tfl.layers.maxPooling3d({ poolSize: [rd, rh, rw], strides: [rd, rh, rw], name: "global_max" }));
  }
  model.add(tfl.layers.flatten({ name: "flatten" }));
  a.hiddenUnits.forEach((units, i) => {
    model.add(
      tfl.layers.dense({ units, activation: "relu", kernelInitializer: init(100 + i), name: `fc${i + 1}` }),
    );
  });
  model.add(tfl.layers.dense({
    units: 1,
    activation: "sigmoid",
    kernelInitializer: init(200),
    name: "presence",
  }));
  return model;
}

/** The input shape z,y,x a classifier model expects (read from its input layer). */
export function modelInputShape(model: tfl.LayersModel): Vec3 {
  const shape = model.inputs[0].shape;
  if (shape.length !== 5 || shape.slice(1, 5).some((v) => v == null || !(v >= 1))) {
    throw new InvalidArgumentError("model", `has input shape [${shape.join(", ")}]`, "[null, D, H, W, C]");
  }
  return [shape[1]!, shape[2]!, shape[3]!];
}

/** The image channels C a classifier model expects (its input is [N, D, H, W, C]). */
export function modelInputChannels(model: tfl.LayersModel): number {
  modelInputShape(model);
  return model.inputs[0].shape[4]!;
}
