/**
 * Minimal raster line plots (learning curves, threshold sweeps) drawn straight into an RGBA frame,
 * with the built-in 3x5 bitmap font (bitmap_text.ts). Report figures use Vega-Lite charts (chart.ts);
 * this plotter stays for quick raster plots.
 *
 * Layout: the data range maps exactly onto a black axis box (x min on its left edge, x max on its
 * right edge, y min on its bottom edge, y max on its top edge); the min and max of each axis are
 * printed at the box's corners; the title is centred on top, the y label above the box, the x label
 * below it, and the legend to the right of it.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { RgbaFrame } from "../env/png.ts";
import { drawText, TEXT_SCALE, textHeight, textWidth } from "./bitmap_text.ts";

/** One polyline: points (x[i], y[i]) joined in order; a non-finite x or y breaks the line there. */
export interface Series {
  /** Legend text (drawn in upper case; characters without a glyph are drawn as '?'). */
  name: string;
  /** X values, same length as `y`. */
  x: readonly number[];
  /** Y values, same length as `x`. */
  y: readonly number[];
  /** Line colour, RGB 0..255; default: the next colour of a 10-colour palette. */
  color?: readonly [number, number, number];
}

/** Plot size and labels. */
export interface PlotOptions {
  /** Frame width in pixels (integer >= 64); default 640. */
  width?: number;
  /** Frame height in pixels (integer >= 64); default 400. */
  height?: number;
  /** Title, centred on top. */
  title?: string;
  /** X axis label, below the axis. */
  xLabel?: string;
  /** Y axis label, above the axis (horizontal). */
  yLabel?: string;
  /** Y range [lo, hi] (finite, lo < hi); default: the finite y values' min..max. Lines are clipped to it. */
  yRange?: readonly [number, number];
  /** X range [lo, hi] (finite, lo < hi), e.g. shared by several panels; default: the finite points' x min..max. */
  xRange?: readonly [number, number];
}

/** Default series colours (matplotlib's tab10). */
const PALETTE: readonly (readonly [number, number, number])[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];

const TEXT_HEIGHT = textHeight();
const PAD = 8;
const LEGEND_SWATCH = 16;
const BLACK = [0, 0, 0] as const;

/** A frame under construction with clipped pixel writes. */
class Canvas {
  readonly data: Uint8ClampedArray;
  constructor(readonly width: number, readonly height: number) {
    this.data = new Uint8ClampedArray(width * height * 4).fill(255);
  }
  set(x: number, y: number, c: readonly number[]): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const d = 4 * (y * this.width + x);
    this.data[d] = c[0];
    this.data[d + 1] = c[1];
    this.data[d + 2] = c[2];
  }
  /** Draws text with its top-left corner at (x, y). */
  text(s: string, x: number, y: number, c: readonly number[]): void {
    drawText(this, s, x, y, c);
  }
  /** Bresenham line between integer points (inclusive). */
  line(x0: number, y0: number, x1: number, y1: number, c: readonly number[]): void {
    const dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    let err = dx + dy;
    for (;;) {
      this.set(x0, y0, c);
      if (x0 === x1 && y0 === y1) return;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
    }
  }
}

/** A short tick label: `digits` significant digits, exponent form when that is shorter. */
function formatTick(v: number, digits = 3): string {
  if (v === 0) return "0";
  const plain = String(Number(v.toPrecision(digits)));
  const exp = v.toExponential(digits - 1).replace(/\.?0+e/, "e").replace("e+", "e");
  return plain.length <= exp.length ? plain : exp;
}

/**
 * Tick labels of an axis' min and max: 3 significant digits (exponent form when shorter), more (up
 * to 8) while the two would read the same, e.g. 1.7912 and 1.7938 give "1.791" and "1.794".
 */
