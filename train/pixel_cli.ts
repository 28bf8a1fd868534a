/**
 * `deno task train:pixel`: the pixel-level actor-critic (PixelDRL-MG) on the embedded phantom slices,
 * end to end. Validates every option before writing anything, then writes a run folder
 * (`runs/pixel-<date>-<time>/` unless `--run`): `config.json`, `metrics.jsonl` (one line per update,
 * `kind: "update"`, and per epoch, `kind: "epoch"`), `weights.json` (network + reward kernel),
 * `learning_curve.png`, `dice_by_step.png`, `eval.json` and `eval.md` (test Dice / IoU / sensitivity
 * / PPV / HD95 of the learned policy after tMax steps and after the step count of best validation
 * Dice, the cross-entropy FCN, the initial mask and an intensity-band threshold baseline; with
 * `--warm-start` also the warm start alone and the FCN given the warm start's supervised budget, see
 * `pixel_warm_start.ts`; every row "voxel labels (fully supervised)"), and `overlays/` (render of
 * the first test slices).
 *
 * @module
 */
import { detectLayout } from "../data/dataset_layouts.ts";
import { join } from "node:path";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { SparsGymError } from "../data/errors.ts";
import { JPEG_CHANNEL, pixelRunSlices } from "../eval/pixel_run_eval.ts";
import type { PixelSegEnv } from "../env/pixel/pixel_env.ts";
import { renderPixelEnv } from "../env/pixel/pixel_render.ts";
import { writePng } from "../env/png.ts";
import { initBackend } from "../models/backend.ts";
import { PIXEL_NETWORK_PRESETS, PixelNetwork } from "../models/pixel_network.ts";
import { PixelA2cLearner } from "../agents/pixel_a2c.ts";
import { writePixelFigures } from "./pixel_figures.ts";
import { ProgressBar } from "./progress.ts";
import {
  HELP,
  parsePixelArgs,
  PixelCliError,
  type PixelRunConfig,
  SUPERVISION,
} from "./pixel_cli_options.ts";
import type { SplitName } from "../data/split.ts";
import type { PixelSlice } from "../env/pixel/pixel_env.ts";
import {
  bestStepOnCurve,
  evaluatePixelPolicy,
  fitThresholdBaseline,
  scorePixelMasks,
  thresholdMasks,
  trainPixel,
} from "./pixel_train.ts";
import { runSupervisedPhase, type SupervisedPhase } from "./pixel_warm_start.ts";
import { dataLabel, pixelEvalMarkdown } from "./pixel_report.ts";

export { parsePixelArgs, PixelCliError, type PixelRunConfig } from "./pixel_cli_options.ts";

/**
 * Reads the run's slices (phantoms or `--data`), after settling a JPEG folder's channel and target.
 * @returns the settled configuration and the split slices, or null after printing the error
 */
async function loadPixelData(
  parsedConfig: PixelRunConfig,
  args: readonly string[],
): Promise<{ config: PixelRunConfig; data: Record<SplitName, PixelSlice[]> } | null> {
  let config = parsedConfig;
  let jpegSlices = false;
  try {
    jpegSlices = config.data.dir !== null && (await detectLayout(config.data.dir)).layout === "image-mask";
    if (jpegSlices && args.includes("--channel")) {
      throw new PixelCliError(
        "--channel",
        `is given for ${config.data.dir}`,
        "no channel: JPEG slices are grey",
      );
    }
  } catch (e) {
    if (!(e instanceof SparsGymError)) throw e;
    console.error(`error: --data: ${e.message}`);
    return null;
  }
  if (jpegSlices) {
    // One grey image per slice; masks are 0/1 (>= 128), so the default target is 1.
    const target = args.includes("--target") ? config.data.target : [1];
    config = { ...config, data: { ...config.data, channel: JPEG_CHANNEL, target } };
  }
  let data;
  try {
    data = await pixelRunSlices(config);
  } catch (e) {
    if (!(e instanceof SparsGymError)) throw e;
    console.error(`error: --data: ${e.message}`);
    return null;
  }
  if (!data.train.length || !data.test.length) {
    // Nothing to train on or to score: refused before the run folder exists.
    const flag = config.data.dir === null ? `--count ${config.data.count}` : `--data ${config.data.dir}`;
    console.error(
      `error: ${flag}: gives ${data.train.length} training and ${data.test.length} test slices ` +
        `(expected at least one of each)`,
    );
    return null;
  }
  return { config, data };
}

