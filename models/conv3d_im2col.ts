/**
 * Conv3D as matrix products (im2col): the fast path behind this package's wasm conv3d kernels.
 * Any stride (the classifier's stride 1, the policy's stride 2), dilation 1 only; padding is any
 * front/back pad (tfjs 'same', 'valid' or explicit). Layouts are tfjs': activations [N, D, H, W, C] (C fastest),
 * filters [KD, KH, KW, Ci, Co], so a filter read as a [KD*KH*KW*Ci, Co] matrix needs no copy.
 *
 * - forward: `y[M, Co] = rows(x)[M, K] @ w[K, Co]`, M = N*Do*Ho*Wo, K = KD*KH*KW*Ci;
 * - gradient of the input, stride 1: `dx = rows(dy, flipped pads)[N*D*H*W, KD*KH*KW*Co] @ flip(w)[.., Ci]`;
 *   other strides: `dx = col2im(dy[M, Co] @ w[K, Co]^T)` (the patches' gradients added back in place);
 * - gradient of the filter: `dw[K, Co] = columns(x)[K, M] @ dy[M, Co]`.
 *
 * The functions here are plain loops over Float32Arrays; `wasm_kernels.ts` runs the products
 * through the wasm backend's BatchMatMul (XNNPACK).
 *
 * @module
 */

/** Strides along z, y, x (1 = every position). */
export type Strides3 = readonly [number, number, number];

const UNIT_STRIDES: Strides3 = [1, 1, 1];

/**
 * True when the windows tile the source exactly: stride = kernel and no padding on every axis, so
 * each voxel is read by exactly one tap of one output position (the policy's 2x2x2 stride-2
 * convolutions on even sizes). im2col is then a pure reordering: the loops below copy whole taps
 * rows without bounds checks (1.5-2.6x faster than the general loops on the policy's layers).
 */
function tiles(
  srcDims: readonly [number, number, number],
  dstDims: readonly [number, number, number],
  kernel: readonly [number, number, number],
  padFront: readonly [number, number, number],
  strides: Strides3,
): boolean {
  for (let a = 0; a < 3; a++) {
    if (padFront[a] !== 0 || strides[a] !== kernel[a] || dstDims[a] * kernel[a] !== srcDims[a]) return false;
  }
  return true;
}

/** Geometry of a dilation-1 3D convolution (all counts; pads in voxels before index 0). */
export interface Conv3dGeometry {
  /** Batch size N. */
  batch: number;
  /** Input spatial shape D, H, W. */
  inDims: readonly [number, number, number];
  /** Input channels Ci. */
  inChannels: number;
  /** Output spatial shape Do, Ho, Wo. */
  outDims: readonly [number, number, number];
  /** Output channels Co. */
  outChannels: number;
  /** Kernel shape KD, KH, KW. */
  kernel: readonly [number, number, number];
  /** Zero padding before the first voxel (front, top, left). */
  padFront: readonly [number, number, number];
  /** Strides along D, H, W; absent means 1, 1, 1. */
  strides?: Strides3;
}

/**
 * Writes rows `[rowStart, rowStart + rowCount)` of the im2col matrix of `src` into `dst`
 * (row-major, `rowCount x KD*KH*KW*C`). Row m is output position (n, od, oh, ow) (ow fastest);
 * its columns are the taps (kd, kh, kw, c) (c fastest) reading `src` at
 * (od*SD + kd - padFront[0], oh*SH + kh - padFront[1], ow*SW + kw - padFront[2]), zero outside.
 *
 * @param src activations [N, srcDims..., C]
 * @param srcDims D, H, W of `src`
 * @param channels C
 * @param dstDims output spatial shape Do, Ho, Wo (positions enumerated)
 * @param kernel KD, KH, KW
 * @param padFront zero padding before index 0 on each axis
 * @param rowStart first row (output position) to write
 * @param rowCount number of rows
 * @param dst destination, at least `rowCount * KD*KH*KW*C` values
 * @param strides SD, SH, SW (default 1, 1, 1)
 */
