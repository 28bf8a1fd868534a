/**
 * Export of a trained presence classifier (see `classifier.ts`) to an ONNX model (opset 13), so that
 * it runs where inference is fastest (onnxruntime, see `onnx_runtime.ts`). The protobuf is written
 * by hand (`onnx_proto.ts`): no ONNX package is needed.
 *
 * Input `volume` [N, 1, D, H, W] float32: with one channel the NDHWC batch buffer of tfjs has the
 * same memory layout, so the same buffer is fed unchanged. Output `presence` [N, 1].
 *
 * The graph follows the tfjs layers one by one (two layouts, see {@link OnnxExportOptions.layout}):
 * - Conv3D -> `Conv` with `pads` as tfjs computes 'same' (the odd voxel of padding at the end);
 * - BatchNorm3d -> `BatchNormalization` with the running statistics (onnxruntime folds it into the
 *   convolution); ReLU -> `Relu`;
 * - MaxPool3D -> `MaxPool` with tfjs' 'same' pads (padding never wins a max in either);
 * - Flatten -> `Transpose` to [N, D, H, W, C] then `Flatten`, so dense rows keep tfjs' order;
 * - Dense -> `Gemm`, then `Relu` / `Sigmoid`.
 *
 * Anything else (another layer type, dilation, an activation inside a conv other than relu) is
 * rejected with an {@link InvalidArgumentError} naming the layer: nothing is approximated. Each
 * layer's output shape is checked against the one tfjs reports.
 *
 * @module
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { modelInputChannels, modelInputShape } from "./classifier.ts";
import { OnnxGraph } from "./onnx_graph.ts";
import type { Attribute } from "./onnx_proto.ts";

export { ONNX_IR_VERSION, ONNX_OPSET } from "./onnx_graph.ts";
/** Name of the exported graph's input ([N, 1, D, H, W] float32 in [0, 1]). */
export const ONNX_INPUT_NAME = "volume";
/** Name of the exported graph's output ([N, 1] probabilities). */
export const ONNX_OUTPUT_NAME = "presence";

/** Graph layouts: see {@link OnnxExportOptions.layout}. */
export type OnnxLayout = "depthFolded" | "conv3d";

/** Options of {@link exportClassifierToOnnx}. */
export interface OnnxExportOptions {
  /**
   * "depthFolded" (default, the faster on onnxruntime's CPU provider): between blocks the value is
   * [N, D, C, H, W]; a kD x kH x kW convolution stacks the kD depth-shifted slices as channels and
   * runs ONE 2D convolution over [N*D, kD*C, H, W] (onnxruntime's blocked 2D kernels instead of 3D
   * im2col), and a pool is a 2D MaxPool then a ReduceMax over depth groups. "conv3d": the literal
   * translation, Conv and MaxPool in 3D on [N, C, D, H, W].
   */
  layout?: OnnxLayout;
  /** Free text stored as the model's doc string. */
  docString?: string;
}

/** The classifier's graph: {@link OnnxGraph} plus the depth-folded layout's rank bookkeeping. */
class GraphBuilder extends OnnxGraph {
  /** Depth-folded layout only: the value is [N*D, C, H, W] (else [N, D, C, H, W]). */
  rank4 = false;

  constructor(readonly folded: boolean) {
    super(ONNX_INPUT_NAME);
  }
  /** Depth-folded layout: reshapes the value of logical shape [C, D, H, W] to the rank asked. */
  toRank(name: string, [c, d, h, w]: readonly number[], rank: 4 | 5): void {
    if ((rank === 4) === this.rank4) return;
    this.reshape(`${name}/to_rank${rank}`, rank === 4 ? [-1, c, h, w] : [-1, d, c, h, w]);
    this.rank4 = rank === 4;
  }
}

/** Window op geometry as tfjs computes it. */
interface Window3d {
  kernel: number[];
  strides: number[];
  /** ONNX order: begins z,y,x then ends z,y,x. */
  pads: number[];
  /** Output size z,y,x. */
  out: number[];
}

function unsupported(layer: tfl.layers.Layer, problem: string): never {
  throw new InvalidArgumentError(
    `layer ${layer.name} (${layer.getClassName()})`,
    problem,
    "a layer of the presence classifier: Conv3D (channelsLast, no dilation, depth stride 1 when " +
      "depth-folded), BatchNorm3d, ReLU, MaxPooling3D (depth pool equal to its stride when " +
      "depth-folded), Flatten or Dense; activations linear, relu or sigmoid",
  );
}

function triple(layer: tfl.layers.Layer, value: unknown, what: string): number[] {
  const v = Array.isArray(value) ? value : [value, value, value];
  if (v.length !== 3 || !v.every((n) => Number.isInteger(n) && n >= 1)) {
    unsupported(layer, `has ${what} ${JSON.stringify(value)}`);
  }
  return v as number[];
}