export function tickLabels(lo: number, hi: number): [string, string] {
  let digits = 3;
  while (digits < 8 && formatTick(lo, digits) === formatTick(hi, digits)) digits++;
  return [formatTick(lo, digits), formatTick(hi, digits)];
}

/**
 * Clips the segment (x0,y0)-(x1,y1) to the rectangle [left,right] x [top,bottom] (Liang-Barsky);
 * returns the clipped endpoints or undefined when nothing is inside.
 */
function clipSegment(
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  left: number,
  right: number,
  top: number,
  bottom: number,
): [number, number, number, number] | undefined {
  const dx = x1 - x0, dy = y1 - y0;
  let t0 = 0, t1 = 1;
  const edges: [number, number][] = [[-dx, x0 - left], [dx, right - x0], [-dy, y0 - top], [dy, bottom - y0]];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return undefined;
    } else {
      const t = q / p;
      if (p < 0) t0 = Math.max(t0, t);
      else t1 = Math.min(t1, t);
    }
  }
  if (t0 > t1) return undefined;
  return [x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy];
}

function validate(series: readonly Series[], options: PlotOptions): void {
  for (const [name, v] of [["width", options.width], ["height", options.height]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 64 && v <= 16384)) {
      throw new InvalidArgumentError(`plotLines(options.${name})`, `got ${v}`, "an integer in 64..16384");
    }
  }
  for (const [name, r] of [["yRange", options.yRange], ["xRange", options.xRange]] as const) {
    if (r && !(Number.isFinite(r[0]) && Number.isFinite(r[1]) && r[0] < r[1])) {
      throw new InvalidArgumentError(
        `plotLines(options.${name})`,
        `got [${r}]`,
        "finite [lo, hi] with lo < hi",
      );
    }
  }
  series.forEach((s, i) => {
    const source = `plotLines(series[${i}] "${s.name}")`;
    if (s.x.length !== s.y.length) {
      throw new InvalidArgumentError(
        source,
        `has ${s.x.length} x and ${s.y.length} y values`,
        "as many x as y",
      );
    }
    if (
      s.color && !(s.color.length === 3 && s.color.every((c) => Number.isInteger(c) && c >= 0 && c <= 255))
    ) {
      throw new InvalidArgumentError(`${source}.color`, `got [${s.color}]`, "three integers in 0..255");
    }
  });
}