export function im2colRows(
  src: Float32Array,
  srcDims: readonly [number, number, number],
  channels: number,
  dstDims: readonly [number, number, number],
  kernel: readonly [number, number, number],
  padFront: readonly [number, number, number],
  rowStart: number,
  rowCount: number,
  dst: Float32Array,
  strides: Strides3 = UNIT_STRIDES,
): void {
  const [D, H, W] = srcDims, [Do, Ho, Wo] = dstDims, [KD, KH, KW] = kernel, [pf, pt, pl] = padFront;
  const [SD, SH, SW] = strides;
  const C = channels, run = KW * C;
  const end = rowStart + rowCount;
  if (tiles(srcDims, dstDims, kernel, padFront, strides)) {
    tiledRowsTransfer(src, srcDims, channels, dstDims, kernel, rowStart, rowCount, dst, true);
    return;
  }
  let o = 0;
  // Walk output lines (n, od, oh); within a line, a tap row (kd, kh) reads KW*C contiguous values
  // of the source whenever the KW taps all fall inside the line.
  for (let m = rowStart; m < end;) {
    const line = Math.floor(m / Wo), ow0 = m - line * Wo, ow1 = Math.min(Wo, ow0 + end - m);
    const oh = line % Ho, od = Math.floor(line / Ho) % Do, n = Math.floor(line / (Ho * Do));
    for (let ow = ow0; ow < ow1; ow++) {
      const iw0 = ow * SW - pl;
      const inside = iw0 >= 0 && iw0 + KW <= W;
      for (let kd = 0; kd < KD; kd++) {
        const id = od * SD + kd - pf;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * SH + kh - pt;
          if (id < 0 || id >= D || ih < 0 || ih >= H) {
            for (let j = 0; j < run; j++) dst[o++] = 0;
            continue;
          }
          const base = ((n * D + id) * H + ih) * W;
          if (inside) {
            const s = (base + iw0) * C;
            for (let j = 0; j < run; j++) dst[o++] = src[s + j];
          } else {
            for (let kw = 0; kw < KW; kw++) {
              const iw = iw0 + kw;
              if (iw >= 0 && iw < W) {
                const s = (base + iw) * C;
                for (let c = 0; c < C; c++) dst[o++] = src[s + c];
              } else {
                for (let c = 0; c < C; c++) dst[o++] = 0;
              }
            }
          }
        }
      }
    }
    m += ow1 - ow0;
  }
}

/**
 * Writes columns `[colStart, colStart + colCount)` of the transposed im2col matrix of `src`
 * into `dst` (row-major, `KD*KH*KW*C x colCount`): the same entries as {@link im2colRows} with
 * rows and columns swapped, laid out so that a plain (untransposed) product with `dy[M, Co]` gives
 * the filter gradient.
 *
 * @param src activations [N, srcDims..., C]
 * @param srcDims D, H, W of `src`
 * @param channels C
 * @param dstDims output spatial shape Do, Ho, Wo
 * @param kernel KD, KH, KW
 * @param padFront zero padding before index 0 on each axis
 * @param colStart first output position
 * @param colCount number of output positions
 * @param dst destination, at least `KD*KH*KW*C * colCount` values
 * @param strides SD, SH, SW (default 1, 1, 1)
 */
export function im2colColumns(
  src: Float32Array,
  srcDims: readonly [number, number, number],
  channels: number,
  dstDims: readonly [number, number, number],
  kernel: readonly [number, number, number],
  padFront: readonly [number, number, number],
  colStart: number,
  colCount: number,
  dst: Float32Array,
  strides: Strides3 = UNIT_STRIDES,
): void {
  const [D, H, W] = srcDims, [Do, Ho, Wo] = dstDims, [KD, KH, KW] = kernel, [pf, pt, pl] = padFront;
  const [SD, SH, SW] = strides, step = SW * channels;
  const C = channels;
  const end = colStart + colCount;
  if (tiles(srcDims, dstDims, kernel, padFront, strides)) {
    tiledColumns(src, srcDims, channels, dstDims, kernel, colStart, colCount, dst);
    return;
  }
  // Walk output lines (n, od, oh); for each tap and channel, the line is one contiguous run of the
  // destination row, read from the source with stride C.
  for (let m = colStart; m < end;) {
    const line = Math.floor(m / Wo), ow0 = m - line * Wo, ow1 = Math.min(Wo, ow0 + end - m);
    const oh = line % Ho, od = Math.floor(line / Ho) % Do, n = Math.floor(line / (Ho * Do));
    const j0 = m - colStart - ow0; // dst column of ow = 0 on this line
    let row = 0;
    for (let kd = 0; kd < KD; kd++) {
      const id = od * SD + kd - pf;
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh * SH + kh - pt;
        const valid = id >= 0 && id < D && ih >= 0 && ih < H;
        const base = ((n * D + id) * H + ih) * W;
        for (let kw = 0; kw < KW; kw++) {
          // ow range whose source column iw = ow*SW + kw - pl lies inside [0, W)
          const first = Math.ceil((pl - kw) / SW), end = Math.ceil((W + pl - kw) / SW);
          const lo = valid ? Math.max(ow0, first) : ow1, hi = valid ? Math.min(ow1, end) : ow1;
          for (let c = 0; c < C; c++, row++) {
            const d = row * colCount + j0;
            for (let ow = ow0; ow < Math.min(lo, ow1); ow++) dst[d + ow] = 0;
            const s = (base + kw - pl) * C + c;
            for (let ow = lo; ow < hi; ow++) dst[d + ow] = src[s + ow * step];
            for (let ow = Math.max(hi, lo); ow < ow1; ow++) dst[d + ow] = 0;
          }
        }
      }
    }
    m += ow1 - ow0;
  }
}

