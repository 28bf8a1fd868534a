/**
 * A `BatchMatMul` for the tfjs `wasm` backend (4.22.0) that keeps every product on XNNPACK.
 *
 * Measured here (1 thread, SIMD): the stock kernel multiplies on XNNPACK only when neither operand
 * is transposed; with `transposeA` or `transposeB` it runs a naive loop, 4x slower at 8x576 @ 576x64
 * and 8x slower at 6912x8 @ 8x8. Every gradient of a dense layer is such a product
 * (`dA = dY @ B^T`, `dB = A^T @ dY`), so PPO's backward pass spent most of its matrix time there.
 * This kernel materialises each transposed operand once with the wasm `Transpose` kernel (a copy,
 * linear in its size) and hands the untransposed pair to the stock kernel. Results are the stock
 * products' (the same XNNPACK kernel sums in the same order as for a pre-transposed operand).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** The parts of tfjs' BackendWasm the kernel uses. */
interface WasmBackendLike {
  disposeData(dataId: tf.DataId): boolean;
}

/** Attributes of `BatchMatMul`. */
interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** The batch of matrices with its last two axes swapped, as a new tensor of the wasm backend. */
function swapLastAxes(info: tf.TensorInfo, backend: unknown): tf.TensorInfo {
  const transpose = tf.getKernel("Transpose", "wasm");
  if (!transpose) throw new Error("the wasm backend has no Transpose kernel");
  const rank = info.shape.length;
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return transpose.kernelFunc({
    inputs: { x: info },
    backend: backend as tf.KernelBackend,
    attrs: { perm },
  }) as tf.TensorInfo;
}

/**
 * Wraps the stock wasm `BatchMatMul`: products without transposes go to it unchanged; a transposed
 * float32 operand (rank >= 2, batch axes first, broadcast as the stock kernel broadcasts them) is
 * first copied with its last two axes swapped, so the stock kernel takes its XNNPACK path. The
 * copies are freed before returning.
 *
 * @param stock the stock wasm `BatchMatMul` kernel function
 * @returns the replacement kernel function
 */
export function transposeFreeBatchMatMul(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as MatMulAttrs;
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if ((!attrs.transposeA && !attrs.transposeB) || a.dtype !== "float32" || b.dtype !== "float32") {
      return stock(args);
    }
    const backend = args.backend as unknown as WasmBackendLike;
    const aPlain = attrs.transposeA ? swapLastAxes(a, args.backend) : a;
    const bPlain = attrs.transposeB ? swapLastAxes(b, args.backend) : b;
    try {
      return stock({
        ...args,
        inputs: { a: aPlain, b: bPlain },
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    } finally {
      if (aPlain !== a) backend.disposeData(aPlain.dataId);
      if (bPlain !== b) backend.disposeData(bPlain.dataId);
    }
  };
}
