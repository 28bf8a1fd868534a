/**
 * The methods compared by the evaluation, and what is recorded of them: per case scores (overlap,
 * surface distance, lesion detection, compute) and per method summaries (mean +- sd with NaN and
 * Infinity counts, lesions pooled over cases).
 *
 * @module
 */
import type { Case, Vec3 } from "../data/types.ts";
import type { Scorer } from "../env/scorer.ts";
import { lesionDetection } from "./components.ts";
import { scoreSegmentation, type SegmentationScores, summarize, type Summary } from "./metrics.ts";
import type { SegmentTimings } from "./segment.ts";

/** The methods compared. */
export type MethodId = "agents" | "dense" | "random" | "greedy" | "oracle";

/** Every method, in report order. */
export const METHOD_IDS: readonly MethodId[] = ["agents", "dense", "random", "greedy", "oracle"];

/** Report labels; the oracle's says that it uses voxel labels. */
export const METHOD_LABELS: Readonly<Record<MethodId, string>> = {
  agents: "SPARS agents (learned policy)",
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

/** Termination and mask threshold of a method, and where they came from. */
export interface MethodSetting {
  /** Termination threshold (NaN for `dense`, which has none). */
  readonly tau: number;
  /** Mask threshold: mask = map > threshold. */
  readonly threshold: number;
  /** `given` (options.settings), `sweep` (validation) or `default`. */
  readonly source: "given" | "sweep" | "default";
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
  };
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
): MethodSummary {
  const rows = cases.map((c) => c.methods[m]!);
  const metrics = Object.fromEntries(
    METRIC_NAMES.map((k) => [k, summarize(rows.map((r) => r.scores[k]))]),
  ) as Record<keyof SegmentationScores, Summary>;
  const lesions = rows.flatMap((r) => r.lesions.perLesion);
  const truthCount = lesions.length, detected = lesions.filter((l) => l.detected).length;
  const timingKeys = ["scorerMs", "policyMs", "mapMs", "envMs", "totalMs"] as const;
  return {
    id: m,
    label: m !== "oracle" && scorerUsesVoxelLabels
      ? `${METHOD_LABELS[m]} (uses voxel labels)`
      : METHOD_LABELS[m],
    usesVoxelLabels: m === "oracle" || scorerUsesVoxelLabels,
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
