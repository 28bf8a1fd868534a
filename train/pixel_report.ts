/**
 * The `eval.md` of `deno task train:pixel`: the test table of the learned policy and its baselines,
 * every row "voxel labels (fully supervised)".
 *
 * @module
 */
import type { PixelScores, ThresholdBand } from "./pixel_train.ts";
import { pixelScoreRow } from "../eval/pixel_eval.ts";
import { JPEG_CHANNEL } from "../eval/pixel_run_eval.ts";
import type { PixelRunConfig } from "./pixel_cli_options.ts";
import { dataNotes } from "../eval/run_config.ts";

/** What {@link pixelEvalMarkdown} reports. */
export interface PixelReportInputs {
  /** The run's configuration. */
  readonly config: PixelRunConfig;
  /** Test slices scored. */
  readonly testSlices: number;
  /** The actor-critic's training: updates, epochs, seconds. */
  readonly result: { readonly updates: number; readonly epochs: number; readonly seconds: number };
  /** The network's weight count. */
  readonly parameterCount: number;
  /** Test scores per row (null: the row was not run). */
  readonly scores: {
    readonly policy: PixelScores;
    readonly policyAtStepOnVal: PixelScores;
    readonly initial: PixelScores;
    readonly threshold: PixelScores;
    readonly fcn: PixelScores | null;
    readonly fcnExtended: PixelScores | null;
    readonly warmStart: PixelScores | null;
  };
  /** The rollout length of the second row. */
  readonly stepOnVal: number;
  /** Whether it was chosen on validation (false: no validation slices, so tMax). */
  readonly stepChosenOnVal: boolean;
  /** Mean test Dice after step 0 (initial mask) .. tMax. */
  readonly diceByStep: readonly number[];
  /** The threshold baseline's band. */
  readonly band: ThresholdBand;
  /** Adam steps of the FCN baseline (null: none). */
  readonly fcnSteps: number | null;
  /** Adam steps of the extended FCN baseline (null: none). */
  readonly extendedFcnSteps: number | null;
}

/** The data line of a pixel run (phantoms or a dataset folder, split and slicing). */
export function dataLabel(c: PixelRunConfig): string {
  return c.data.dir === null
    ? `phantoms through the tumour, data seed ${c.data.seed}`
    : `${c.data.dir} ${c.data.channel} slices through labels ${c.data.target.join(",")}, ` +
      `split by ${
        c.data.channel === JPEG_CHANNEL ? "patient" : "case"
      } with seed ${c.data.seed}, every ${c.data.sliceEvery}-th`;
}

/** The markdown of `eval.md` (rows absent from `scores` are left out). */
export function pixelEvalMarkdown(i: PixelReportInputs): string {
  const c = i.config;
  return [
    `# Pixel actor-critic (PixelDRL-MG), test split`,
    ``,
    `${i.testSlices} test slices (${c.data.shape[1]}x${c.data.shape[2]}, ${dataLabel(c)}); ` +
    `${i.result.updates} updates, ${i.result.epochs} epochs, ${i.result.seconds.toFixed(0)} s, ` +
    `network ${c.network} (${i.parameterCount} weights), seed ${c.train.seed}. The env's rewards read ` +
    `voxel labels: these rows are fully supervised.`,
    ``,
    ...(c.data.dir === null ? [] : [...dataNotes(c.data.dir), ``]),
    `| method | supervision | Dice | IoU | sensitivity | PPV | HD95 mm |`,
    `| --- | --- | --- | --- | --- | --- | --- |`,
    pixelScoreRow(
      `learned policy after tMax = ${c.a2c.tMax} steps (greedy${
        c.fcn.warmStart ? ", warm start from the FCN" : ""
      }${c.a2c.freezeTrunk ? ", trunk frozen" : ""})`,
      i.scores.policy,
    ),
    pixelScoreRow(
      `learned policy after ${i.stepOnVal} step(s), the count of best validation Dice (${
        i.stepChosenOnVal ? "chosen on validation" : "no validation slices: tMax"
      })`,
      i.scores.policyAtStepOnVal,
    ),
    ...(i.scores.warmStart
      ? [pixelScoreRow(
        `warm start alone after tMax = ${c.a2c.tMax} steps, before the actor-critic (${
          c.fcn.warmSteps ? `the FCN + ${c.fcn.warmSteps} steps on visited states` : "the FCN as it is"
        })`,
        i.scores.warmStart,
      )]
      : []),
    ...(i.scores.fcn
      ? [pixelScoreRow(
        `cross-entropy FCN, same network, one step (${i.fcnSteps} steps; mask channels: ${c.fcn.maskStates})`,
        i.scores.fcn,
      )]
      : []),
    ...(i.scores.fcnExtended
      ? [pixelScoreRow(
        `the same FCN with the warm start's supervised budget, one step (${i.extendedFcnSteps} steps)`,
        i.scores.fcnExtended,
      )]
      : []),
    pixelScoreRow("initial mask (all foreground)", i.scores.initial),
    pixelScoreRow(`threshold band [${i.band.lo}, ${i.band.hi}] (fit on train)`, i.scores.threshold),
    ``,
    `Mean ± sd over slices. Dice after each step (0 = initial mask): ${
      i.diceByStep.map((d) => d.toFixed(3)).join(", ")
    }.`,
    ``,
  ].join("\n");
}
