/**
 * Reads what a Vega SVG chart shows, for tests: axis tick labels, titles, legend labels and line
 * strokes, by pattern over the SVG text (independent of the code that made the spec).
 *
 * @module
 */

/** Tick labels of the axis whose aria label starts with `X-axis` or `Y-axis`, in order, per occurrence. */
export function axisLabels(svg: string, axis: "X" | "Y"): string[][] {
  const out: string[][] = [];
  const re = new RegExp(
    `aria-label="${axis}-axis[^"]*"[\\s\\S]*?role-axis-label"[^>]*>([\\s\\S]*?)</g>`,
    "g",
  );
  for (const m of svg.matchAll(re)) {
    out.push([...m[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]));
  }
  return out;
}

/** The titles of the axes (from their aria labels: `X-axis titled '...'`). */
export function axisTitles(svg: string, axis: "X" | "Y"): string[] {
  return [...svg.matchAll(new RegExp(`aria-label="${axis}-axis titled '([^']*)'`, "g"))].map((m) => m[1]);
}

/** Chart titles. */
export function titles(svg: string): string[] {
  return [...svg.matchAll(/aria-label="Title text '([^']*)'"/g)].map((m) => m[1]);
}

/** Legend labels, in order. */
export function legendLabels(svg: string): string[] {
  return [...svg.matchAll(/role-legend-label"[^>]*><text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

/** Each drawn line's series (from its aria label), stroke colour and dash pattern. */
export function lineStrokes(svg: string): { series: string; stroke: string; dash: string }[] {
  return [
    ...svg.matchAll(/<path aria-label="[^"]*series: ([^"]*)"[^>]*aria-roledescription="line mark"[^>]*>/g),
  ]
    .map((m) => ({
      series: m[1],
      stroke: /stroke="([^"]*)"/.exec(m[0])?.[1] ?? "",
      dash: /stroke-dasharray="([^"]*)"/.exec(m[0])?.[1] ?? "",
    }));
}

/** Numbers of tick labels ("1,000" read as 1000; "−" as "-"). */
export function tickValues(labels: readonly string[]): number[] {
  return labels.map((l) => Number(l.replaceAll(",", "").replace("\u2212", "-")));
}

/**
 * Whether tick values are "nice": evenly spaced by 1, 2 or 5 times a power of ten (within 1e-9).
 */
export function niceTicks(values: readonly number[]): boolean {
  if (values.length < 2 || !values.every(Number.isFinite)) return false;
  const step = Number((values[1] - values[0]).toPrecision(12));
  const mantissa = step / 10 ** Math.floor(Math.log10(step));
  const evenly = values.every((v, i) =>
    Math.abs(v - values[0] - i * step) <= 1e-9 * Math.max(1, Math.abs(v))
  );
  return evenly && [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6);
}