/** 'valid', or tfjs 'same': output ceil(n / stride), the odd voxel of padding at the end. */
function window3d(layer: tfl.layers.Layer, spatial: readonly number[], kernelKey: string): Window3d {
  const config = layer.getConfig();
  if (config.dataFormat !== "channelsLast") unsupported(layer, `has dataFormat ${config.dataFormat}`);
  const kernel = triple(layer, config[kernelKey], kernelKey);
  const strides = triple(layer, config.strides ?? config[kernelKey], "strides");
  if (config.padding === "valid") {
    const out = spatial.map((n, i) => Math.floor((n - kernel[i]) / strides[i]) + 1);
    return { kernel, strides, pads: [0, 0, 0, 0, 0, 0], out };
  }
  if (config.padding !== "same") unsupported(layer, `has padding ${config.padding}`);
  const out = spatial.map((n, i) => Math.ceil(n / strides[i]));
  const total = spatial.map((n, i) => Math.max((out[i] - 1) * strides[i] + kernel[i] - n, 0));
  const begin = total.map((t) => Math.floor(t / 2));
  return { kernel, strides, pads: [...begin, ...total.map((t, i) => t - begin[i])], out };
}

function activation(g: GraphBuilder, layer: tfl.layers.Layer, name: unknown): void {
  if (name === "relu") g.chain("Relu", `${layer.name}/relu`);
  else if (name === "sigmoid") g.chain("Sigmoid", `${layer.name}/sigmoid`);
  else if (name !== "linear" && name !== undefined) unsupported(layer, `has activation ${name}`);
}

/**
 * Conv3D kernel [kD, kH, kW, Cin, Cout] (tfjs) to ONNX: [Cout, Cin, kD, kH, kW] for a 3D Conv, or
 * [Cout, kD * Cin, kH, kW] for the depth-folded 2D Conv (input channel dz * Cin + c).
 */
function convKernel(k: Float32Array, [kd, kh, kw, cin, cout]: number[], folded: boolean): Float32Array {
  const out = new Float32Array(k.length), plane = kh * kw;
  for (let dz = 0; dz < kd; dz++) {
    for (let t = 0; t < plane; t++) {
      for (let c = 0; c < cin; c++) {
        const to = folded ? (dz * cin + c) * plane + t : (c * kd + dz) * plane + t;
        for (let o = 0; o < cout; o++) {
          out[o * kd * cin * plane + to] = k[((dz * plane + t) * cin + c) * cout + o];
        }
      }
    }
  }
  return out;
}

/** A layer weight's values and shape, read once (asynchronously: any tfjs backend). */
interface WeightValue {
  data: Float32Array;
  shape: number[];
}

/** Conv3D; `shape` is the logical [C, D, H, W] before it; returns the one after it. */
function emitConv(
  g: GraphBuilder,
  layer: tfl.layers.Layer,
  shape: number[],
  weights: WeightValue[],
): number[] {
  const config = layer.getConfig();
  if (triple(layer, config.dilationRate, "dilationRate").some((n) => n !== 1)) {
    unsupported(layer, "has a dilation rate other than 1");
  }
  const win = window3d(layer, shape.slice(1), "kernelSize");
  const [kd, kh, kw] = win.kernel, [cin, , h, w] = shape;
  const [kernel, bias] = weights;
  const cout = kernel.shape[4];
  const inputs = [g.weight(
    `${layer.name}/kernel`,
    g.folded ? [cout, kd * cin, kh, kw] : [cout, cin, kd, kh, kw],
    convKernel(kernel.data, kernel.shape, g.folded),
  )];
  if (config.useBias) inputs.push(g.weight(`${layer.name}/bias`, [cout], bias.data));
  if (!g.folded) {
    g.chain("Conv", layer.name, inputs, [
      { name: "kernel_shape", ints: win.kernel },
      { name: "strides", ints: win.strides },
      { name: "pads", ints: win.pads },
    ]);
  } else {
    if (win.strides[0] !== 1) unsupported(layer, "has a depth stride other than 1");
    g.toRank(layer.name, shape, 5);
    const [before, after, outD] = [win.pads[0], win.pads[3], win.out[0]];
    if (before + after > 0) {
      const pads = g.ints(`${layer.name}/depth_pads`, [0, before, 0, 0, 0, 0, after, 0, 0, 0]);
      g.chain("Pad", `${layer.name}/pad_depth`, [pads]);
    }
    if (kd > 1) {
      // One Gather stacks the taps: [N, outD, kD, C, H, W], element (z, dz) = padded depth z + dz,
      // so folded input channel dz * Cin + c is channel c of depth z + dz.
      const taps = Array.from({ length: outD * kd }, (_, i) => Math.floor(i / kd) + (i % kd));
      const indices = g.ints(`${layer.name}/tap_indices`, taps, [outD, kd]);
      g.chain("Gather", `${layer.name}/stack_taps`, [indices], [{ name: "axis", int: 1 }]);
    }
    g.reshape(`${layer.name}/fold_depth`, [-1, kd * cin, h, w]);
    g.rank4 = true;
    g.chain("Conv", layer.name, inputs, [
      { name: "kernel_shape", ints: [kh, kw] },
      { name: "strides", ints: win.strides.slice(1) },
      { name: "pads", ints: [win.pads[1], win.pads[2], win.pads[4], win.pads[5]] },
    ]);
  }
  activation(g, layer, config.activation);
  return [cout, ...win.out];
}

