/**
 * The methods compared by the evaluation, and what is recorded of them: per case scores (overlap,
 * surface distance, lesion detection, compute) and per method summaries (mean +- sd with NaN and
 * Infinity counts, lesions pooled over cases).
 *
 * @module
 */
import type { SupervisionLevel } from "../data/supervision.ts";
import type { Case, Vec3 } from "../data/types.ts";
import type { Scorer } from "../env/scorer.ts";
import { lesionDetection } from "./components.ts";
import { scoreSegmentation, type SegmentationScores, summarize, type Summary } from "./metrics.ts";
import type { MaskRule } from "./mask_rule.ts";
import type { SegmentTimings } from "./segment.ts";

/**
 * The methods compared. `agents`: the learned policy sampling its actions; `agents-argmax`: the
 * same policy taking its most probable action (side b of both: see `Pairing` in players.ts);
 * `custom`: a user's agent module (`--agent`, agent_module.ts), one player per side.
 */
export type MethodId = "agents" | "agents-argmax" | "custom" | "dense" | "random" | "greedy" | "oracle";

/** Every method, in report order. */
export const METHOD_IDS: readonly MethodId[] = [
  "agents",
  "agents-argmax",
  "custom",
  "dense",
  "random",
  "greedy",
  "oracle",
];

/** The methods played by the learned policy. */
export const POLICY_METHOD_IDS: readonly MethodId[] = ["agents", "agents-argmax"];

/** Report labels; the oracle's says that it uses voxel labels. */
export const METHOD_LABELS: Readonly<Record<MethodId, string>> = {
  agents: "SPARS agents (sampled)",
  "agents-argmax": "SPARS agents (argmax)",
  custom: "Your agent",
  dense: "Dense sliding window (no RL)",
  random: "Random agents",
  greedy: "Greedy agents",
  oracle: "Oracle scorer + greedy agents (uses voxel labels)",
};

/** The metrics summarised per method (keys of `SegmentationScores`). */
export const METRIC_NAMES: readonly (keyof SegmentationScores)[] = [
  "dice",
  "iou",
  "sensitivity",
  "specificity",
  "precision",
  "hd95",
  "assd",
  "volumeDifferenceRelative",
];

/** Termination threshold, mask rule and presence gate of a method, and where they came from. */
export interface MethodSetting {
  /** Termination threshold (NaN for `dense`, which has none). */
  readonly tau: number;
  /** The mask rule's value (kept for readers of older reports: the threshold of an `absolute` rule). */
  readonly threshold: number;
  /** The mask rule (absolute, peak or visit). Absent in reports written before mask rules. */
  readonly rule?: MaskRule;
  /** Presence gate (0 = off): empty mask when the best window score < gate. */
  readonly gate?: number;
  /** Where tau and the rule came from: `given` (options.settings), `sweep` (validation) or `default`. */
  readonly source: "given" | "sweep" | "default";
  /** Where the gate came from. */
  readonly gateSource?: "given" | "sweep" | "default";
}

/** A method's result at one number of starts, on one case. */
export interface StartsCaseResult {
  /** Starts per case. */
  readonly starts: number;
  /** Dice (NaN with an empty ground truth). */
  readonly dice: number;
  /** Distinct windows the scorer computed. */
  readonly windowsScored: number;
  /** Game steps summed over the starts. */
  readonly steps: number;
  /** True when the presence gate emptied the mask. */
  readonly gated: boolean;
}

/** A method's result at one number of starts, over the test cases. */
export interface StartsSummary {
  /** Starts per case. */
  readonly starts: number;
  /** The setting used at this number of starts (chosen on validation at the same number of starts). */
  readonly setting: MethodSetting;
  /** Dice over cases (NaN excluded and counted). */
  readonly dice: Summary;
  /** Windows scored per case. */
  readonly windowsScored: Summary;
  /** Steps per case. */
  readonly steps: Summary;
}

