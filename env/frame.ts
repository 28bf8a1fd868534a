/**
 * Renders one axial (z) slice of a game state as an RGBA frame: the image in grey, an optional
 * colour overlay (the probability map), mask boundaries (target in green, prediction in cyan) and
 * window outlines. Used by `env.render("rgb_array")`, eval overlays and PNG frames.
 *
 * Pixel (x, y) of the frame shows voxel (z, floor(y / scale), floor(x / scale)); row 0 is y = 0.
 *
 * @module
 */
import type { Vec3 } from "../data/types.ts";
import { voxelCount } from "../data/types.ts";
import { InvalidArgumentError, NonFiniteVoxelError, ShapeMismatchError } from "../data/errors.ts";
import type { RgbaFrame } from "./png.ts";

/** An RGB colour, each channel an integer 0..255. */
export type Rgb = readonly [number, number, number];

/** A window to outline: `corner` and `size` in voxels, z,y,x; drawn when it intersects the slice. */
export interface WindowOutline {
  /** First voxel of the window, z,y,x. */
  corner: Vec3;
  /** Window size in voxels, z,y,x (each >= 1). */
  size: Vec3;
  /** Outline colour, RGB 0..255. */
  color: Rgb;
}

/** What {@link renderSlice} draws. All volumes are z,y,x with x fastest and share `shape`. */
export interface SliceRenderOptions {
  /** The intensity volume, `shape[0] * shape[1] * shape[2]` finite values. */
  image: Float32Array;
  /** Volume shape, z,y,x. */
  shape: Vec3;
  /** The slice index, an integer in 0..shape[0]-1. */
  z: number;
  /**
   * Intensities mapped linearly to grey 0..255 (lo -> black, hi -> white, values outside saturate).
   * Default: the 1st..99th percentile (nearest rank) of the slice.
   */
  intensityRange?: readonly [number, number];
  /** A non-negative map (e.g. the probability map) drawn as a red-yellow overlay; 0 is transparent. */
  overlay?: Float32Array;
  /** The overlay value drawn fully coloured (values above saturate). Default: the slice maximum; 0 = no overlay. */
  overlayMax?: number;
  /** A mask (nonzero = inside, e.g. the target); its 4-connected boundary on the slice is drawn green. */
  contour?: Uint8Array;
  /** A mask (nonzero = inside, e.g. the prediction); its 4-connected boundary is drawn cyan. */
  mask?: Uint8Array;
  /** Windows outlined 1 px in their colour when they intersect slice z; parts outside the frame are clipped. */
  windows?: readonly WindowOutline[];
  /** Integer nearest-neighbour upscaling factor (>= 1). Default 1. */
  scale?: number;
}

/** Colours of the two agents' windows: a = blue, b = orange. */
export const AGENT_COLORS: { readonly a: Rgb; readonly b: Rgb } = {
  a: [31, 119, 180],
  b: [255, 127, 14],
};

/** Colour of the `contour` boundary (green). */
export const CONTOUR_COLOR: Rgb = [0, 255, 0];
/** Colour of the `mask` boundary (cyan). */
export const MASK_COLOR: Rgb = [0, 255, 255];
/** Overlay opacity at `overlayMax` (the opacity is proportional to value / overlayMax up to this). */
export const OVERLAY_MAX_ALPHA = 0.7;
/** Largest frame {@link renderSlice} makes, in pixels (keeps a wrong `scale` from exhausting memory). */
const MAX_PIXELS = 2 ** 26;

function checkLength(name: string, array: ArrayLike<number> | undefined, n: number): void {
  if (array !== undefined && array.length !== n) {
    throw new ShapeMismatchError(
      `renderSlice(options.${name})`,
      `has length ${array.length}`,
      `shape's ${n} voxels`,
    );
  }
}

function checkColor(source: string, color: Rgb): void {
  if (color.length !== 3 || !color.every((c) => Number.isInteger(c) && c >= 0 && c <= 255)) {
    throw new InvalidArgumentError(source, `got [${color}]`, "three integers in 0..255");
  }
}

/**
 * Selects in place: afterwards `a[k]` is the k-th smallest of `a[lo..hi]`, smaller ones left of
 * it and larger ones right (Hoare partition, median-of-three pivot; O(n) on average).
 */
