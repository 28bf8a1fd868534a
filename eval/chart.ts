/**
 * Charts from declarative Vega-Lite specs, rendered without native code: Vega-Lite compiles the spec,
 * Vega lays it out headless into SVG (nice tick values, axis titles, legends), and resvg (WebAssembly)
 * rasterises the SVG with the DejaVu Sans TrueType font shipped by the `dejavu-fonts-ttf` npm package.
 * All three come from npm and need only `--allow-read` (the WebAssembly and font files are read from
 * the npm package folders once per process).
 *
 * @module
 */
import { Resvg } from "@resvg/resvg-wasm";
import { initWasm } from "@resvg/resvg-wasm";
import { fileURLToPath } from "node:url";
import * as vega from "vega";
import * as vegaLite from "vega-lite";
import { InvalidArgumentError } from "../data/errors.ts";
import type { RgbaFrame } from "../env/png.ts";
import type { Series } from "./plot.ts";

/** A Vega-Lite specification (https://vega.github.io/vega-lite/docs/spec.html), as a plain object. */
export type VegaLiteSpec = Record<string, unknown>;

/** The font every chart is drawn in (config.font of each spec and resvg's default family). */
export const CHART_FONT = "DejaVu Sans";

/**
 * Shared look of the charts: white background, the font above, 11 px labels and 12 px axis titles,
 * grid lines and several "nice" ticks per axis (Vega's default tick count, about one per 40 px).
 */
const CONFIG = {
  font: CHART_FONT,
  background: "white",
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, tickCount: 6, labelFlush: true },
  legend: { labelFontSize: 11, titleFontSize: 11, symbolSize: 80, symbolStrokeWidth: 2, labelLimit: 400 },
  title: { fontSize: 13, anchor: "middle", frame: "group" },
  header: { labelFontSize: 12, titleFontSize: 12 },
};

/** The WebAssembly module and font bytes, loaded once per process. */
let ready: Promise<Uint8Array> | undefined;

/** The local path of a resolved npm package file (throws when it is not on disk). */
function packageFile(url: string): string {
  if (!url.startsWith("file:")) {
    throw new InvalidArgumentError(
      "chart resources",
      `resolve to ${url}`,
      "a file on disk: install the npm packages with `deno install` (nodeModulesDir)",
    );
  }
  return fileURLToPath(url);
}