/** Runs the CLI; returns the exit code. */
export async function runPixelCli(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parsePixelArgs(args);
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (parsed === "help") {
    console.log(HELP);
    return 0;
  }
  let { config } = parsed;
  const { run } = parsed;
  try {
    await Deno.stat(run);
    console.error(`error: run folder ${run} exists; choose another --run`);
    return 2;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const info = await initBackend(config.train.backend);
  const loaded = await loadPixelData(config, args);
  if (!loaded) return 2;
  const { data } = loaded;
  config = loaded.config;
  console.error(
    `pixel: ${data.train.length}/${data.val.length}/${data.test.length} slices ${config.data.shape[1]}x${
      config.data.shape[2]
    } (train/val/test), ${dataLabel(config)}, network ${config.network}, backend ${info.name}; ` +
      `rewards read voxel labels`,
  );
  await Deno.mkdir(join(run, "overlays"), { recursive: true });
  await writeFileAtomic(join(run, "config.json"), JSON.stringify(config, null, 2) + "\n");
  const metricsPath = join(run, "metrics.jsonl");
  await Deno.writeTextFile(metricsPath, "");
  const log = (r: Record<string, unknown>) =>
    Deno.writeTextFile(metricsPath, JSON.stringify(r) + "\n", { append: true });

  const preset = PIXEL_NETWORK_PRESETS[config.network];
  const net = new PixelNetwork(preset, config.train.seed);
  let phase: SupervisedPhase | null = null;
  if (config.fcn.maxSeconds > 0) {
    const fcnNet = new PixelNetwork(preset, config.train.seed);
    phase = await runSupervisedPhase(fcnNet, data.train, data.test, config.a2c, {
      ...config.fcn,
      batchSize: config.a2c.batchSize,
      seed: config.train.seed,
      tMax: config.a2c.tMax,
    });
    fcnNet.dispose();
    if (phase.warmWeights) net.setWeights(phase.warmWeights);
    const { steps, seconds, loss } = phase.fcn;
    await log({ kind: "fcn", steps, seconds, loss });
    console.error(
      `pixel: cross-entropy FCN baseline ${steps} steps in ${seconds.toFixed(0)} s, loss ${loss.toFixed(4)}${
        phase.extended ? `; warm start after ${config.fcn.warmSteps} more steps on visited states` : ""
      }`,
    );
  }
  const learner = new PixelA2cLearner(net, config.a2c, config.train.seed);
  const perEpoch = Math.floor(data.train.length / config.a2c.batchSize);
  const bar = new ProgressBar({ total: perEpoch * config.train.epochs, label: "pixel a2c", unit: "updates" });
  const updates: Record<string, number>[] = [], epochs: Record<string, number>[] = [];
  const result = await trainPixel(learner, data, {
    ...config.train,
    onUpdate: async (r) => {
      updates.push(r);
      await log({ kind: "update", ...r });
      bar.update(r.update, `reward ${r.meanReward.toFixed(4)} loss ${r.loss.toFixed(3)}`);
    },
    onEpoch: async (r) => {
      epochs.push(r);
      await log({ kind: "epoch", ...r });
      bar.update(r.update, `val Dice ${r.valDice.toFixed(3)}`, true);
    },
  });
  console.error(
    `\npixel: ${result.updates} updates, ${result.epochs} epochs in ${result.seconds.toFixed(0)} s`,
  );
  await writeFileAtomic(
    join(run, "weights.json"),
    JSON.stringify({ network: net.getWeights(), rewardKernel: Array.from(learner.rewardKernel.dataSync()) }),
  );

  const overlays = async (env: PixelSegEnv, k: number) => {
    const name = `${data.test[k].id.replaceAll("/", "_")}.png`;
    if (k < 3) await writePng(join(run, "overlays", name), renderPixelEnv(env, 3));
  };
  const learned = await evaluatePixelPolicy(learner, data.test, 8, overlays);
  // The rollout length chosen on validation (never on test), reported beside the tMax row.
  const valDiceByStep = data.val.length ? (await evaluatePixelPolicy(learner, data.val)).diceByStep : null;
  const stepOnVal = valDiceByStep ? bestStepOnCurve(valDiceByStep) : config.a2c.tMax;
  const shortLearner = new PixelA2cLearner(net, { ...config.a2c, tMax: stepOnVal }, config.train.seed);
  const atStepOnVal = stepOnVal === config.a2c.tMax
    ? learned
    : await evaluatePixelPolicy(shortLearner, data.test);
  shortLearner.dispose();
  const band = fitThresholdBaseline(data.train);
  const scores = {
    policy: scorePixelMasks(data.test, learned.masks),
    policyAtStepOnVal: scorePixelMasks(data.test, atStepOnVal.masks),
    initial: scorePixelMasks(data.test, data.test.map((s) => new Uint8Array(s.truth.length).fill(1))),
    threshold: scorePixelMasks(data.test, thresholdMasks(data.test, band)),
    fcn: phase ? scorePixelMasks(data.test, phase.fcn.masks) : null,
    fcnExtended: phase?.extended ? scorePixelMasks(data.test, phase.extended.masks) : null,
    warmStart: phase?.warmMasks ? scorePixelMasks(data.test, phase.warmMasks) : null,
  };
  await writeFileAtomic(
    join(run, "eval.json"),
    JSON.stringify(
      {
        supervision: SUPERVISION,
        band,
        diceByStep: learned.diceByStep,
        valDiceByStep,
        stepOnVal,
        scores,
        ...result,
      },
      null,
      2,
    ),
  );
  const md = pixelEvalMarkdown({
    config,
    testSlices: data.test.length,
    result,
    parameterCount: net.parameterCount,
    scores,
    stepOnVal,
    stepChosenOnVal: valDiceByStep !== null,
    diceByStep: learned.diceByStep,
    band,
    fcnSteps: phase?.fcn.steps ?? null,
    extendedFcnSteps: phase?.extended?.steps ?? null,
  });
  await writeFileAtomic(join(run, "eval.md"), md);
  await writePixelFigures(run, updates, epochs, learned.diceByStep);
  console.log(md);
  console.log(`run folder: ${run}`);
  learner.dispose();
  net.dispose();
  return 0;
}

if (import.meta.main) Deno.exit(await runPixelCli(Deno.args));