function selectInPlace(a: Float32Array, k: number, lo: number, hi: number): void {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const pivot = Math.max(Math.min(a[lo], a[mid]), Math.min(Math.max(a[lo], a[mid]), a[hi]));
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/**
 * The 1st and 99th percentiles (nearest rank: the value at sorted index round(p * (n - 1))) of a
 * slice, by selection on a copy rather than a sort.
 */
function slicePercentiles(slice: Float32Array): [number, number] {
  const work = slice.slice();
  const n = work.length;
  const kLo = Math.round(0.01 * (n - 1)), kHi = Math.round(0.99 * (n - 1));
  selectInPlace(work, kLo, 0, n - 1);
  const lo = work[kLo];
  selectInPlace(work, kHi, kLo, n - 1);
  return [lo, work[kHi]];
}

/** Marks the 4-connected boundary of a slice of `mask`: inside voxels with a neighbour outside (or the slice edge). */
function boundary(mask: Uint8Array, sliceStart: number, ny: number, nx: number, out: Uint8Array): void {
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const i = sliceStart + y * nx + x;
      out[y * nx + x] = mask[i] !== 0 &&
          (x === 0 || x === nx - 1 || y === 0 || y === ny - 1 ||
            mask[i - 1] === 0 || mask[i + 1] === 0 || mask[i - nx] === 0 || mask[i + nx] === 0)
        ? 1
        : 0;
    }
  }
}

/**
 * Renders slice `z` of a volume (see {@link SliceRenderOptions}) into an opaque RGBA frame of
 * `shape[2] * scale` by `shape[1] * scale` pixels. Layers, bottom to top: grey image, overlay,
 * `mask` boundary (cyan), `contour` boundary (green), window outlines (in the given order); a
 * boundary voxel fills its whole `scale x scale` block. Pure: the inputs are not modified.
 *
 * Throws {@link InvalidArgumentError} for a bad shape, `z` out of range, a non-integer `scale`,
 * a reversed `intensityRange`, a negative or non-finite overlay value on the slice, or a bad window;
 * {@link ShapeMismatchError} when an array's length differs from the shape's voxel count; and
 * {@link NonFiniteVoxelError} for a non-finite image value on the slice. A constant slice with the
 * default range renders black.
 */
export function renderSlice(options: SliceRenderOptions): RgbaFrame {
  const { image, shape, z, overlay, contour, mask, windows = [], scale = 1 } = options;
  if (shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new InvalidArgumentError(
      "renderSlice(options.shape)",
      `got [${shape}]`,
      "three positive integers z,y,x",
    );
  }
  const [nz, ny, nx] = shape;
  const n = voxelCount(shape);
  checkLength("image", image, n);
  checkLength("overlay", overlay, n);
  checkLength("contour", contour, n);
  checkLength("mask", mask, n);
  if (!Number.isInteger(z) || z < 0 || z >= nz) {
    throw new InvalidArgumentError("renderSlice(options.z)", `got ${z}`, `an integer in 0..${nz - 1}`);
  }
  if (!Number.isInteger(scale) || scale < 1 || nx * ny * scale * scale > MAX_PIXELS) {
    throw new InvalidArgumentError(
      "renderSlice(options.scale)",
      `got ${scale}`,
      `an integer >= 1 giving at most ${MAX_PIXELS} pixels`,
    );
  }
  const sliceSize = ny * nx, sliceStart = z * sliceSize;
  const slice = image.subarray(sliceStart, sliceStart + sliceSize);
  for (let i = 0; i < sliceSize; i++) {
    if (!Number.isFinite(slice[i])) {
      const y = Math.floor(i / nx);
      throw new NonFiniteVoxelError(
        "renderSlice(options.image)",
        `voxel (${z},${y},${i - y * nx}) is ${slice[i]}`,
        "finite values",
      );
    }
  }
  let lo: number, hi: number;
  if (options.intensityRange) {
    [lo, hi] = options.intensityRange;
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) {
      throw new InvalidArgumentError(
        "renderSlice(options.intensityRange)",
        `got [${lo}, ${hi}]`,
        "finite lo < hi",
      );
    }
  } else {
    [lo, hi] = slicePercentiles(slice);
  }

  // Per-voxel RGB of the slice, before upscaling.
  const rgb = new Uint8ClampedArray(sliceSize * 3);
  const greyGain = hi > lo ? 255 / (hi - lo) : 0;
  for (let i = 0; i < sliceSize; i++) {
    const g = hi > lo ? Math.round((slice[i] - lo) * greyGain) : 0; // Uint8ClampedArray saturates
    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = g;
  }
  if (overlay) {
    drawOverlay(rgb, overlay.subarray(sliceStart, sliceStart + sliceSize), options.overlayMax, z, nx);
  }
  const edge = new Uint8Array(sliceSize);
  for (const [m, color] of [[mask, MASK_COLOR], [contour, CONTOUR_COLOR]] as const) {
    if (!m) continue;
    boundary(m, sliceStart, ny, nx, edge);
    for (let i = 0; i < sliceSize; i++) if (edge[i]) rgb.set(color, 3 * i);
  }

  const width = nx * scale, height = ny * scale;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let py = 0; py < height; py++) {
    const rowVoxel = Math.floor(py / scale) * nx;
    for (let px = 0; px < width; px++) {
      const s = 3 * (rowVoxel + Math.floor(px / scale)), d = 4 * (py * width + px);
      data[d] = rgb[s];
      data[d + 1] = rgb[s + 1];
      data[d + 2] = rgb[s + 2];
      data[d + 3] = 255;
    }
  }
  windows.forEach((w, k) =>
    drawWindow(data, width, height, scale, z, w, `renderSlice(options.windows[${k}])`)
  );
  return { width, height, data };
}

