/**
 * The report views of a threshold sweep (sweep.ts): a markdown table of mean Dice by tau and mask
 * threshold, and its Dice-against-threshold plot (one line per tau) as a Vega-Lite spec and a PNG frame.
 *
 * @module
 */
import type { RgbaFrame } from "../env/png.ts";
import { lineChartSpec, renderChart, type VegaLiteSpec } from "./chart.ts";
import type { Series } from "./plot.ts";
import type { SweepResult } from "./sweep.ts";

function finiteMax(values: readonly number[]): number {
  const finite = values.filter((v) => !Number.isNaN(v));
  return finite.length ? Math.max(...finite) : NaN;
}

function fmt(v: number, digits = 3): string {
  return Number.isNaN(v) ? "NaN" : v.toFixed(digits);
}

/** A markdown table of mean Dice (rows: taus, columns: thresholds), the best cell in bold. */
export function sweepMarkdown(result: SweepResult): string {
  const dense = result.taus.length === 1 && Number.isNaN(result.taus[0]);
  const head = `| ${dense ? "" : "tau \\ threshold"} | ${
    result.thresholds.map((t) => fmt(t, 4)).join(" | ")
  } |`;
  const rule = `|---|${result.thresholds.map(() => "---:").join("|")}|`;
  const rows = result.taus.map((tau, i) =>
    `| ${dense ? "Dice" : fmt(tau, 2)} | ${
      result.meanDice[i].map((d, j) => {
        const cell = fmt(d);
        return i === result.best.tauIndex && j === result.best.thresholdIndex ? `**${cell}**` : cell;
      }).join(" | ")
    } |`
  );
  const nan = result.nanCounts[0][0];
  return [
    `Mean Dice over ${result.cases.length - nan} of ${result.cases.length} validation cases` +
    (nan ? ` (${nan} with an empty ground truth left out)` : "") +
    `; best: ${dense ? "" : `tau ${fmt(result.best.tau, 2)}, `}threshold ${fmt(result.best.threshold, 4)}, ` +
    `Dice ${fmt(result.best.dice)}.` +
    (result.uninformative
      ? ` UNINFORMATIVE: every setting gives mean Dice ${
        fmt(result.best.dice)
      }; the one shown is a tie-break.`
      : ""),
    "",
    head,
    rule,
    ...rows,
  ].join("\n");
}

/**
 * The Vega-Lite spec of a sweep's plots: mean Dice against the mask threshold (one line per tau; a
 * log x axis when the grid is positive and spans more than a factor 16) and, for agent methods with
 * several taus, the best Dice over thresholds and the Dice at the chosen threshold against tau, side
 * by side. Lines differ in colour, dash and marker and are named in a legend.
 */
export function sweepPlotSpec(result: SweepResult): VegaLiteSpec {
  const t = result.thresholds;
  const geometric = t.every((v) => v > 0) && Math.max(...t) / Math.min(...t) > 16;
  const dense = result.taus.length === 1 && Number.isNaN(result.taus[0]);
  const lines: Series[] = result.taus.map((tau, i) => ({
    name: dense ? "dense" : `tau ${tau}`,
    x: [...t],
    y: result.meanDice[i].map((d) => d),
  }));
  const byThreshold = lineChartSpec(lines, {
    title: `${result.method}: Dice vs mask threshold`,
    xLabel: geometric ? "mask threshold (log scale)" : "mask threshold",
    xScale: geometric ? "log" : "linear",
    yLabel: "mean Dice (validation)",
    yRange: [0, 1],
  });
  if (dense || result.taus.length < 2) return byThreshold;
  const byTau = lineChartSpec([
    { name: "best threshold", x: [...result.taus], y: result.meanDice.map(finiteMax) },
    {
      name: `chosen threshold (${result.best.threshold})`,
      x: [...result.taus],
      y: result.meanDice.map((row) => row[result.best.thresholdIndex]),
    },
  ], {
    title: `${result.method}: Dice vs tau`,
    xLabel: "tau",
    yLabel: "mean Dice (validation)",
    yRange: [0, 1],
  });
  return {
    hconcat: [byThreshold, byTau],
    resolve: {
      scale: { color: "independent", strokeDash: "independent", shape: "independent" },
      legend: { color: "independent", strokeDash: "independent", shape: "independent" },
    },
  };
}

/** The PNG frame of {@link sweepPlotSpec} (see `eval/chart.ts`). */
export function sweepPlot(result: SweepResult): Promise<RgbaFrame> {
  return renderChart(sweepPlotSpec(result));
}