/** MaxPooling3D; `shape` is the logical [C, D, H, W] before it; returns the one after it. */
function emitPool(g: GraphBuilder, layer: tfl.layers.Layer, shape: number[]): number[] {
  const win = window3d(layer, shape.slice(1), "poolSize");
  const [c, d] = shape, [kd, kh, kw] = win.kernel, [outD, outH, outW] = win.out;
  if (!g.folded) {
    g.chain("MaxPool", layer.name, [], [
      { name: "kernel_shape", ints: win.kernel },
      { name: "strides", ints: win.strides },
      { name: "pads", ints: win.pads },
    ]);
    return [c, ...win.out];
  }
  g.toRank(layer.name, shape, 4);
  g.chain("MaxPool", layer.name, [], [
    { name: "kernel_shape", ints: [kh, kw] },
    { name: "strides", ints: win.strides.slice(1) },
    { name: "pads", ints: [win.pads[1], win.pads[2], win.pads[4], win.pads[5]] },
  ]);
  if (kd === 1 && win.strides[0] === 1) return [c, d, outH, outW];
  if (kd !== win.strides[0]) unsupported(layer, "has a depth pool size different from its depth stride");
  g.toRank(layer.name, [c, d, outH, outW], 5);
  const [before, after] = [win.pads[0], win.pads[3]];
  if (before + after > 0) {
    // Padding never wins a max: pad with -Infinity.
    const pads = g.ints(`${layer.name}/depth_pads`, [0, before, 0, 0, 0, 0, after, 0, 0, 0]);
    const lowest = g.weight(`${layer.name}/minus_infinity`, [], Float32Array.of(-Infinity));
    g.chain("Pad", `${layer.name}/pad_depth`, [pads, lowest]);
  } else if (outD * kd < d) {
    // 'valid' drops the depth slices no window covers.
    const bounds = [[0], [outD * kd], [1]].map((v, i) => g.ints(`${layer.name}/crop_depth${i}`, v));
    g.chain("Slice", `${layer.name}/crop_depth`, bounds);
  }
  g.reshape(`${layer.name}/depth_groups`, [-1, outD, kd, c, outH, outW]);
  const reduce: Attribute[] = [{ name: "axes", ints: [2] }, { name: "keepdims", int: 0 }];
  g.chain("ReduceMax", `${layer.name}/depth_max`, [], reduce);
  return [c, ...win.out];
}

/**
 * Builds the ONNX ModelProto of a classifier from its current tfjs weights (inference: batch norm
 * uses the running statistics, as `model.predict` does). Weights are read with `data()`, so a model
 * on any tfjs backend (webgpu included) can be exported.
 *
 * @param model a classifier from `buildClassifier` or `loadClassifier` (input [N, D, H, W, C])
 * @param options graph layout and doc string
 * @returns the serialised model (a `.onnx` file's bytes): input `volume` [N, 1, D, H, W] float32
 *   (z,y,x, same memory layout as tfjs' [N, D, H, W, 1]); with C > 1 channels [N, D, H, W, C], channels
 *   last as tfjs (transposed inside the graph); output `presence` [N, 1]
 * @throws {InvalidArgumentError} on a layer or configuration the export does not support, or when
 *   a layer's output shape disagrees with the shape tfjs reports (the export would be wrong)
 */
