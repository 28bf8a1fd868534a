/**
 * Replacement conv3d kernels for the tfjs `wasm` backend (4.22.0), measured here:
 *
 * - the stock `Conv3DBackpropInputV2` is WRONG for 'same' padding (relative error 0.4-1.0 on a
 *   1x4x4x4x1 input), so stock conv3d training on wasm silently does not learn;
 * - the stock `Conv3D` and `Conv3DBackpropFilterV2` are correct but slow.
 *
 * This module registers `Conv3D`, `Conv3DBackpropInputV2` and `Conv3DBackpropFilterV2` for
 * `wasm` computed as im2col matrix products (`conv3d_im2col.ts`) run by the wasm BatchMatMul
 * (XNNPACK), for any stride (the classifier's 1, the policy's 2) and dilation 1. Other dilations:
 * the forward falls back to the stock (correct) kernel; a gradient throws rather than being
 * silently wrong.
 *
 * It also registers `BatchMatMul` (`wasm_matmul.ts`): the stock one runs a naive loop, 4-8x slower,
 * whenever an operand is transposed, as in every dense layer's gradient.
 *
 * Also measured and left as is (tests/conv3d_test.ts watches it): the stock wasm `MaxPool3D` starts
 * its max at FLT_MIN instead of -Infinity, so a window of values <= 0 pools to 1.2e-38; after a
 * ReLU (the classifier's only use) the difference is below 1.2e-38.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { InvalidArgumentError } from "../data/errors.ts";
import {
  col2imRows,
  type Conv3dGeometry,
  flipFilter,
  im2colColumns,
  im2colRows,
  inputGradientGeometry,
} from "./conv3d_im2col.ts";
import { transposeFreeBatchMatMul } from "./wasm_matmul.ts";

/** Largest im2col block, in float32 values (16 MiB): bounds memory on large inputs. */
const BLOCK_VALUES = 1 << 22;

/** The kernels this module replaces. */
export const REPLACED_WASM_KERNELS: readonly string[] = [
  "Conv3D",
  "Conv3DBackpropInputV2",
  "Conv3DBackpropFilterV2",
  "BatchMatMul",
];

/** The parts of tfjs' BackendWasm the kernels use. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
  disposeData(dataId: tf.DataId): boolean;
}

const stockKernels = new Map<string, tf.KernelConfig>();

function geometryOf(info: tf.backend_util.Conv3DInfo): Conv3dGeometry | undefined {
  const ones = [info.dilationDepth, info.dilationHeight, info.dilationWidth].every((v) => v === 1);
  if (!ones || info.dataFormat !== "channelsLast") return undefined;
  return {
    batch: info.batchSize,
    inDims: [info.inDepth, info.inHeight, info.inWidth],
    inChannels: info.inChannels,
    outDims: [info.outDepth, info.outHeight, info.outWidth],
    outChannels: info.outChannels,
    kernel: [info.filterDepth, info.filterHeight, info.filterWidth],
    padFront: [info.padInfo.front, info.padInfo.top, info.padInfo.left],
    strides: [info.strideDepth, info.strideHeight, info.strideWidth],
  };
}

function unitStrides(g: Conv3dGeometry): boolean {
  return !g.strides || g.strides.every((s) => s === 1);
}

function heap(backend: WasmBackendLike, info: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

function matMul(backend: WasmBackendLike, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  const kernel = stockKernels.get("BatchMatMul") ?? tf.getKernel("BatchMatMul", "wasm");
  if (!kernel) throw new Error("the wasm backend has no BatchMatMul kernel");
  return kernel.kernelFunc({
    inputs: { a, b },
    backend: backend as unknown as tf.KernelBackend,
    attrs: { transposeA: false, transposeB: false },
  }) as tf.TensorInfo;
}

/**
 * `out[M, cols] = rows(src)[M, K] @ matrix[K, cols]` in blocks of rows; `out` is [M, cols] with
 * M = N * prod(g.outDims).
 */
