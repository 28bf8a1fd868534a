/**
 * The summary table `deno task eval` prints: one row per method, mean ± sd over cases.
 *
 * @module
 */
import type { EvaluationResult } from "./evaluate.ts";
import type { Summary } from "./metrics.ts";

/** `mean ± sd` of a summary scaled by `scale`, `n/a` without cases. */
function pm(s: Summary, scale: number, digits: number): string {
  if (s.n === 0) return "n/a";
  return `${(s.mean * scale).toFixed(digits)}${
    Number.isNaN(s.sd) ? "" : ` ± ${(s.sd * scale).toFixed(digits)}`
  }`;
}

/**
 * The printed summary: one row per method (Dice at N starts, IoU, sensitivity, specificity in %, HD95
 * mm, Dice at 1 start, windows scored per case at N starts, s/case).
 */
export function summaryTable(result: EvaluationResult): string {
  const rows = [[
    "method",
    "Dice %",
    "IoU %",
    "Sens %",
    "Spec %",
    "HD95 mm",
    "Dice@1 %",
    "windows",
    "s/case",
  ]];
  for (const m of result.methods) {
    const x = m.metrics;
    const one = m.byStarts?.find((b) => b.starts === 1);
    rows.push([
      m.label,
      pm(x.dice, 100, 1),
      pm(x.iou, 100, 1),
      pm(x.sensitivity, 100, 1),
      pm(x.specificity, 100, 1),
      pm(x.hd95, 1, 1) + (x.hd95.infCount ? ` (${x.hd95.infCount} inf)` : ""),
      one ? pm(one.dice, 100, 1) : "n/a",
      pm(m.compute.windowsScored, 1, 0),
      pm(m.compute.totalMs, 1e-3, 2),
    ]);
  }
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  "))
    .join("\n");
}
