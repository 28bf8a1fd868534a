/**
 * A `BatchMatMul` for the tfjs `wasm` backend (4.22.0) that keeps every product on XNNPACK.
 *
 * Measured here (1 thread, SIMD): the stock kernel multiplies on XNNPACK only when neither operand
 * is transposed; with `transposeA` or `transposeB` it runs a naive loop, 4x slower at 8x576 @ 576x64
 * and 8x slower at 6912x8 @ 8x8. Every gradient of a dense layer is such a product
 * (`dA = dY @ B^T`, `dB = A^T @ dY`), so PPO's backward pass spent most of its matrix time there.
 * This kernel materialises each transposed operand once (a copy, linear in its size) and hands the
 * untransposed pair to the stock kernel. Results are the stock
 * products' (the same XNNPACK kernel sums in the same order as for a pre-transposed operand).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";

/** The parts of tfjs' BackendWasm the kernel uses. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
  disposeData(dataId: tf.DataId): boolean;
}

/** Attributes of `BatchMatMul`. */
interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** Edge of the square tiles of {@link transposeInto}: 64x64 floats (16 KiB) stay in L1. */
const TILE = 64;

/**
 * `dst[c * rows + r] = src[r * cols + c]` for one rows x cols matrix at `offset`, tile by tile, with
 * the inner loop along the longer axis of `dst`'s or `src`'s contiguous side, so that neither side
 * strides across pages for long (a tall 16384x40 matrix: 1.6 ms instead of 7.5 untiled).
 */
function transposeInto(
  src: Float32Array,
  dst: Float32Array,
  offset: number,
  rows: number,
  cols: number,
): void {
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      if (rows >= cols) { // contiguous writes
        for (let c = c0; c < c1; c++) {
          let s = offset + r0 * cols + c;
          const d = offset + c * rows;
          for (let r = r0; r < r1; r++, s += cols) dst[d + r] = src[s];
        }
      } else { // contiguous reads
        for (let r = r0; r < r1; r++) {
          const s = offset + r * cols;
          let d = offset + c0 * rows + r;
          for (let c = c0; c < c1; c++, d += rows) dst[d] = src[s + c];
        }
      }
    }
  }
}

/**
 * The batch of matrices with its last two axes swapped, as a new tensor of the wasm backend: a
 * tiled loop over the heap (the wasm `Transpose` kernel took 4x longer on the dense layers' sizes).
 */
function swapLastAxes(info: tf.TensorInfo, backend: WasmBackendLike): tf.TensorInfo {
  const shape = info.shape, rank = shape.length;
  const rows = shape[rank - 2], cols = shape[rank - 1], size = rows * cols;
  const out = backend.makeOutput([...shape.slice(0, -2), cols, rows], "float32");
  const src = backend.typedArrayFromHeap(info) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  for (let offset = 0; offset < src.length; offset += size) transposeInto(src, dst, offset, rows, cols);
  return out;
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
    const aPlain = attrs.transposeA ? swapLastAxes(a, backend) : a;
    const bPlain = attrs.transposeB ? swapLastAxes(b, backend) : b;
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