/** Min..max of the finite points' coordinates; [0, 1] without points; widened by 0.5 when flat. */
function dataRange(series: readonly Series[], axis: "x" | "y"): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.x.length; i++) {
      if (!Number.isFinite(s.x[i]) || !Number.isFinite(s.y[i])) continue;
      const v = s[axis][i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo > hi) return [0, 1];
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

/**
 * Draws the series as polylines on a white frame (default 640x400) with a black axis box, min and
 * max tick values on both axes, optional title and axis labels, and a legend (colour swatch + name)
 * right of the box. Points with a non-finite x or y break their line; an isolated finite point is
 * drawn as a dot. The x range is the finite points' min..max unless `options.xRange` is given; y
 * uses `options.yRange` when given.
 * A flat range is widened by 0.5 on each side; with no finite point the range is 0..1.
 *
 * Throws {@link InvalidArgumentError} for a bad size, colour, `xRange` or `yRange`, x and y of different
 * lengths, labels and legend leaving less than 16x16 pixels for the plot, or a legend taller than
 * the frame. A title wider than the frame is cut at the frame's edges.
 */
export function plotLines(series: readonly Series[], options: PlotOptions = {}): RgbaFrame {
  validate(series, options);
  const { width = 640, height = 400, title, xLabel, yLabel } = options;
  const [x0, x1] = options.xRange ?? dataRange(series, "x");
  const [y0, y1] = options.yRange ?? dataRange(series, "y");
  const yTicks = tickLabels(y0, y1), xTicks = tickLabels(x0, x1);
  const legendWidth = series.length === 0
    ? 0
    : PAD + LEGEND_SWATCH + TEXT_SCALE * 3 + Math.max(...series.map((s) => textWidth(s.name)));

  // Axis box edges in pixels (the box lines themselves lie on these rows and columns).
  const left = PAD + Math.max(...yTicks.map(textWidth)) + 6;
  const right = width - 1 - PAD - legendWidth;
  const top = PAD + (title ? TEXT_HEIGHT + 6 : 0) + (yLabel ? TEXT_HEIGHT + 6 : 0) + TEXT_HEIGHT / 2;
  const bottom = height - 1 - PAD - TEXT_HEIGHT - 4 - (xLabel ? TEXT_HEIGHT + 6 : 0);
  const legendHeight = series.length * (TEXT_HEIGHT + 6);
  if (right - left < 16 || bottom - top < 16 || top + legendHeight > height - PAD) {
    throw new InvalidArgumentError(
      "plotLines(options)",
      `a ${width}x${height} frame leaves a ${right - left}x${bottom - top} plot and ${height - PAD - top}` +
        ` rows for a ${legendHeight}-row legend`,
      "a larger width/height or shorter labels and series names",
    );
  }

  const canvas = new Canvas(width, height);
  if (title) canvas.text(title, Math.round((width - textWidth(title)) / 2), PAD, BLACK);
  if (yLabel) canvas.text(yLabel, left, top - TEXT_HEIGHT / 2 - 6 - TEXT_HEIGHT, BLACK);
  if (xLabel) {
    canvas.text(
      xLabel,
      Math.round((left + right - textWidth(xLabel)) / 2),
      bottom + 4 + TEXT_HEIGHT + 6,
      BLACK,
    );
  }
  canvas.text(yTicks[0], left - 6 - textWidth(yTicks[0]), bottom - TEXT_HEIGHT / 2, BLACK);
  canvas.text(yTicks[1], left - 6 - textWidth(yTicks[1]), top - TEXT_HEIGHT / 2, BLACK);
  canvas.text(xTicks[0], left, bottom + 4, BLACK);
  canvas.text(xTicks[1], right - textWidth(xTicks[1]) + 1, bottom + 4, BLACK);
  canvas.line(left, top, right, top, BLACK);
  canvas.line(left, bottom, right, bottom, BLACK);
  canvas.line(left, top, left, bottom, BLACK);
  canvas.line(right, top, right, bottom, BLACK);

  const px = (x: number): number => left + ((x - x0) / (x1 - x0)) * (right - left);
  const py = (y: number): number => bottom - ((y - y0) / (y1 - y0)) * (bottom - top);
  series.forEach((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length];
    const ok = (i: number): boolean =>
      i >= 0 && i < s.x.length && Number.isFinite(s.x[i]) && Number.isFinite(s.y[i]);
    for (let i = 0; i < s.x.length; i++) {
      if (!ok(i)) continue;
      // A segment to the next point, or a dot when neither neighbour can be joined.
      const to = ok(i + 1) ? i + 1 : ok(i - 1) ? -1 : i;
      if (to < 0) continue;
      const seg = clipSegment(px(s.x[i]), py(s.y[i]), px(s.x[to]), py(s.y[to]), left, right, top, bottom);
      if (seg) {
        canvas.line(Math.round(seg[0]), Math.round(seg[1]), Math.round(seg[2]), Math.round(seg[3]), color);
      }
    }
    const ly = top + k * (TEXT_HEIGHT + 6) + TEXT_HEIGHT / 2;
    const lx = right + PAD;
    for (let t = 0; t < TEXT_SCALE; t++) {
      canvas.line(lx, ly + t - 1, lx + LEGEND_SWATCH - 1, ly + t - 1, color);
    }
    canvas.text(s.name, lx + LEGEND_SWATCH + TEXT_SCALE * 3, ly - TEXT_HEIGHT / 2, BLACK);
  });
  return { width, height, data: canvas.data };
}
