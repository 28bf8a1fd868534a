/**
 * The evaluation overlay figure of one case and method: a caption line (case id, method, Dice of the
 * whole 3D mask, slice), then four titled panels of one axial slice — image | ground truth (green
 * contour) | prediction (cyan mask boundary over the green contour) | probability map (red-yellow over
 * the image, with the contour) — and under them a legend of the two boundary colours and a colour bar
 * of the map from 0 to the slice's maximum. Text is the built-in bitmap font (bitmap_text.ts).
 *
 * @module
 */
import type { Volume } from "../data/types.ts";
import { CONTOUR_COLOR, MASK_COLOR, renderSlice } from "../env/frame.ts";
import type { RgbaFrame } from "../env/png.ts";
import { drawText, textHeight, textWidth } from "./bitmap_text.ts";
import { dice } from "./metrics.ts";

/** Titles of the four panels, left to right. */
export const OVERLAY_PANEL_TITLES: readonly string[] = [
  "image",
  "ground truth",
  "prediction",
  "probability map",
];

/** Outer margin, gap between panels and between text rows, in pixels. */
export const OVERLAY_MARGIN = 8;
/** Height of the colour bar in pixels. */
export const COLOR_BAR_HEIGHT = 12;

/** Pixel layout of an overlay figure (all offsets from the top-left corner). */
export interface OverlayLayout {
  /** Figure size in pixels. */
  readonly width: number;
  /** Figure size in pixels. */
  readonly height: number;
  /** Top row of the panel titles. */
  readonly titleTop: number;
  /** Top row of the panels. */
  readonly panelTop: number;
  /** Left column of each panel. */
  readonly panelLeft: readonly number[];
  /** Panel size in pixels (the slice upscaled). */
  readonly panelWidth: number;
  /** Panel size in pixels. */
  readonly panelHeight: number;
  /** Top row of the colour bar (under the probability-map panel, as wide as it). */
  readonly barTop: number;
  /** Top row of the boundary legend (under the first panels). */
  readonly legendTop: number;
}

/** The layout of a figure whose slice panels are `panelWidth` x `panelHeight` pixels. */
export function overlayLayout(panelWidth: number, panelHeight: number): OverlayLayout {
  const m = OVERLAY_MARGIN, th = textHeight();
  const titleTop = m + th + m;
  const panelTop = titleTop + th + 4;
  const panelLeft = [0, 1, 2, 3].map((k) => m + k * (panelWidth + m));
  const barTop = panelTop + panelHeight + m;
  const legendTop = barTop;
  return {
    width: 2 * m + 4 * panelWidth + 3 * m,
    height: barTop + COLOR_BAR_HEIGHT + 4 + th + m,
    titleTop,
    panelTop,
    panelLeft,
    panelWidth,
    panelHeight,
    barTop,
    legendTop,
  };
}

/** The caption line: `case <id>  <method>  dice <d.ddd>  slice z=<z>` (dice "n/a" when NaN). */
export function overlayCaption(caseId: string, method: string, diceValue: number, z: number): string {
  const d = Number.isNaN(diceValue) ? "n/a" : diceValue.toFixed(3);
  return `case ${caseId}  ${method}  dice ${d}  slice z=${z}`;
}

/** A short label of a colour-bar end: 3 significant digits. */
function barLabel(v: number): string {
  return v === 0 ? "0" : String(Number(v.toPrecision(3)));
}

function paste(target: RgbaFrame, f: RgbaFrame, left: number, top: number): void {
  for (let y = 0; y < f.height; y++) {
    target.data.set(
      f.data.subarray(y * f.width * 4, (y + 1) * f.width * 4),
      ((top + y) * target.width + left) * 4,
    );
  }
}

/**
 * The overlay figure (see the module doc) of slice `z`, upscaled so the slice is >= 192 px wide.
 * Dice is that of the whole 3D `mask` against `truth` (NaN when both are empty). All volumes are
 * z,y,x and share `image.shape`; `map` is non-negative. Errors are those of `renderSlice`.
 */