function rowsTimesMatrix(
  backend: WasmBackendLike,
  src: tf.TensorInfo,
  g: Conv3dGeometry,
  matrix: tf.TensorInfo,
  outShape: number[],
): tf.TensorInfo {
  const K = g.kernel[0] * g.kernel[1] * g.kernel[2] * g.inChannels, cols = g.outChannels;
  const M = g.batch * g.outDims[0] * g.outDims[1] * g.outDims[2];
  const block = Math.max(1, Math.min(M, Math.floor(BLOCK_VALUES / K)));
  const out = block === M ? undefined : backend.makeOutput(outShape, "float32");
  for (let r0 = 0; r0 < M; r0 += block) {
    const rows = Math.min(block, M - r0);
    const patches = backend.makeOutput([rows, K], "float32");
    im2colRows(
      heap(backend, src),
      g.inDims,
      g.inChannels,
      g.outDims,
      g.kernel,
      g.padFront,
      r0,
      rows,
      heap(backend, patches),
      g.strides,
    );
    const product = matMul(backend, patches, matrix);
    backend.disposeData(patches.dataId);
    if (!out) return { dataId: product.dataId, shape: outShape, dtype: "float32" };
    heap(backend, out).set(heap(backend, product), r0 * cols);
    backend.disposeData(product.dataId);
  }
  return out!;
}

function conv3dForward(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x, filter } = args.inputs as Record<string, tf.TensorInfo>;
  const attrs = args.attrs as unknown as {
    strides: [number, number, number];
    pad: "same" | "valid";
    dilations: [number, number, number];
  };
  const info = tf.backend_util.computeConv3DInfo(
    x.shape as [number, number, number, number, number],
    filter.shape as [number, number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
  );
  const g = geometryOf(info);
  if (!g) {
    return stockKernels.get("Conv3D")!.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }
  const K = g.kernel[0] * g.kernel[1] * g.kernel[2] * g.inChannels;
  const w: tf.TensorInfo = { dataId: filter.dataId, shape: [K, g.outChannels], dtype: "float32" };
  return rowsTimesMatrix(backend, x, g, w, info.outShape);
}

function unsupported(kernel: string): never {
  throw new InvalidArgumentError(
    `wasm ${kernel}`,
    "was asked for a dilation other than 1 (the stock wasm kernel is not trusted for gradients)",
    "dilation 1, or another backend",
  );
}

function conv3dBackpropInput(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { dy, filter } = args.inputs as Record<string, tf.TensorInfo>;
  const attrs = args.attrs as unknown as {
    strides: [number, number, number];
    pad: "same" | "valid";
    inputShape: [number, number, number, number, number];
  };
  const info = tf.backend_util.computeConv3DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
  );
  const g = geometryOf(info);
  if (!g) unsupported("Conv3DBackpropInputV2");
  if (!unitStrides(g)) return stridedInputGradient(backend, dy, filter, g, attrs.inputShape);
  const flipped = backend.makeOutput(
    [filter.shape.reduce((a, b) => a * b, 1) / g.inChannels, g.inChannels],
    "float32",
  );
  flipFilter(heap(backend, filter), g.kernel, g.inChannels, g.outChannels, heap(backend, flipped));
  const dx = rowsTimesMatrix(backend, dy, inputGradientGeometry(g), flipped, attrs.inputShape);
  backend.disposeData(flipped.dataId);
  return dx;
}

/**
 * The input gradient of a strided convolution: `patches = dy[M, Co] @ w[K, Co]^T` in blocks of
 * rows, each added back onto the input voxels it was read from (col2im).
 */
function stridedInputGradient(
  backend: WasmBackendLike,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  g: Conv3dGeometry,
  inputShape: number[],
): tf.TensorInfo {
  const K = g.kernel[0] * g.kernel[1] * g.kernel[2] * g.inChannels, Co = g.outChannels;
  const M = g.batch * g.outDims[0] * g.outDims[1] * g.outDims[2];
  const block = Math.max(1, Math.min(M, Math.floor(BLOCK_VALUES / K)));
  // w^T [Co, K], written out: the wasm BatchMatMul with transposeB measured ~10x slower here.
  const wT = backend.makeOutput([Co, K], "float32");
  const src = heap(backend, filter), dst = heap(backend, wT);
  for (let k = 0; k < K; k++) for (let co = 0; co < Co; co++) dst[co * K + k] = src[k * Co + co];
  const dx = backend.makeOutput(inputShape, "float32");
  heap(backend, dx).fill(0);
  for (let r0 = 0; r0 < M; r0 += block) {
    const rows = Math.min(block, M - r0);
    const dyBlock = backend.makeOutput([rows, Co], "float32");
    heap(backend, dyBlock).set(heap(backend, dy).subarray(r0 * Co, (r0 + rows) * Co));
    const patches = matMul(backend, dyBlock, wT);
    const strides = g.strides!;
    col2imRows(
      heap(backend, patches),
      g.inDims,
      g.inChannels,
      g.outDims,
      g.kernel,
      g.padFront,
      strides,
      r0,
      rows,
      heap(backend, dx),
    );
    backend.disposeData(dyBlock.dataId);
    backend.disposeData(patches.dataId);
  }
  backend.disposeData(wT.dataId);
  return dx;
}