export async function exportClassifierToOnnx(
  model: tfl.LayersModel,
  options: OnnxExportOptions = {},
): Promise<Uint8Array> {
  const layout = options.layout ?? "depthFolded";
  if (layout !== "depthFolded" && layout !== "conv3d") {
    throw new InvalidArgumentError("layout", `is ${JSON.stringify(layout)}`, '"depthFolded" or "conv3d"');
  }
  const [d, h, w] = modelInputShape(model), c = modelInputChannels(model);
  const g = new GraphBuilder(layout === "depthFolded");
  if (c === 1) {
    // With one channel, [N, 1, D, H, W] and [N, D, 1, H, W] are the same memory.
    if (g.folded) g.reshape("volume/as_ndchw", [-1, d, 1, h, w]);
  } else {
    // Several channels arrive channels last, [N, D, H, W, C] (the scorers' buffer): to [N, D, C, H, W]
    // when depth-folded, else to [N, C, D, H, W].
    const perm = g.folded ? [0, 1, 4, 2, 3] : [0, 4, 1, 2, 3];
    g.chain("Transpose", "volume/channels_first", [], [{ name: "perm", ints: perm }]);
  }
  // Logical shape of the current value without the batch: [C, D, H, W], then [features].
  let shape: number[] = [c, d, h, w];
  for (const layer of model.layers) {
    const config = layer.getConfig();
    const cls = layer.getClassName();
    if (cls === "InputLayer") continue;
    const weights: WeightValue[] = await Promise.all(
      layer.getWeights().map(async (t) => ({ data: await t.data() as Float32Array, shape: t.shape })),
    );
    if (cls === "Conv3D") {
      shape = emitConv(g, layer, shape, weights);
    } else if (cls === "MaxPooling3D") {
      shape = emitPool(g, layer, shape);
    } else if (cls === "BatchNorm3d" || cls === "ReLU") {
      if (shape.length !== 4) unsupported(layer, "follows a flattened tensor");
      if (g.folded) g.toRank(layer.name, shape, 4);
      if (cls === "ReLU") {
        if (config.maxValue != null) unsupported(layer, `has maxValue ${config.maxValue}`);
        g.chain("Relu", layer.name);
      } else {
        if (weights.length !== 4 || weights.some((v) => v.data.length !== shape[0])) {
          unsupported(layer, `has weights of sizes ${weights.map((v) => v.data.length).join(", ")}`);
        }
        const names = ["gamma", "beta", "running_mean", "running_variance"];
        const inputs = names.map((n, i) => g.weight(`${layer.name}/${n}`, [shape[0]], weights[i].data));
        g.chain("BatchNormalization", layer.name, inputs, [{
          name: "epsilon",
          float: Number(config.epsilon),
        }]);
      }
    } else if (cls === "Flatten") {
      if (shape.length === 4) {
        // tfjs flattens [D, H, W, C] (channels fastest): reorder first so dense rows keep their meaning.
        if (g.folded) g.toRank(layer.name, shape, 5);
        const perm = g.folded ? [0, 1, 3, 4, 2] : [0, 2, 3, 4, 1];
        g.chain("Transpose", `${layer.name}/to_dhwc`, [], [{ name: "perm", ints: perm }]);
        g.chain("Flatten", layer.name, [], [{ name: "axis", int: 1 }]);
        shape = [shape.reduce((a, b) => a * b, 1)];
      }
    } else if (cls === "Dense") {
      if (shape.length !== 1) unsupported(layer, "follows a tensor that is not flattened");
      const [kernel, bias] = weights;
      const units = kernel.shape[1];
      const inputs = [g.weight(`${layer.name}/kernel`, kernel.shape, kernel.data)];
      if (config.useBias) inputs.push(g.weight(`${layer.name}/bias`, [units], bias.data));
      g.chain("Gemm", layer.name, inputs);
      activation(g, layer, config.activation);
      shape = [units];
    } else {
      unsupported(layer, "has no ONNX translation here");
    }
    const expected = (layer.outputShape as number[]).slice(1);
    const ours = shape.length === 4 ? [...shape.slice(1), shape[0]] : shape;
    if (expected.join("x") !== ours.join("x")) {
      throw new InvalidArgumentError(
        `layer ${layer.name}`,
        `exports with output shape [${ours.join(", ")}] (DHWC)`,
        `tfjs' [${expected.join(", ")}]`,
      );
    }
  }
  if (shape.length !== 1 || shape[0] !== 1) {
    throw new InvalidArgumentError("model", `ends in shape [${shape.join(", ")}]`, "one output unit");
  }
  // The graph output gets a fixed name whatever the last layer is called.
  g.add("Identity", `${ONNX_OUTPUT_NAME}/identity`, [g.current], [], ONNX_OUTPUT_NAME);
  return g.model({
    name: model.name,
    inputs: [[ONNX_INPUT_NAME, c === 1 ? ["N", 1, d, h, w] : ["N", d, h, w, c]]],
    outputs: [[ONNX_OUTPUT_NAME, ["N", 1]]],
    docString: options.docString ?? `SPARS Gym presence classifier, ${layout} layout`,
  });
}

/**
 * Exports a classifier (see {@link exportClassifierToOnnx}) and writes it atomically to `path`.
 *
 * @param model the classifier
 * @param path destination `.onnx` file; its folder must exist; an existing file is replaced
 * @param options graph layout and doc string
 * @returns the bytes written
 */
export async function saveClassifierOnnx(
  model: tfl.LayersModel,
  path: string,
  options: OnnxExportOptions = {},
): Promise<Uint8Array> {
  const bytes = await exportClassifierToOnnx(model, options);
  await writeFileAtomic(path, bytes);
  return bytes;
}