export function overlayFigure(
  image: Volume,
  truth: Uint8Array,
  mask: Uint8Array,
  map: Float32Array,
  z: number,
  label: { readonly caseId: string; readonly method: string },
): RgbaFrame {
  const shape = image.shape;
  const scale = Math.max(1, Math.ceil(192 / Math.max(shape[1], shape[2])));
  const plane = shape[1] * shape[2];
  let mapMax = 0;
  for (let i = z * plane; i < (z + 1) * plane && i < map.length; i++) if (map[i] > mapMax) mapMax = map[i];
  const base = { image: image.data, shape, z, scale };
  const panels = [
    renderSlice(base),
    renderSlice({ ...base, contour: truth }),
    renderSlice({ ...base, contour: truth, mask }),
    renderSlice({ ...base, contour: truth, overlay: map, overlayMax: mapMax }),
  ];
  const layout = overlayLayout(panels[0].width, panels[0].height);
  const { width, height } = layout;
  const figure: RgbaFrame = { width, height, data: new Uint8ClampedArray(width * height * 4).fill(255) };
  const black = [0, 0, 0];
  const d = dice(mask, truth, { ignoreEmpty: false });
  drawText(figure, overlayCaption(label.caseId, label.method, d, z), OVERLAY_MARGIN, OVERLAY_MARGIN, black);
  panels.forEach((p, k) => {
    const title = OVERLAY_PANEL_TITLES[k];
    const left = layout.panelLeft[k];
    drawText(figure, title, left + Math.round((p.width - textWidth(title)) / 2), layout.titleTop, black);
    paste(figure, p, left, layout.panelTop);
  });
  drawColorBar(figure, layout, mapMax);
  drawBoundaryLegend(figure, layout);
  return figure;
}

/** The map's colours over black (as over dark tissue) from 0 to `mapMax`, labelled at both ends. */
function drawColorBar(figure: RgbaFrame, layout: OverlayLayout, mapMax: number): void {
  const w = layout.panelWidth, h = COLOR_BAR_HEIGHT;
  // The same renderer as the panel, on a black strip whose overlay ramps 0..mapMax left to right.
  const ramp = new Float32Array(w * h);
  for (let x = 0; x < w; x++) for (let y = 0; y < h; y++) ramp[y * w + x] = (mapMax * x) / Math.max(1, w - 1);
  const bar = renderSlice({
    image: new Float32Array(w * h),
    shape: [1, h, w],
    z: 0,
    intensityRange: [0, 1],
    overlay: ramp,
    overlayMax: mapMax,
  });
  const left = layout.panelLeft[3], top = layout.barTop;
  paste(figure, bar, left, top);
  const labelTop = top + h + 4, black = [0, 0, 0];
  const hi = mapMax > 0 ? barLabel(mapMax) : "0 (empty map)";
  drawText(figure, "0", left, labelTop, black);
  drawText(figure, hi, left + w - textWidth(hi), labelTop, black);
  const caption = "map value";
  drawText(figure, caption, left + Math.round((w - textWidth(caption)) / 2), labelTop, black);
}

/** Swatches of the boundary colours with their meaning, under the first panels. */
function drawBoundaryLegend(figure: RgbaFrame, layout: OverlayLayout): void {
  const entries: [readonly number[], string][] = [
    [CONTOUR_COLOR, "ground truth"],
    [MASK_COLOR, "predicted mask"],
  ];
  const black = [0, 0, 0], th = textHeight();
  let x = layout.panelLeft[0];
  const y = layout.legendTop + 1;
  for (const [color, name] of entries) {
    // A swatch on a dark square, as the boundary appears on the image.
    for (let dy = 0; dy < th; dy++) {
      for (let dx = 0; dx < 2 * th; dx++) {
        const edge = dy === 0 || dy === th - 1 || dx === 0 || dx === 2 * th - 1;
        const d = 4 * ((y + dy) * figure.width + x + dx);
        figure.data.set(edge ? color : [40, 40, 40], d);
      }
    }
    drawText(figure, name, x + 2 * th + 6, y, black);
    x += 2 * th + 6 + textWidth(name) + 3 * OVERLAY_MARGIN;
  }
}