function conv3dBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x, dy } = args.inputs as Record<string, tf.TensorInfo>;
  const attrs = args.attrs as unknown as {
    strides: [number, number, number];
    pad: "same" | "valid";
    filterShape: [number, number, number, number, number];
  };
  const info = tf.backend_util.computeConv3DInfo(
    x.shape as [number, number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
  );
  const g = geometryOf(info);
  if (!g) unsupported("Conv3DBackpropFilterV2");
  const K = g.kernel[0] * g.kernel[1] * g.kernel[2] * g.inChannels, Co = g.outChannels;
  const M = g.batch * g.outDims[0] * g.outDims[1] * g.outDims[2];
  const block = Math.max(1, Math.min(M, Math.floor(BLOCK_VALUES / K)));
  const dw = backend.makeOutput(attrs.filterShape, "float32");
  heap(backend, dw).fill(0);
  for (let m0 = 0; m0 < M; m0 += block) {
    const cols = Math.min(block, M - m0);
    const patches = backend.makeOutput([K, cols], "float32");
    // A fresh copy per block: BatchMatMul may cache packed right-hand operands by tensor id.
    const dyBlock = backend.makeOutput([cols, Co], "float32");
    heap(backend, dyBlock).set(heap(backend, dy).subarray(m0 * Co, (m0 + cols) * Co));
    im2colColumns(
      heap(backend, x),
      g.inDims,
      g.inChannels,
      g.outDims,
      g.kernel,
      g.padFront,
      m0,
      cols,
      heap(backend, patches),
      g.strides,
    );
    const part = matMul(backend, patches, dyBlock);
    const sum = heap(backend, dw), add = heap(backend, part);
    for (let i = 0; i < sum.length; i++) sum[i] += add[i];
    backend.disposeData(patches.dataId);
    backend.disposeData(dyBlock.dataId);
    backend.disposeData(part.dataId);
  }
  return dw;
}

const replacements: Record<string, (stock: tf.KernelFunc) => tf.KernelFunc> = {
  Conv3D: () => conv3dForward as tf.KernelFunc,
  Conv3DBackpropInputV2: () => conv3dBackpropInput as tf.KernelFunc,
  Conv3DBackpropFilterV2: () => conv3dBackpropFilter as tf.KernelFunc,
  BatchMatMul: transposeFreeBatchMatMul,
};

/** True while this package's conv3d kernels are registered for `wasm`. */
export function wasmConv3dKernelsInstalled(): boolean {
  return stockKernels.size > 0;
}

/**
 * Registers this package's `Conv3D`, `Conv3DBackpropInputV2`, `Conv3DBackpropFilterV2` and
 * `BatchMatMul` for the `wasm` backend, keeping the stock ones for {@link uninstallWasmConv3dKernels}. Idempotent.
 * Needs `@tensorflow/tfjs-backend-wasm` imported (its kernels registered) first.
 *
 * @throws {Error} when a stock wasm kernel is missing (the wasm package was not imported)
 */
export function installWasmConv3dKernels(): void {
  if (wasmConv3dKernelsInstalled()) return;
  for (const name of REPLACED_WASM_KERNELS) {
    const stock = tf.getKernel(name, "wasm");
    if (!stock) throw new Error(`no stock wasm kernel ${name}: import @tensorflow/tfjs-backend-wasm first`);
    stockKernels.set(name, stock);
  }
  for (const name of REPLACED_WASM_KERNELS) {
    tf.unregisterKernel(name, "wasm");
    const kernelFunc = replacements[name](stockKernels.get(name)!.kernelFunc);
    tf.registerKernel({ kernelName: name, backendName: "wasm", kernelFunc });
  }
}

/** Restores the stock wasm kernels (regression tests of their defects, benchmarks). Idempotent. */
export function uninstallWasmConv3dKernels(): void {
  for (const [name, stock] of stockKernels) {
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel(stock);
  }
  stockKernels.clear();
}