/**
 * The adjoint of {@link im2colRows}: adds each entry of the im2col rows `[rowStart, rowStart +
 * rowCount)` held in `patches` back onto the voxel of `dst` it was read from (entries read from
 * the zero padding are dropped). With `patches = dy @ w^T` this is the input gradient of a
 * convolution of any stride. `dst` is accumulated into, not cleared.
 *
 * @param patches rows, `rowCount x KD*KH*KW*C` (row-major)
 * @param dstDims D, H, W of `dst` (the convolution's input)
 * @param channels C
 * @param outDims the convolution's output spatial shape Do, Ho, Wo
 * @param kernel KD, KH, KW
 * @param padFront zero padding before index 0 on each axis
 * @param strides SD, SH, SW
 * @param rowStart first row (output position) held in `patches`
 * @param rowCount number of rows
 * @param dst the input gradient [N, dstDims..., C], accumulated into
 */
export function col2imRows(
  patches: Float32Array,
  dstDims: readonly [number, number, number],
  channels: number,
  outDims: readonly [number, number, number],
  kernel: readonly [number, number, number],
  padFront: readonly [number, number, number],
  strides: Strides3,
  rowStart: number,
  rowCount: number,
  dst: Float32Array,
): void {
  const [D, H, W] = dstDims, [Do, Ho, Wo] = outDims, [KD, KH, KW] = kernel, [pf, pt, pl] = padFront;
  const [SD, SH, SW] = strides, C = channels, run = KW * C;
  if (tiles(dstDims, outDims, kernel, padFront, strides)) {
    tiledRowsTransfer(dst, dstDims, channels, outDims, kernel, rowStart, rowCount, patches, false);
    return;
  }
  let o = 0;
  for (let m = rowStart; m < rowStart + rowCount; m++) {
    const ow = m % Wo, line = (m - ow) / Wo;
    const oh = line % Ho, od = Math.floor(line / Ho) % Do, n = Math.floor(line / (Ho * Do));
    const iw0 = ow * SW - pl;
    for (let kd = 0; kd < KD; kd++) {
      const id = od * SD + kd - pf;
      for (let kh = 0; kh < KH; kh++, o += run) {
        const ih = oh * SH + kh - pt;
        if (id < 0 || id >= D || ih < 0 || ih >= H) continue;
        const base = ((n * D + id) * H + ih) * W;
        for (let kw = 0; kw < KW; kw++) {
          const iw = iw0 + kw;
          if (iw < 0 || iw >= W) continue;
          const d = (base + iw) * C, s = o + kw * C;
          for (let c = 0; c < C; c++) dst[d + c] += patches[s + c];
        }
      }
    }
  }
}

/**
 * The filter of the input gradient: `dst[((kd*KH + kh)*KW + kw)*Co + co, ci] =
 * w[KD-1-kd, KH-1-kh, KW-1-kw, ci, co]` (spatially flipped, channels swapped), shape
 * [KD*KH*KW*Co, Ci].
 *
 * @param w filter [KD, KH, KW, Ci, Co]
 * @param kernel KD, KH, KW
 * @param inChannels Ci
 * @param outChannels Co
 * @param dst destination of the same length as `w`
 */
export function flipFilter(
  w: Float32Array,
  kernel: readonly [number, number, number],
  inChannels: number,
  outChannels: number,
  dst: Float32Array,
): void {
  const [KD, KH, KW] = kernel, Ci = inChannels, Co = outChannels;
  for (let kd = 0; kd < KD; kd++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const src = (((KD - 1 - kd) * KH + (KH - 1 - kh)) * KW + (KW - 1 - kw)) * Ci * Co;
        const dstTap = ((kd * KH + kh) * KW + kw) * Co;
        for (let ci = 0; ci < Ci; ci++) {
          for (let co = 0; co < Co; co++) dst[(dstTap + co) * Ci + ci] = w[src + ci * Co + co];
        }
      }
    }
  }
}

