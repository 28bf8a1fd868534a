/**
 * `deno task train`: the package's main job (see `pipeline.ts`). `--help` lists every option with
 * its default; `--preset paper` sets the SPARS settings; `--resume <run>` continues a run from its
 * last checkpoint; an existing run folder is never overwritten without `--force`, and `--force`
 * replaces only a training run folder this command wrote that no process is writing.
 *
 * Exit codes: 0 success, 1 a failure while running (data, backend, files, a run folder in use by
 * another process), 2 a usage error (bad option, an output path that may not be written).
 *
 * @module
 */
import { SparsGymError } from "../data/errors.ts";
import { OwnedFolderError } from "../data/owned_folder.ts";
import { asOutputLocationError, checkOutputLocation, OutputLocationError } from "../data/output_location.ts";
import { latestScheduleUpdates } from "./checkpoint.ts";
import { runPatchCli } from "./patch_cli.ts";
import { runPipeline } from "./pipeline.ts";
import { runPixelCli } from "./pixel_cli.ts";
import { defaultRunDir, openRunFolder, readJson, RunFolderError } from "./run_folder.ts";
import type { TrainConfig } from "./train_config.ts";
import { checkTauCalibrationData, describeTrainData, openTrainData } from "./train_data.ts";
import { dataVolumeShape, validateTrainConfig } from "./train_validate.ts";
import { applyOverrides, parseTrainArgs, trainHelp, UsageError } from "./train_options.ts";

/** Where the CLI writes (injectable for tests). */
export interface TrainCliIo {
  /** Normal output (help). */
  readonly out: (text: string) => void;
  /** Errors and progress lines. */
  readonly err: (text: string) => void;
  /** Progress bar text (default: stderr). */
  readonly progress?: (text: string) => void;
}

const STDIO: TrainCliIo = {
  out: (t) => console.log(t),
  err: (t) => console.error(t),
};

/**
 * The learning-rate schedule of a resumed run whose total may have changed (`config` with the
 * `--resume` overrides applied). The rate keeps annealing over the updates the run started with
 * (`scheduleUpdates`, from its newest checkpoint): a shorter total only stops the run early, above
 * lr 0, which the returned note says; a longer one is refused while annealing, since its extra
 * updates would have learning rate 0. Undefined (nothing to say) when the totals agree, the rate
 * is constant, or the checkpoint predates the record.
 * @throws {UsageError} for a total past the schedule of an annealed run
 */
export function resumeScheduleNote(
  config: TrainConfig,
  scheduleUpdates: number | undefined,
): string | undefined {
  const stepsPerUpdate = config.numEnvs * config.ppo.numSteps;
  const updates = Math.max(1, Math.floor(config.totalSteps / stepsPerUpdate));
  if (scheduleUpdates === undefined || !config.ppo.annealLearningRate || updates === scheduleUpdates) {
    return undefined;
  }
  const scheduleSteps = scheduleUpdates * stepsPerUpdate;
  if (updates > scheduleUpdates) {
    throw new UsageError(
      "--total-steps",
      `is ${config.totalSteps} (${updates} updates), past the learning-rate schedule of this run, which ` +
        `anneals to 0 over its original ${scheduleUpdates} updates (${scheduleSteps} steps)`,
      `at most ${scheduleSteps} steps, or a new run (a run with --no-anneal-lr may be extended)`,
    );
  }
  const last = config.ppo.learningRate * (1 - (updates - 1) / scheduleUpdates);
  return `note: the run now ends after ${updates} updates (${updates * stepsPerUpdate} steps); the ` +
    `learning rate keeps its original schedule, annealing over ${scheduleUpdates} updates ` +
    `(${scheduleSteps} steps), so its last update uses ${last.toPrecision(3)} rather than a rate near 0`;
}

/** The `--env` game (`--env X` or `--env=X`) and the arguments without it, or undefined. */
export function gameArgument(args: readonly string[]): { name: string; rest: string[] } | undefined {
  const i = args.findIndex((a) => a === "--env" || a.startsWith("--env="));
  if (i < 0) return undefined;
  const name = args[i] === "--env" ? args[i + 1] ?? "" : args[i].slice("--env=".length);
  const rest = args.filter((_, j) => j !== i && !(args[i] === "--env" && j === i + 1));
  return { name, rest };
}

/**
 * Runs the CLI (`--env patch|pixel` hands the other arguments to `train:patch` / `train:pixel`).
 * @param args arguments without the program name
 * @param io output sinks (default stdout/stderr)
 * @returns the exit code
 */
export async function runTrainCli(args: readonly string[], io: TrainCliIo = STDIO): Promise<number> {
  const game = gameArgument(args);
  if (game && game.name !== "spars") {
    if (game.name === "patch") return await runPatchCli(game.rest);
    if (game.name === "pixel") return await runPixelCli(game.rest);
    io.err(`error: --env is ${game.name}, expected spars, patch or pixel\nRun with --help for the options.`);
    return 2;
  }
  if (game) args = game.rest;
  let request;
  try {
    request = parseTrainArgs(args, defaultRunDir("runs", "train"));
  } catch (e) {
    io.err(`error: ${(e as Error).message}\nRun with --help for the options.`);
    return 2;
  }
  if (request.kind === "help") {
    io.out(trainHelp());
    return 0;
  }
  const flag = request.kind === "resume" ? "--resume" : "--run";
  const runDir = request.kind === "resume" ? request.run : request.config.run;
  try {
    // The output location is an option like the others: refused before anything is read or written.
    checkOutputLocation(runDir, flag, "train/train_cli.ts");
    let config: TrainConfig;
    if (request.kind === "resume") {
      const run = await openRunFolder(request.run);
      config = applyOverrides(await readJson(run.configPath) as TrainConfig, request.overrides);
      config.run = request.run;
      const note = resumeScheduleNote(config, await latestScheduleUpdates(run.checkpointsDir));
      if (note) io.err(note);
    } else {
      config = request.config;
    }
    // Every option is checked before anything is written (the window against the data's volumes too).
    validateTrainConfig(config, await dataVolumeShape(config));
    const dataset = await openTrainData(config);
    for (const line of describeTrainData(config, dataset)) io.err(line);
    if (request.kind === "train") await checkTauCalibrationData(config, dataset);
    await runPipeline(config, {
      resume: request.kind === "resume",
      force: request.kind === "train" && request.force,
      log: io.err,
      progressWrite: io.progress,
    });
    return 0;
  } catch (caught) {
    const e = asOutputLocationError(caught, runDir, flag, "train/train_cli.ts") ?? caught;
    if (
      e instanceof UsageError || e instanceof OwnedFolderError || e instanceof OutputLocationError ||
      (e instanceof RunFolderError && /already exists|not a run folder/.test(e.message))
    ) {
      io.err(`error: ${e.message}`);
      return 2;
    }
    if (e instanceof SparsGymError) {
      io.err(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await runTrainCli(Deno.args));
