/**
 * The eval.md text of an evaluation (see report.ts for the other files): a Table-1 style row per
 * method with its supervision level and the setting chosen (tau, mask rule, presence gate), Dice at
 * 1 start and at N starts against the windows scored (compute), lesions, per-case Dice, the
 * validation choices and sweep tables, and the window-size ablation. Also the "Dice against windows
 * scored" figure.
 *
 * @module
 */
import { describeSupervision, type SupervisionLevel } from "../data/supervision.ts";
import type { RgbaFrame } from "../env/png.ts";
import type { EvaluationResult } from "./evaluate.ts";
import { describeMaskRule, formatMaskRule } from "./mask_rule.ts";
import type { MethodSetting } from "./method_results.ts";
import type { Summary } from "./metrics.ts";
import { lineChartSpec, renderChart } from "./chart.ts";
import type { ReportOptions } from "./report.ts";
import { sweepMarkdown } from "./sweep_report.ts";

function pm(s: Summary, scale: number, digits: number): string {
  if (s.n === 0) return "n/a";
  const sd = Number.isNaN(s.sd) ? "" : ` ± ${(s.sd * scale).toFixed(digits)}`;
  return `${(s.mean * scale).toFixed(digits)}${sd}`;
}

function excluded(s: Summary): string {
  const parts = [];
  if (s.nanCount) parts.push(`${s.nanCount} NaN`);
  if (s.infCount) parts.push(`${s.infCount} inf`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

function num(v: number): string {
  return String(Number(v.toPrecision(4)));
}

/** `tau 0.3, peak:0.5, gate 0.42 (sweep)`: a setting in one line. */
export function settingText(s: MethodSetting): string {
  const tau = Number.isNaN(s.tau) ? "" : `tau ${num(s.tau)}, `;
  const rule = s.rule ? formatMaskRule(s.rule) : `threshold ${num(s.threshold)}`;
  const gate = s.gate ? `, gate ${num(s.gate)}` : "";
  const gateSource = s.gate && s.gateSource && s.gateSource !== s.source ? `; gate ${s.gateSource}` : "";
  return `${tau}${rule}${gate} (${s.source}${gateSource})`;
}

const PAIRING_TEXT: Record<string, string> = {
  sampled: "the same policy sampling its actions with its own seed",
  random: "a random agent",
  greedy: "a greedy agent",
  agent: "a given agent",
  "argmax-twins": "the side-a player itself (argmax against argmax for the argmax row)",
};

function headerLines(result: EvaluationResult, options: Partial<ReportOptions>): string[] {
  const g = result.game;
  const counts = result.startCounts ?? [result.starts];
  const refine = result.refine;
  const levels = [...new Set(result.methods.map((m) => m.supervision).filter((l) => l !== undefined))];
  return [
    `- Data: ${options.data ?? "?"}${options.split ? `, split \`${options.split}\`` : ""}; ` +
    `${result.cases.length} cases evaluated${
      result.skipped.length ? `, ${result.skipped.length} skipped` : ""
    }; ` +
    `target labels ${result.target.join(", ")}.`,
    `- Game: window ${
      g.window.join("x")
    } (z,y,x), stride ${g.stride}, maxSteps ${g.maxSteps}, map ${g.mapMode}, ` +
    `observation ${g.observation}, ${result.starts} start(s), seed ${result.seed}.`,
    `- Starts: reported at ${counts.slice(0, -1).join(", ")}${counts.length > 1 ? " and " : ""}${
      counts[counts.length - 1]
    } (each chosen on validation on its own); start 0 keeps the configured start rule ` +
    `(${JSON.stringify(g.start)}), the others are random corners seeded per case.`,
    `- Policy: ${result.policy ?? "none (no trained policy: only the non-RL methods were evaluated)"}` +
    (result.pairing
      ? `; side b of the policy rows: ${PAIRING_TEXT[result.pairing] ?? result.pairing}.`
      : "."),
    refine && refine.radius > 0 && refine.top > 0
      ? `- Refinement (agent methods): every lattice window within ±${refine.radius} strides per axis of the ` +
        `${refine.top} best occupied window(s) is scored and added to the map (counted in windows scored)` +
        (refine.oracleRadius !== undefined && refine.oracleRadius !== refine.radius
          ? `; the oracle row (the upper bound) uses ±${refine.oracleRadius} strides, reaching windows that ` +
            "miss the target (their zero scores clear voxels in the deconv map)."
          : ".")
      : "- Refinement: off.",
    "- Mask rules: absolute (`map > t`), peak (`map > a × max(map)`), visit (mean score per covering window " +
    "addition > t), deconv (`d > a × max(d)`, d the voxel map whose window means match the scores of the " +
    "distinct windows, by Richardson-Lucy iterations); the rule kind and value are chosen per method on validation (mean Dice) unless given.",
    "- Presence gate: the mask is empty when the method's best window score on the case (start, visited and " +
    "refinement windows of all starts; dense: every lattice window) is below the gate g; g is chosen on " +
    "validation cases, with and without a target (Dice on positives, 1 for an empty mask on tumour-free " +
    "cases), or given; 0 = off.",
    ...(levels.length
      ? ["- Supervision levels:", ...levels.map((l) => `  - ${describeSupervision(l as SupervisionLevel)}`)]
      : []),
  ];
}

function startsTable(result: EvaluationResult): string[] {
  const counts = result.startCounts ?? [result.starts];
  const head = counts.flatMap((k) => [`Dice @${k} start${k > 1 ? "s" : ""}`, `Windows @${k}`]);
  const out = [
    "## Dice against windows scored (compute)",
    "",
    "Dice in % (mean ± sd over cases with a target), windows scored per case (distinct windows the scorer " +
    "computed: greedy agents add up to 6 look-ups per step, refinement its neighbourhood, the dense map every " +
    "lattice window). The dense map has no starts: its columns repeat. Gated: cases whose mask the presence " +
    "gate emptied (with a target / tumour-free).",
    "",
    `| Method | ${head.join(" | ")} | Steps @${counts[counts.length - 1]} | Gated | Setting @1 start |`,
    `|---|${head.map(() => "---:").join("|")}|---:|---:|---|`,
  ];
  for (const m of result.methods) {
    const by = m.byStarts ?? [];
    const cells = counts.flatMap((k) => {
      const b = by.find((x) => x.starts === k);
      return b ? [pm(b.dice, 100, 1), pm(b.windowsScored, 1, 0)] : ["n/a", "n/a"];
    });
    const last = by.find((x) => x.starts === counts[counts.length - 1]);
    const one = by.find((x) => x.starts === 1);
    out.push(
      `| ${m.label} | ${cells.join(" | ")} | ${last ? pm(last.steps, 1, 1) : "n/a"} | ` +
        `${m.gated ? `${m.gated.positives} / ${m.gated.negatives}` : "n/a"} | ` +
        `${one ? settingText(one.setting) : "n/a"} |`,
    );
  }
  out.push("", "![Dice against windows scored](dice_vs_windows.png)");
  return out;
}

/**
 * Mean Dice against the mean windows scored per case (log x axis; 0 windows, as the dense map's,
 * drawn at 1): one line per method from 1 start to N starts, each with its own colour, dash and
 * marker, named in the legend. Resolves to a PNG frame (see `eval/chart.ts`).
 */
export function diceWindowsPlot(result: EvaluationResult): Promise<RgbaFrame> {
  const series = result.methods.map((m) => {
    const by = m.byStarts ?? [];
    return { name: m.id, x: by.map((b) => Math.max(1, b.windowsScored.mean)), y: by.map((b) => b.dice.mean) };
  });
  return renderChart(lineChartSpec(series, {
    title: "Dice vs windows scored (1 to N starts)",
    xLabel: "windows scored per case (log scale)",
    xScale: "log",
    yLabel: "mean Dice",
    yRange: [0, 1],
    width: 480,
    height: 260,
  }));
}

function choicesTable(result: EvaluationResult): string[] {
  if (!result.choices?.length) return [];
  const out = [
    "## Validation choices",
    "",
    "Per method and number of starts: the tau and mask rule of the best mean validation Dice (cases with a " +
    "target), and the presence gate with its validation score (mean over all cases: Dice with a target, 1 " +
    "for an empty mask when tumour-free) against no gate.",
    "",
    "| Method | Starts | Rule | tau | Val Dice | Gate | Gated score | Ungated score |",
    "|---|---:|---|---:|---:|---:|---:|---:|",
  ];
  for (const c of result.choices) {
    const gc = c.gateChoice;
    out.push(
      `| ${c.method} | ${c.starts} | ${describeMaskRule(c.rule)} | ${
        Number.isNaN(c.tau) ? "-" : num(c.tau)
      } | ` +
        `${Number.isNaN(c.dice) ? "NaN" : (100 * c.dice).toFixed(1)}${
          c.uninformative ? " (uninformative: every setting the same, tie-break)" : ""
        } | ${num(c.gate)}${gc ? "" : " (given)"} | ` +
        `${gc ? (100 * gc.score).toFixed(1) : "-"} | ${gc ? (100 * gc.ungatedScore).toFixed(1) : "-"} |`,
    );
  }
  return out;
}

/** The sweep tables shown in eval.md and plotted: per method, the chosen rule kind at N starts. */
export function chosenSweeps(result: EvaluationResult): EvaluationResult["sweeps"] {
  return result.sweeps.filter((s) => {
    const tagged = s as typeof s & { rule?: string; starts?: number };
    if (tagged.rule === undefined) return true;
    const choice = result.choices?.find((c) => c.method === s.method && c.starts === result.starts);
    return tagged.starts === result.starts && choice?.rule.kind === tagged.rule;
  });
}

/** The eval.md text of a result. */
export function evaluationMarkdown(result: EvaluationResult, options: Partial<ReportOptions> = {}): string {
  const out: string[] = [
    `# ${options.title ?? "SPARS Gym evaluation"}`,
    "",
    ...headerLines(result, options),
    ...(options.notes ?? []).map((n) => `- ${n}`),
    "",
    `## Segmentation (mean ± sd over cases, ${result.starts} start${result.starts > 1 ? "s" : ""})`,
    "",
    "Dice, IoU, sensitivity and specificity in %, HD95 in mm. Cases with an empty ground truth have",
    "NaN Dice/IoU/sensitivity and are left out of those means; a prediction or truth that is empty alone",
    "gives an infinite HD95, left out of its mean. Counts in brackets.",
    "",
    "| Method | Supervision | Scorer | Dice | IoU | Sensitivity | Specificity | HD95 (mm) | Windows scored | Setting |",
    "|---|---|---|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const m of result.methods) {
    const x = m.metrics;
    out.push(
      `| ${m.label} | ${m.supervision ?? "?"} | ${m.scorer} | ${pm(x.dice, 100, 1)}${excluded(x.dice)} | ` +
        `${pm(x.iou, 100, 1)}${excluded(x.iou)} | ${pm(x.sensitivity, 100, 1)}${excluded(x.sensitivity)} | ` +
        `${pm(x.specificity, 100, 1)}${excluded(x.specificity)} | ${pm(x.hd95, 1, 1)}${excluded(x.hd95)} | ` +
        `${pm(m.compute.windowsScored, 1, 0)} | ${settingText(m.setting)} |`,
    );
  }
  out.push("", ...startsTable(result));
  out.push(
    "",
    "## Lesions and compute (per case)",
    "",
    "| Method | Lesions detected | Dice small lesions | Dice large lesions | False-positive components | Steps | Windows scored | Scorer s | Policy s | Total s |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const m of result.methods) {
    const l = m.lesions, c = m.compute;
    out.push(
      `| ${m.label} | ${l.detected}/${l.truthCount} | ${pm(l.smallDice, 100, 1)} (n=${l.smallDice.n}) | ` +
        `${pm(l.largeDice, 100, 1)} (n=${l.largeDice.n}) | ${pm(l.falsePositives, 1, 1)} | ${
          pm(c.steps, 1, 1)
        } | ` +
        `${pm(c.windowsScored, 1, 0)} | ${pm(c.scorerMs, 1e-3, 2)} | ${pm(c.policyMs, 1e-3, 2)} | ` +
        `${pm(c.totalMs, 1e-3, 2)} |`,
    );
  }
  out.push(
    "",
    `Small lesions: < ${result.methods[0]?.lesions.smallLesionMl ?? 1} ml.`,
    "",
    "## Dice per case (%)",
    "",
    `| Case | Target voxels | ${result.methods.map((m) => m.id).join(" | ")} |`,
    `|---|---:|${result.methods.map(() => "---:").join("|")}|`,
  );
  for (const c of result.cases) {
    const cells = result.methods.map((m) => {
      const r = c.methods[m.id];
      const d = r?.scores.dice;
      const text = d === undefined || Number.isNaN(d) ? "NaN" : (100 * d).toFixed(1);
      return r?.gated ? `${text} (gated)` : text;
    });
    out.push(`| ${c.id} | ${c.truthVoxels} | ${cells.join(" | ")} |`);
  }
  if (result.skipped.length) {
    out.push("", "Skipped: " + result.skipped.map((s) => `${s.id} (${s.reason})`).join(", ") + ".");
  }
  const choices = choicesTable(result);
  if (choices.length) out.push("", ...choices);
  for (const s of chosenSweeps(result)) {
    const tagged = s as typeof s & { rule?: string; starts?: number };
    const what = tagged.rule
      ? ` (${tagged.rule} rule, ${tagged.starts} start${tagged.starts === 1 ? "" : "s"})`
      : "";
    out.push(
      "",
      `## Validation sweep: ${s.method}${what}`,
      "",
      sweepMarkdown(s),
      "",
      `![sweep](sweep_${s.method.replace(/[^A-Za-z0-9._-]/g, "_")}.png)`,
    );
  }
  const ablation = result.windowAblation;
  if (ablation?.rows.length) {
    out.push(
      "",
      `## Window-size ablation (validation, ${ablation.method}, tau ${result.game.tau})`,
      "",
      "| Window (z,y,x) | Voxels | Best threshold | Mean Dice |",
      "|---|---:|---:|---:|",
      ...ablation.rows.map((r) =>
        `| ${r.window.join("x")} | ${r.window[0] * r.window[1] * r.window[2]} | ` +
        `${num(r.sweep.best.threshold)} | ${(100 * r.sweep.best.dice).toFixed(1)} |`
      ),
      "",
      "![window ablation](window_ablation.png)",
    );
  }
  return out.join("\n") + "\n";
}