/**
 * The geometry of the input gradient of a stride-1 convolution seen as a forward convolution of
 * `dy`: input dims and output dims swap, channels swap, and the front pad becomes `K - 1 - padFront`.
 */
export function inputGradientGeometry(g: Conv3dGeometry): Conv3dGeometry {
  return {
    batch: g.batch,
    inDims: g.outDims,
    inChannels: g.outChannels,
    outDims: g.inDims,
    outChannels: g.inChannels,
    kernel: g.kernel,
    padFront: [
      g.kernel[0] - 1 - g.padFront[0],
      g.kernel[1] - 1 - g.padFront[1],
      g.kernel[2] - 1 - g.padFront[2],
    ],
  };
}

/**
 * Calls `visit(m, src, count)` for each run of output positions `[m, m + count)` of one output line
 * (n, od, oh) inside `[start, start + count)`, with `src` the source offset (in voxels, channels
 * not counted) of tap (0, 0, 0) of position m when the windows tile the source.
 */
function forTiledLines(
  srcDims: readonly [number, number, number],
  dstDims: readonly [number, number, number],
  kernel: readonly [number, number, number],
  start: number,
  count: number,
  visit: (m: number, src: number, count: number) => void,
): void {
  const [D, H, W] = srcDims, [Do, Ho, Wo] = dstDims, [KD, KH, KW] = kernel;
  const end = start + count;
  for (let m = start; m < end;) {
    const line = Math.floor(m / Wo), ow0 = m - line * Wo, ow1 = Math.min(Wo, ow0 + end - m);
    const oh = line % Ho, od = Math.floor(line / Ho) % Do, n = Math.floor(line / (Ho * Do));
    visit(m, ((n * D + od * KD) * H + oh * KH) * W + ow0 * KW, ow1 - ow0);
    m += ow1 - ow0;
  }
}

/**
 * {@link im2colRows} (`toRows`: image -> rows) and {@link col2imRows} (rows added back onto the image)
 * when the windows tile the image: per tap row (kd, kh), runs of KW*C contiguous values on both sides.
 */
function tiledRowsTransfer(
  image: Float32Array,
  imageDims: readonly [number, number, number],
  C: number,
  outDims: readonly [number, number, number],
  kernel: readonly [number, number, number],
  rowStart: number,
  rowCount: number,
  rows: Float32Array,
  toRows: boolean,
): void {
  const [, H, W] = imageDims, [KD, KH, KW] = kernel, run = KW * C, K = KD * KH * run;
  forTiledLines(imageDims, outDims, kernel, rowStart, rowCount, (m, at, count) => {
    for (let kd = 0; kd < KD; kd++) {
      for (let kh = 0; kh < KH; kh++) {
        let i = (at + (kd * H + kh) * W) * C, r = (m - rowStart) * K + (kd * KH + kh) * run;
        if (toRows) {
          for (let p = 0; p < count; p++, r += K - run) for (let j = 0; j < run; j++) rows[r++] = image[i++];
        } else {
          for (let p = 0; p < count; p++, r += K - run) for (let j = 0; j < run; j++) image[i++] += rows[r++];
        }
      }
    }
  });
}

/** {@link im2colColumns} when the windows tile the source: each tap value strides by KW*C. */
function tiledColumns(
  src: Float32Array,
  srcDims: readonly [number, number, number],
  C: number,
  dstDims: readonly [number, number, number],
  kernel: readonly [number, number, number],
  colStart: number,
  colCount: number,
  dst: Float32Array,
): void {
  const [, H, W] = srcDims, [KD, KH, KW] = kernel, run = KW * C;
  forTiledLines(srcDims, dstDims, kernel, colStart, colCount, (m, at, count) => {
    for (let kd = 0; kd < KD; kd++) {
      for (let kh = 0; kh < KH; kh++) {
        const s0 = (at + (kd * H + kh) * W) * C, t0 = (kd * KH + kh) * run;
        for (let j = 0; j < run; j++) {
          let d = (t0 + j) * colCount + m - colStart, s = s0 + j;
          for (let p = 0; p < count; p++, s += run) dst[d++] = src[s];
        }
      }
    }
  });
}
