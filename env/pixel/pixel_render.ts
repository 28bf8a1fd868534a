/**
 * RGBA frames of the pixel game, four panels left to right: the image (grey); the current mask
 * (white on black); the image with the ground-truth contour (green) and the mask boundary (cyan);
 * the per-pixel action map of the last step (one colour per action index, see
 * {@link ACTION_COLORS}; all action 0 right after reset).
 *
 * @module
 */
import { InvalidArgumentError } from "../../data/errors.ts";
import { renderSlice, type Rgb, sideBySide } from "../frame.ts";
import type { RgbaFrame } from "../png.ts";
import type { PixelSegEnv } from "./pixel_env.ts";

/** Colours of action indices 0, 1, 2, ... (light blue = set background, navy = keep, orange, ...). */
export const ACTION_COLORS: readonly Rgb[] = [[150, 200, 255], [20, 30, 120], [255, 127, 14], [214, 39, 40]];

function mapFrame(
  values: Uint8Array,
  h: number,
  w: number,
  scale: number,
  colors: readonly Rgb[],
): RgbaFrame {
  const data = new Uint8ClampedArray(h * w * scale * scale * 4);
  const W = w * scale;
  for (let y = 0; y < h * scale; y++) {
    for (let x = 0; x < W; x++) {
      const c = colors[values[Math.floor(y / scale) * w + Math.floor(x / scale)] % colors.length];
      const o = (y * W + x) * 4;
      data[o] = c[0], data[o + 1] = c[1], data[o + 2] = c[2], data[o + 3] = 255;
    }
  }
  return { width: W, height: h * scale, data };
}

/**
 * The four panels of the env's current state (see the module doc).
 * @throws {InvalidArgumentError} before the first reset or for a non-integer scale < 1
 */
export function renderPixelEnv(env: PixelSegEnv, scale = 2): RgbaFrame {
  const s = env.slice;
  if (!s) throw new InvalidArgumentError("render", "called before reset", "reset() first");
  if (!(Number.isInteger(scale) && scale >= 1)) {
    throw new InvalidArgumentError("scale", `is ${scale}`, "an integer >= 1");
  }
  const [h, w] = s.shape, mask = env.mask;
  const shape = [1, h, w] as const;
  const image = renderSlice({ image: s.image, shape, z: 0, scale, intensityRange: [0, 1] });
  const maskPanel = mapFrame(mask, h, w, scale, [[0, 0, 0], [255, 255, 255]]);
  const contour = renderSlice({
    image: s.image,
    shape,
    z: 0,
    scale,
    intensityRange: [0, 1],
    contour: s.truth,
    mask,
  });
  const actions = mapFrame(env.lastActions, h, w, scale, ACTION_COLORS);
  return sideBySide([image, maskPanel, contour, actions]);
}