/** Blends the red-yellow ramp over `rgb` with opacity OVERLAY_MAX_ALPHA * value / max. */
function drawOverlay(
  rgb: Uint8ClampedArray,
  slice: Float32Array,
  overlayMax: number | undefined,
  z: number,
  nx: number,
): void {
  let max = 0;
  for (let i = 0; i < slice.length; i++) {
    const v = slice[i];
    if (!(Number.isFinite(v) && v >= 0)) {
      const y = Math.floor(i / nx);
      throw new InvalidArgumentError(
        "renderSlice(options.overlay)",
        `voxel (${z},${y},${i - y * nx}) is ${v}`,
        "finite values >= 0",
      );
    }
    if (v > max) max = v;
  }
  if (overlayMax !== undefined) {
    if (!(Number.isFinite(overlayMax) && overlayMax >= 0)) {
      throw new InvalidArgumentError(
        "renderSlice(options.overlayMax)",
        `got ${overlayMax}`,
        "a finite value >= 0",
      );
    }
    max = overlayMax;
  }
  if (max === 0) return;
  for (let i = 0; i < slice.length; i++) {
    if (slice[i] === 0) continue;
    const t = Math.min(1, slice[i] / max), alpha = OVERLAY_MAX_ALPHA * t;
    // Ramp: dark red at small values to yellow at max, so low values stay distinguishable.
    const r = 128 + 127 * Math.min(1, 2 * t), g = 255 * Math.max(0, 2 * t - 1);
    rgb[3 * i] = Math.round(rgb[3 * i] * (1 - alpha) + r * alpha);
    rgb[3 * i + 1] = Math.round(rgb[3 * i + 1] * (1 - alpha) + g * alpha);
    rgb[3 * i + 2] = Math.round(rgb[3 * i + 2] * (1 - alpha));
  }
}

/** Outlines a window's y,x rectangle, 1 px wide in frame pixels, if it intersects slice z. */
function drawWindow(
  data: Uint8ClampedArray,
  width: number,
  height: number,
  scale: number,
  z: number,
  w: WindowOutline,
  source: string,
): void {
  if (!w.corner.every(Number.isInteger) || !w.size.every((s) => Number.isInteger(s) && s >= 1)) {
    throw new InvalidArgumentError(
      source,
      `corner [${w.corner}], size [${w.size}]`,
      "an integer corner and sizes >= 1",
    );
  }
  checkColor(`${source}.color`, w.color);
  if (z < w.corner[0] || z >= w.corner[0] + w.size[0]) return;
  const x0 = w.corner[2] * scale, x1 = (w.corner[2] + w.size[2]) * scale - 1;
  const y0 = w.corner[1] * scale, y1 = (w.corner[1] + w.size[1]) * scale - 1;
  const put = (x: number, y: number): void => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    data.set(w.color, 4 * (y * width + x));
  };
  for (let x = x0; x <= x1; x++) {
    put(x, y0);
    put(x, y1);
  }
  for (let y = y0; y <= y1; y++) {
    put(x0, y);
    put(x1, y);
  }
}

/**
 * Concatenates frames left to right with `gap` black pixels between them (default 4). The result
 * is as tall as the tallest frame; shorter frames are top-aligned and padded with opaque black.
 * Throws {@link InvalidArgumentError} for an empty list or a negative / non-integer gap.
 */
export function sideBySide(frames: readonly RgbaFrame[], gap = 4): RgbaFrame {
  if (frames.length === 0) {
    throw new InvalidArgumentError("sideBySide(frames)", "is empty", "at least one frame");
  }
  if (!Number.isInteger(gap) || gap < 0) {
    throw new InvalidArgumentError("sideBySide(gap)", `got ${gap}`, "an integer >= 0");
  }
  frames.forEach((f, k) => {
    if (f.data.length !== f.width * f.height * 4) {
      throw new InvalidArgumentError(
        `sideBySide(frames[${k}]).data`,
        `has length ${f.data.length}`,
        "width * height * 4",
      );
    }
  });
  const width = frames.reduce((w, f) => w + f.width, 0) + gap * (frames.length - 1);
  const height = Math.max(...frames.map((f) => f.height));
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  let left = 0;
  for (const f of frames) {
    for (let y = 0; y < f.height; y++) {
      data.set(f.data.subarray(y * f.width * 4, (y + 1) * f.width * 4), (y * width + left) * 4);
    }
    left += f.width + gap;
  }
  return { width, height, data };
}
