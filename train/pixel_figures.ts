/**
 * Figures of a `train:pixel` run folder: `learning_curve.png` (mean reward per pixel step per
 * update; validation Dice per epoch) and `dice_by_step.png` (test Dice against the step within an
 * episode, 0 = the initial mask: the paper's figure).
 *
 * @module
 */
import { join } from "node:path";
import { writePng } from "../env/png.ts";
import { lineChartSpec, renderChart } from "../eval/chart.ts";

/**
 * Writes both figures into `run`.
 * @param updates per-update records with `update` and `meanReward`
 * @param epochs per-epoch records with `update` and `valDice`
 * @param diceByStep mean test Dice after step t = 0..tMax
 */
export async function writePixelFigures(
  run: string,
  updates: readonly Record<string, number>[],
  epochs: readonly Record<string, number>[],
  diceByStep: readonly number[],
): Promise<void> {
  // Reward and Dice have different units: one panel each (Vega-Lite charts, eval/chart.ts).
  await writePng(
    join(run, "learning_curve.png"),
    await renderChart({
      hconcat: [
        lineChartSpec([{
          name: "mean reward",
          x: updates.map((r) => r.update),
          y: updates.map((r) => r.meanReward),
        }], {
          title: "pixel a2c: reward per step (training)",
          xLabel: "update",
          yLabel: "mean reward per pixel step",
        }),
        lineChartSpec(
          [{ name: "val Dice", x: epochs.map((r) => r.update), y: epochs.map((r) => r.valDice) }],
          {
            title: "pixel a2c: validation Dice",
            xLabel: "update",
            yLabel: "Dice",
            yRange: [0, 1],
          },
        ),
      ],
      resolve: { scale: { color: "independent", strokeDash: "independent", shape: "independent" } },
    }),
  );
  await writePng(
    join(run, "dice_by_step.png"),
    await renderChart(
      lineChartSpec([{ name: "test Dice", x: diceByStep.map((_, t) => t), y: diceByStep }], {
        title: "Dice against step (test)",
        xLabel: "step (0 = initial mask)",
        yLabel: "mean Dice",
        yRange: [0, 1],
      }),
    ),
  );
}