function load(): Promise<Uint8Array> {
  return ready ??= (async () => {
    // Literal specifiers, so that publishing can rewrite them (no import map after publishing).
    await initWasm(await Deno.readFile(packageFile(import.meta.resolve("@resvg/resvg-wasm/index_bg.wasm"))));
    return await Deno.readFile(packageFile(import.meta.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf")));
  })();
}

/**
 * The SVG text of a Vega-Lite spec, laid out headless (no canvas: text widths are Vega's estimates).
 * The shared config (font, sizes, grid) is merged under the spec's own `config`.
 * @throws {InvalidArgumentError} when Vega-Lite or Vega reject the spec
 */
export async function chartSvg(spec: VegaLiteSpec): Promise<string> {
  const merged = { ...spec, config: { ...CONFIG, ...(spec.config as object | undefined) } };
  let view: vega.View;
  try {
    const compiled = vegaLite.compile(merged as unknown as vegaLite.TopLevelSpec).spec;
    view = new vega.View(vega.parse(compiled), { renderer: "none", logLevel: vega.Error });
  } catch (e) {
    throw new InvalidArgumentError(
      "chartSvg(spec)",
      `is rejected: ${(e as Error).message}`,
      "a valid Vega-Lite spec",
    );
  }
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Renders a Vega-Lite spec (see {@link chartSvg}) into an opaque RGBA frame. `scale` (default 1)
 * multiplies the spec's pixel size, e.g. 2 for a sharper, twice as large image.
 * @throws {InvalidArgumentError} for a rejected spec or a scale that is not in (0, 8]
 */
export async function renderChart(spec: VegaLiteSpec, scale = 1): Promise<RgbaFrame> {
  if (!(scale > 0 && scale <= 8)) {
    throw new InvalidArgumentError("renderChart(scale)", `is ${scale}`, "a number in (0, 8]");
  }
  const [font, svg] = await Promise.all([load(), chartSvg(spec)]);
  const resvg = new Resvg(svg, {
    fitTo: scale === 1 ? { mode: "original" } : { mode: "zoom", value: scale },
    background: "white",
    font: { loadSystemFonts: false, fontBuffers: [font], defaultFontFamily: CHART_FONT },
  });
  try {
    const image = resvg.render();
    try {
      return { width: image.width, height: image.height, data: new Uint8ClampedArray(image.pixels) };
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}

/** Options of {@link lineChartSpec}. */
export interface LineChartOptions {
  /** Chart title, centred on top. */
  readonly title?: string;
  /** X axis title (say the unit, e.g. "env steps"). */
  readonly xLabel?: string;
  /** Y axis title (say the unit). */
  readonly yLabel?: string;
  /** Fixed x domain [lo, hi]; default the data's extent. */
  readonly xRange?: readonly [number, number];
  /** Fixed y domain [lo, hi]; default the data's extent (zero not forced in). */
  readonly yRange?: readonly [number, number];
  /** "log" for a base-10 log x axis (every x must then be > 0); default linear. */
  readonly xScale?: "linear" | "log";
  /** Plot area width in pixels (axes, title and legend come on top); default 400. */
  readonly width?: number;
  /** Plot area height in pixels; default 220. */
  readonly height?: number;
  /** Legend order and names (default: the series' names in order); series named here without points still get a legend entry. */
  readonly names?: readonly string[];
  /** Mark every point when no series has more than this many points (default 60). */
  readonly markerPoints?: number;
}

/** Marker shapes of a chart's lines, in legend order (a line can be told apart without colour). */
export const LINE_SHAPES: readonly string[] = ["circle", "square", "triangle-up", "diamond", "cross"];
/** Dash patterns of a chart's lines, in legend order: solid, dashed, dotted, dash-dot. */
export const LINE_DASHES: readonly (readonly number[])[] = [[1, 0], [6, 3], [2, 2], [6, 2, 2, 2]];

/**
 * A Vega-Lite unit spec of line charts: one line per series, each with its own colour (Tableau 10),
 * dash pattern ({@link LINE_DASHES}) and, for short series, marker shape ({@link LINE_SHAPES}), and one
 * legend below the plot naming them. Points with a non-finite x or y are left out (the line joins
 * their neighbours). An axis without a given range whose values are all equal spans value +- 0.5. Axes get Vega's "nice" ticks (several per axis) and grid lines.
 */
export function lineChartSpec(series: readonly Series[], options: LineChartOptions = {}): VegaLiteSpec {
  const names = [...(options.names ?? series.map((s) => s.name))];
  const values = series.flatMap((s) =>
    s.x.flatMap((
      x,
      i,
    ) => (Number.isFinite(x) && Number.isFinite(s.y[i]) ? [{ x, y: s.y[i], series: s.name }] : []))
  );
  const yDomain = options.yRange ? [...options.yRange] : flatDomain(values.map((v) => v.y));
  const xDomain = options.xRange ? [...options.xRange] : flatDomain(values.map((v) => v.x));
  const markers = series.every((s) => s.x.length <= (options.markerPoints ?? 60));
  const legend = { orient: "bottom", direction: "horizontal", title: null };
  const byName = (range: readonly unknown[]) => ({
    field: "series",
    type: "nominal",
    scale: { domain: names, range: names.map((_, k) => range[k % range.length]) },
    legend,
  });
  const colors = series.map((s, k) => s.color ? rgbHex(s.color) : TABLEAU10[k % TABLEAU10.length]);
  return {
    width: options.width ?? 400,
    height: options.height ?? 220,
    ...(options.title ? { title: options.title } : {}),
    data: { values },
    mark: { type: "line", strokeWidth: 2, point: markers ? { filled: true, size: 30 } : false },
    encoding: {
      x: {
        field: "x",
        type: "quantitative",
        title: options.xLabel ?? null,
        scale: {
          type: options.xScale ?? "linear",
          nice: false,
          ...(options.xScale === "log" ? {} : { zero: false }),
          ...(xDomain ? { domain: xDomain } : {}),
        },
      },
      y: {
        field: "y",
        type: "quantitative",
        title: options.yLabel ?? null,
        scale: yDomain ? { domain: yDomain } : { zero: false },
      },
      color: byName(names.map((n) => colors[series.findIndex((s) => s.name === n)] ?? TABLEAU10[0])),
      strokeDash: byName(LINE_DASHES),
      ...(markers ? { shape: byName(LINE_SHAPES) } : {}),
    },
  };
}

/** [v - 0.5, v + 0.5] when every value is v (a flat line would get a single tick); else undefined. */
function flatDomain(values: readonly number[]): number[] | undefined {
  if (values.length === 0 || values.some((v) => v !== values[0])) return undefined;
  return [values[0] - 0.5, values[0] + 0.5];
}

/** Tableau 10, Vega's default categorical colours. */
const TABLEAU10 = [
  "#4c78a8",
  "#f58518",
  "#e45756",
  "#72b7b2",
  "#54a24b",
  "#eeca3b",
  "#b279a2",
  "#ff9da6",
  "#9d755d",
  "#bab0ac",
];

function rgbHex(c: readonly [number, number, number]): string {
  return "#" + c.map((v) => v.toString(16).padStart(2, "0")).join("");
}

/** `spec` sized to exactly `width` x `height` pixels in all (Vega's "fit" autosize, padding included). */
export function fitted(spec: VegaLiteSpec, width: number, height: number): VegaLiteSpec {
  return { ...spec, width, height, autosize: { type: "fit", contains: "padding" }, padding: 6 };
}
