/**
 * The game settings a training run plays with, decided after the data and the reward model exist:
 * the scale line printed at start (window against target size) and tau, calibrated from the
 * classifier's scores on tumour-free validation volumes when asked (eval/tau_calibration.ts).
 *
 * @module
 */
import { join } from "node:path";
import type { Dataset } from "../data/dataset.ts";
import { Rng } from "../data/random.ts";
import type { Case, Vec3 } from "../data/types.ts";
import type { Scorer } from "../env/scorer.ts";
import { CALIBRATION_FILE } from "../eval/run_config.ts";
import { calibrateTau, type TauCalibration } from "../eval/tau_calibration.ts";
import { exists } from "../data/dataset_files.ts";
import { readJson, type RunFolder, writeJsonAtomic } from "./run_folder.ts";
import type { TrainConfig } from "./train_config.ts";

/**
 * The line printed at start about the game's scale: the window's volume against the median target
 * volume of the training cases (from their voxel labels: reported, never used for training). A
 * window map segments well when the window is at most a few times the target (issue 10).
 */
export function scaleLine(window: Vec3, cases: readonly Case[], target: readonly number[]): string {
  const windowVoxels = window[0] * window[1] * window[2];
  const sizes = cases.filter((c) => c.labels && c.presence === 1).map((c) => {
    let n = 0;
    for (const v of c.labels!.data) if (target.includes(v)) n++;
    return n;
  }).filter((n) => n > 0).sort((a, b) => a - b);
  if (!sizes.length) {
    return `scale: window ${window.join("x")} (${windowVoxels} voxels); no labelled target to compare`;
  }
  const median = sizes.length % 2
    ? sizes[(sizes.length - 1) / 2]
    : (sizes[sizes.length / 2 - 1] + sizes[sizes.length / 2]) / 2;
  return `scale: window ${window.join("x")} = ${windowVoxels} voxels, ${
    (windowVoxels / median).toFixed(1)
  }x ` +
    `the median target of the training cases (${median} voxels, from voxel labels, reported only); ` +
    "window maps segment well at about 2-4x";
}

/**
 * The game settings of the run: `config.env`, with tau replaced by the calibrated one when
 * `config.calibration.tauQuantile` is set and the scorer is a classifier. The calibration is
 * written to `<run>/calibration.json` once; a resumed run reads it back instead of recomputing.
 */
export async function gameSettings(
  config: TrainConfig,
  dataset: Dataset,
  scorer: Scorer,
  run: RunFolder,
  log: (line: string) => void,
): Promise<TrainConfig["env"]> {
  const quantile = config.calibration?.tauQuantile ?? null;
  if (quantile === null || config.scorer === "oracle") return config.env;
  const path = join(run.dir, CALIBRATION_FILE);
  let calibration: TauCalibration;
  if (await exists(path)) {
    calibration = await readJson(path) as TauCalibration;
  } else {
    const valCases: Case[] = [];
    for await (const c of dataset.split("val").cases()) if (c.presence === 0) valCases.push(c);
    calibration = await calibrateTau(valCases, scorer, {
      window: config.env.window,
      stride: config.env.stride,
      quantile,
      windowsPerCase: config.calibration.windowsPerCase,
      rng: new Rng(config.seed ^ 0x7a11),
    });
    await writeJsonAtomic(path, calibration);
  }
  log(
    `tau: ${calibration.tau.toFixed(3)} = quantile ${quantile} of ${calibration.windows} window scores ` +
      `of ${calibration.cases.length} tumour-free validation volumes (image-level labels only)`,
  );
  return { ...config.env, tau: calibration.tau };
}