/** One method on one case. */
export interface CaseMethodResult {
  /** Every overlap and distance score (NaN / Infinity per the metric's empty-mask rule). */
  readonly scores: SegmentationScores;
  /** Lesion detection: counts, rate (NaN without lesions), false-positive components, per lesion. */
  readonly lesions: {
    readonly truthCount: number;
    readonly detected: number;
    readonly detectionRate: number;
    readonly falsePositives: number;
    readonly perLesion: readonly {
      readonly volumeMl: number;
      readonly dice: number;
      readonly detected: boolean;
    }[];
  };
  /** Foreground voxels of the prediction. */
  readonly predictedVoxels: number;
  /** Game steps (summed over starts; 0 for dense). */
  readonly steps: number;
  /** Distinct windows the scorer computed. */
  readonly windowsScored: number;
  /** Timing split in ms (dense: policyMs and envMs are 0). */
  readonly timings: SegmentTimings;
  /** The best window score (presence gate rule). */
  readonly bestScore?: number;
  /** True when the presence gate emptied the mask. */
  readonly gated?: boolean;
  /** Dice and compute at 1 start and at the evaluation's starts (one entry when they are equal). */
  readonly byStarts?: readonly StartsCaseResult[];
}

/** One test case. */
export interface CaseResult {
  /** Case id. */
  readonly id: string;
  /** Volume shape z,y,x. */
  readonly shape: Vec3;
  /** Voxel size mm z,y,x. */
  readonly spacing: Vec3;
  /** Target voxels in the ground truth. */
  readonly truthVoxels: number;
  /** Results per method run. */
  readonly methods: Partial<Record<MethodId, CaseMethodResult>>;
}

/** Summary of one method over the test cases. */
export interface MethodSummary {
  /** Method id. */
  readonly id: MethodId;
  /** Report label. */
  readonly label: string;
  /** True for the oracle, and for every method when the scorer itself reads voxel labels. */
  readonly usesVoxelLabels: boolean;
  /** The supervision level of the row (the labels its scorer was trained with, or voxel labels). */
  readonly supervision?: SupervisionLevel;
  /** Dice and compute at 1 start and at the evaluation's starts. */
  readonly byStarts?: readonly StartsSummary[];
  /** Cases whose mask the presence gate emptied: with a target, and tumour-free. */
  readonly gated?: { readonly positives: number; readonly negatives: number };
  /** Scorer id used. */
  readonly scorer: string;
  /** The setting used. */
  readonly setting: MethodSetting;
  /** Mean +- sd etc. per metric (NaN / Infinity excluded and counted). */
  readonly metrics: Readonly<Record<keyof SegmentationScores, Summary>>;
  /** Lesions pooled over cases. */
  readonly lesions: {
    readonly truthCount: number;
    readonly detected: number;
    readonly detectionRate: number;
    readonly smallLesionMl: number;
    readonly smallDice: Summary;
    readonly largeDice: Summary;
    readonly falsePositives: Summary;
  };
  /** Compute per case. */
  readonly compute: Readonly<Record<"steps" | "windowsScored" | keyof SegmentTimings, Summary>>;
}

/** What one method produced on one case. */
export interface RunOutput {
  /** Probability map, z,y,x. */
  readonly map: Float32Array;
  /** Predicted mask, z,y,x. */
  readonly mask: Uint8Array;
  /** Game steps (0 for dense). */
  readonly steps: number;
  /** Distinct windows the scorer computed. */
  readonly windowsScored: number;
  /** Timing split in ms. */
  readonly timings: SegmentTimings;
  /** The best window score (presence gate rule). */
  readonly bestScore?: number;
  /** True when the presence gate emptied the mask. */
  readonly gated?: boolean;
}

/** Scores one method's output on one case against the binary truth mask. */
export function scoreCase(c: Case, truth: Uint8Array, out: RunOutput): CaseMethodResult {
  const { shape, spacing } = c.image;
  const detection = lesionDetection(out.mask, truth, shape, spacing);
  let predictedVoxels = 0;
  for (let i = 0; i < out.mask.length; i++) predictedVoxels += out.mask[i];
  return {
    scores: scoreSegmentation(out.mask, truth, shape, spacing),
    lesions: {
      truthCount: detection.truthCount,
      detected: detection.detected,
      detectionRate: detection.detectionRate,
      falsePositives: detection.falsePositives,
      perLesion: detection.perLesion.map((l) => ({
        volumeMl: l.volumeMl,
        dice: l.dice,
        detected: l.detected,
      })),
    },
    predictedVoxels,
    steps: out.steps,
    windowsScored: out.windowsScored,
    timings: out.timings,
    bestScore: out.bestScore,
    gated: out.gated,
  };
}

/** Labels and levels of a summary row (see {@link summarizeMethod}). */
export interface RowInfo {
  /** Report label (default {@link METHOD_LABELS}, plus "(uses voxel labels)" when the scorer reads them). */
  readonly label?: string;
  /** Supervision level of the row. */
  readonly supervision?: SupervisionLevel;
  /** Settings per number of starts (keys: the starts of `byStarts` entries). */
  readonly settingsByStarts?: ReadonlyMap<number, MethodSetting>;
}

/**
 * Summarises one method over the test cases: every metric (mean, sd, n, NaN and Infinity counts),
 * lesions pooled over cases (small vs large by `smallLesionMl`), and compute per case.
 */
export function summarizeMethod(
  m: MethodId,
  setting: MethodSetting,
  cases: readonly CaseResult[],
  smallLesionMl: number,
  scorer: Scorer | undefined,
  scorerUsesVoxelLabels: boolean,
  info: RowInfo = {},
): MethodSummary {
  const rows = cases.map((c) => c.methods[m]!);
  const metrics = Object.fromEntries(
    METRIC_NAMES.map((k) => [k, summarize(rows.map((r) => r.scores[k]))]),
  ) as Record<keyof SegmentationScores, Summary>;
  const lesions = rows.flatMap((r) => r.lesions.perLesion);
  const truthCount = lesions.length, detected = lesions.filter((l) => l.detected).length;
  const timingKeys = ["scorerMs", "policyMs", "mapMs", "envMs", "totalMs"] as const;
  const base = info.label ?? METHOD_LABELS[m];
  const startCounts = [...new Set(rows.flatMap((r) => (r.byStarts ?? []).map((b) => b.starts)))];
  const byStarts = startCounts.map((starts): StartsSummary => {
    const at = rows.map((r) => r.byStarts!.find((b) => b.starts === starts)!);
    return {
      starts,
      setting: info.settingsByStarts?.get(starts) ?? setting,
      dice: summarize(at.map((b) => b.dice)),
      windowsScored: summarize(at.map((b) => b.windowsScored)),
      steps: summarize(at.map((b) => b.steps)),
    };
  });
  return {
    id: m,
    label: m !== "oracle" && scorerUsesVoxelLabels ? `${base} (uses voxel labels)` : base,
    usesVoxelLabels: m === "oracle" || scorerUsesVoxelLabels,
    supervision: info.supervision,
    byStarts,
    gated: {
      positives: cases.filter((c) => c.truthVoxels > 0 && c.methods[m]!.gated).length,
      negatives: cases.filter((c) => c.truthVoxels === 0 && c.methods[m]!.gated).length,
    },
    scorer: m === "oracle" ? `oracle(target, uses voxel labels)` : scorer!.id,
    setting,
    metrics,
    lesions: {
      truthCount,
      detected,
      detectionRate: truthCount ? detected / truthCount : NaN,
      smallLesionMl,
      smallDice: summarize(lesions.filter((l) => l.volumeMl < smallLesionMl).map((l) => l.dice)),
      largeDice: summarize(lesions.filter((l) => l.volumeMl >= smallLesionMl).map((l) => l.dice)),
      falsePositives: summarize(rows.map((r) => r.lesions.falsePositives)),
    },
    compute: {
      steps: summarize(rows.map((r) => r.steps)),
      windowsScored: summarize(rows.map((r) => r.windowsScored)),
      ...Object.fromEntries(timingKeys.map((k) => [k, summarize(rows.map((r) => r.timings[k]))])),
    } as MethodSummary["compute"],
  };
}
