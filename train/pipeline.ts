/**
 * The main job behind `deno task train`: data -> presence classifier -> self-play PPO with the
 * classifier as reward model -> final policy, learning curve -> evaluation (eval/) -> a printed list
 * of what was written where.
 *
 * The classifier is trained on the training split with the classifier CLI's default protocol,
 * window-sized crops placed and labelled from the VOXEL MASKS (supervision level "crops labelled from
 * voxel masks", not image-level), and saved to `<run>/classifier` with that level in its
 * `classifier.json`; or a given checkpoint is copied there, so a run folder is self-contained
 * (`deno task eval --run <run>` finds everything). The level is printed with the scorer. With
 * `scorer: "oracle"` the windows are scored from VOXEL LABELS instead, which every printed line and
 * `config.json` say.
 *
 * `classifier.runtime: "onnx"` scores the windows of rollouts and evaluation with the checkpoint
 * exported to ONNX (`OnnxClassifierScorer`) instead of tfjs. onnxruntime is loaded before anything
 * else (run folder, data, classifier training), so a run that cannot have it (no `--allow-ffi`,
 * package unavailable) fails at once with its `BackendError` and never falls back to tfjs.
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { Dataset } from "../data/dataset.ts";
import type { Case } from "../data/types.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import type { Scorer } from "../env/scorer.ts";
import { savePolicy } from "../agents/policy_io.ts";
import { initBackend } from "../models/backend.ts";
import { buildClassifier, resolveArchitecture } from "../models/classifier.ts";
import { samplesFromDataset, sampleSupervision } from "../models/classifier_data.ts";
import { saveClassifier } from "../models/checkpoint.ts";
import { ClassifierScorer } from "../models/classifier_scorer.ts";
import { loadOnnxRuntime, type OnnxRuntime } from "../models/onnx_runtime.ts";
import { OnnxClassifierScorer } from "../models/onnx_scorer.ts";
import { trainClassifier } from "../models/classifier_training.ts";
import { classifierTrainingSummary } from "./classifier_summary.ts";
import type { FolderLock } from "../data/folder_lock.ts";
import { evaluateRun } from "../eval/run_eval.ts";
import { DENSE_CACHE_FOLDER } from "../eval/dense_cache.ts";
import { BackendScorer } from "./backend_scorer.ts";
import { listCheckpoints } from "./checkpoint.ts";
import { CLASSIFIER_CLI_DEFAULTS } from "./classifier_cli_options.ts";
import { imageChannelsOf, openTrainData } from "./train_data.ts";
import { writeLearningCurve } from "./learning_curve.ts";
import { formatDuration, PhasedProgress, ProgressBar } from "./progress.ts";
import { createRunFolder, openRunFolderLocked, type RunFolder, writeJsonAtomic } from "./run_folder.ts";
import { trainSelfPlay } from "./self_play.ts";
import { validationDiceHook } from "./validation.ts";
import { gameSettings, scaleLine } from "./game_settings.ts";
import { trainMilClassifierTo } from "./classifier_mil.ts";
import type { TrainConfig } from "./train_config.ts";

/** Where a pipeline run wrote its outputs. */
export interface PipelineResult {
  /** The run folder. */
  readonly run: string;
  /** Named output paths (config, metrics, checkpoints, policy, classifier, curve, eval). */
  readonly outputs: Record<string, string>;
  /** Updates done, env steps, wall seconds of PPO. */
  readonly training: { updates: number; globalStep: number; seconds: number; resumedFrom: number };
}

/** Options of {@link runPipeline}. */
export interface PipelineOptions {
  /** Continue the run folder's training from its last checkpoint. */
  readonly resume?: boolean;
  /** Overwrite an existing run folder (fresh runs only). */
  readonly force?: boolean;
  /** Where progress lines go (default stderr). */
  readonly log?: (line: string) => void;
  /** Progress bar writer (default stderr; tests pass a sink). */
  readonly progressWrite?: (text: string) => void;
}

/** `v` with `digits` decimals, or `-` when no value (e.g. no episode ended in the update). */
function fixed(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : "-";
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function copyDir(from: string, to: string): Promise<void> {
  const tmp = `${to}.tmp-${crypto.randomUUID()}`;
  await Deno.mkdir(tmp, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isFile) await Deno.copyFile(join(from, e.name), join(tmp, e.name));
  }
  await Deno.remove(to, { recursive: true }).catch(() => {});
  await Deno.rename(tmp, to);
}

/** Trains the presence classifier on the training split and saves it to `dir` (see the module doc). */
async function trainPresenceClassifier(
  config: TrainConfig,
  dataset: Dataset,
  dir: string,
  log: (line: string) => void,
): Promise<void> {
  const D = CLASSIFIER_CLI_DEFAULTS;
  const architecture = resolveArchitecture({
    inputShape: config.env.window,
    inputChannels: imageChannelsOf(config),
  });
  const window = config.classifier.intensityWindow;
  const source = {
    mode: D.samples,
    grid: D.tileGrid,
    target: config.data.target ?? dataset.target,
    minTargetVoxels: D.minTargetVoxels,
    ambiguousBelow: D.minTargetVoxels,
    // Crops the size of the game's window, so the classifier is trained at the scale it scores.
    cropSize: config.env.window,
    crops: D.crops,
    cropScale: D.cropScale,
    seed: config.seed,
  };
  const load = async (split: "train" | "val") => {
    const r = await samplesFromDataset(dataset.split(split).cases(), architecture.inputShape, window, source);
    log(
      `classifier ${split}: ${r.report.samples} samples (${r.report.positives} positive) from ${r.report.cases} cases`,
    );
    return r;
  };
  const train = await load("train"), val = await load("val");
  const model = buildClassifier(architecture, config.seed);
  try {
    const history = await trainClassifier(model, train.samples, val.samples, {
      epochs: config.classifier.epochs,
      batchSize: D.batchSize,
      seed: config.seed,
      patience: D.patience,
      recalibrationSamples: D.recalibration,
      onEpoch: (m) =>
        log(
          `classifier epoch ${m.epoch}/${config.classifier.epochs}: train loss ${m.trainLoss.toFixed(3)}, ` +
            `val loss ${m.validation.loss.toFixed(3)} AUC ${m.validation.auc.toFixed(3)} (${
              m.seconds.toFixed(0)
            } s)`,
        ),
    });
    log(classifierTrainingSummary(history, config.classifier.epochs, D.patience));
    await saveClassifier(model, dir, {
      intensityWindow: window,
      architecture,
      supervision: train.report.supervision,
      training: {
        data: config.data,
        samples: D.samples,
        bestEpoch: history.bestEpoch,
        epochsRun: history.epochs.length,
        validation: history.epochs[history.bestEpoch - 1]?.validation,
      },
    }, { overwrite: true });
  } finally {
    model.dispose();
  }
}

/**
 * Runs the whole pipeline for `config` (see the module doc).
 * @throws the typed errors of every stage (run folder exists, bad data, backend, checkpoints)
 */
export async function runPipeline(
  config: TrainConfig,
  options: PipelineOptions = {},
): Promise<PipelineResult> {
  const log = options.log ?? ((line: string) => console.error(line));
  const started = performance.now();
  // Configs written before `runtime` existed mean tfjs. Loaded first: fail before any work.
  const runtime = config.classifier.runtime ?? "tfjs";
  const onnx: OnnxRuntime | undefined = config.scorer !== "oracle" && runtime === "onnx"
    ? await loadOnnxRuntime()
    : undefined;
  const policyRuntime: OnnxRuntime | undefined = (config.policyRuntime ?? "tfjs") === "onnx"
    ? await loadOnnxRuntime()
    : undefined;
  // Locked for this process until the function ends (returns or throws): one writer per run.
  const run: RunFolder & { lock?: FolderLock } = options.resume
    ? await openRunFolderLocked(config.run)
    : await createRunFolder(config.run, config, { force: options.force, lock: true });
  await using _lock = run.lock;
  if (options.resume) await writeJsonAtomic(run.configPath, config); // records --resume overrides
  log(`run folder: ${run.dir}${options.resume ? " (resuming)" : ""}`);
  if (config.scorer === "oracle") {
    log(
      "scorer: ORACLE - window scores come from VOXEL LABELS (a debugging upper bound, not weak supervision)",
    );
  }

  // --- data -----------------------------------------------------------------------------------
  const dataset = await openTrainData(config);
  const target = config.data.target ?? [...dataset.target];
  const trainCases: Case[] = [];
  for await (const c of dataset.split("train").cases()) trainCases.push(c);
  log(
    `data: ${dataset.name}, ${trainCases.length} training cases (${
      trainCases.filter((c) => c.presence === 1).length
    } with target)`,
  );
  log(scaleLine(config.env.window, trainCases, target));

  if (
    config.scorer !== "oracle" && (config.calibration?.tauQuantile ?? null) !== null &&
    !dataset.split("val").refs.some((r) => r.presence === 0)
  ) {
    throw new InvalidArgumentError(
      "--tau-quantile",
      `needs a tumour-free validation case, and the val split of ${dataset.name} has none`,
      "more cases (or a larger val fraction, --split), or --tau-quantile none with a fixed --tau",
    );
  }

  // --- the reward model -------------------------------------------------------------------------
  const classifierDir = join(run.dir, "classifier");
  let scorer: Scorer;
  let classifierScorer: ClassifierScorer | OnnxClassifierScorer | undefined;
  if (config.scorer === "oracle") {
    scorer = new OracleScorer(trainCases, { target });
  } else {
    await initBackend(config.classifier.backend);
    if (!(await exists(join(classifierDir, "classifier.json")))) {
      if (config.classifier.checkpoint) {
        await copyDir(config.classifier.checkpoint, classifierDir);
        log(`classifier: copied ${config.classifier.checkpoint} to ${classifierDir}`);
      } else {
        const imageLevel = config.classifier.supervision === "image-level";
        log(
          `classifier: training on ${
            imageLevel
              ? "image-level labels (multiple-instance learning)"
              : sampleSupervision(CLASSIFIER_CLI_DEFAULTS.samples)
          } (${config.classifier.epochs} epochs)...`,
        );
        if (imageLevel) {
          await trainMilClassifierTo(classifierDir, dataset, {
            window: config.env.window,
            intensityWindow: config.classifier.intensityWindow,
            inputChannels: imageChannelsOf(config),
            epochs: config.classifier.epochs,
            seed: config.seed,
            training: { data: config.data },
          }, log);
        } else await trainPresenceClassifier(config, dataset, classifierDir, log);
      }
    }
    if (onnx) {
      // No tfjs backend switching: onnxruntime runs the exported graph, not tfjs.
      classifierScorer = await OnnxClassifierScorer.load(classifierDir, { batchSize: 16, runtime: onnx });
      scorer = classifierScorer;
      log(`scorer: ${scorer.id} on onnxruntime ${onnx.version} (rollouts and evaluation)`);
    } else {
      classifierScorer = await ClassifierScorer.load(classifierDir, { batchSize: 16 });
      scorer = new BackendScorer(classifierScorer, config.classifier.backend);
    }
    log(`classifier supervision: ${classifierScorer.supervision}`);
  }
  // The observation's image channels follow the data's (--channels): each modality is one channel.
  const env = {
    ...(await gameSettings(config, dataset, scorer, run, log)),
    imageChannels: imageChannelsOf(config),
  };
  await initBackend(config.backend);
  log(
    policyRuntime
      ? `policy: rollouts on onnxruntime ${policyRuntime.version}, PPO updates on tfjs ${config.backend}`
      : `policy: rollouts and PPO updates on tfjs ${config.backend}`,
  );

  // --- self-play PPO ----------------------------------------------------------------------------
  const stepsPerUpdate = config.numEnvs * config.ppo.numSteps;
  const totalUpdates = Math.max(1, Math.floor(config.totalSteps / stepsPerUpdate));
  // A resumed run's bar starts at its checkpoint, so that steps/s and the ETA count only new steps.
  const resumedUpdates = options.resume ? (await listCheckpoints(run.checkpointsDir)).at(-1)?.update ?? 0 : 0;
  const progress = new ProgressBar({
    total: totalUpdates * stepsPerUpdate,
    start: Math.min(resumedUpdates, totalUpdates) * stepsPerUpdate,
    label: "ppo",
    write: options.progressWrite,
  });
  // Validation Dice of the current policy, logged only (voxel labels of validation cases: never training).
  const valCases: Case[] = [];
  for await (const c of dataset.split("val").cases()) valCases.push(c);
  const validate = valCases.some((c) => c.presence === 1)
    ? validationDiceHook({
      cases: valCases,
      scorer: config.scorer === "oracle" ? new OracleScorer(valCases, { target }) : scorer,
      target,
      segment: { ...env },
      maxCases: 4,
      seed: config.seed,
    })
    : undefined;
  const result = await trainSelfPlay({
    cases: trainCases,
    scorer,
    env,
    numEnvs: config.numEnvs,
    totalSteps: config.totalSteps,
    seed: config.seed,
    network: { ...config.network, intensityWindow: config.classifier.intensityWindow },
    ppo: config.ppo,
    pool: config.selfPlay.pool,
    competitorUpdateEvery: config.selfPlay.competitorUpdateEvery,
    trainBothSides: config.selfPlay.trainBothSides,
    policyRuntime,
    checkpointEvery: config.checkpointEvery,
    keepCheckpoints: config.keepCheckpoints,
    run,
    resume: options.resume,
    progress,
    evalTarget: target,
    validate,
  });
  progress.finish();
  const policyDir = join(run.dir, "policy");
  try {
    await savePolicy(policyDir, result.network, {
      run: run.dir,
      updates: result.updates,
      globalStep: result.globalStep,
      env,
      scorer: config.scorer === "oracle" ? "oracle (voxel labels)" : scorer.id,
    });
  } finally {
    result.network.dispose();
  }
  const curve = await writeLearningCurve(run);
  const last = result.last;
  if (last) {
    log(
      `ppo: ${result.updates} updates, ${result.globalStep} env steps in ${
        formatDuration(result.seconds)
      }; ` +
        `last update: win rate ${fixed(last.winRate, 2)}, mean return ${fixed(last.meanReturn, 2)}, ` +
        `mean length ${fixed(last.meanLength, 1)}, entropy ${fixed(last.entropy, 3)}`,
    );
  }

  // --- evaluation -------------------------------------------------------------------------------
  const outputs: Record<string, string> = {
    "run folder": run.dir,
    config: run.configPath,
    metrics: run.metricsPath,
    checkpoints: run.checkpointsDir,
    policy: policyDir,
    "learning curve": curve,
  };
  if (config.scorer !== "oracle") outputs.classifier = classifierDir;
  if (config.evaluate) {
    log("evaluation on the test split...");
    // The validation sweep and the test cases each get a bar: on large volumes a case takes minutes.
    const evalProgress = new PhasedProgress("eval", { unit: "cases", write: options.progressWrite });
    const evaluation = await evaluateRun({
      run: run.dir,
      dataset,
      target,
      scorer: config.scorer === "oracle" ? "oracle" : scorer,
      // Dense maps cached beside the run, as `deno task eval` does: a later eval of this run reads them.
      ...(config.scorer === "oracle"
        ? {}
        : { denseCache: join(dirname(run.dir), DENSE_CACHE_FOLDER), denseCacheClassifier: classifierDir }),
      force: true,
      limit: config.evalLimit ?? undefined,
      seed: config.seed,
      gate: (config.evalGate ?? "auto") === "auto" ? undefined : config.evalGate as number,
      // An event's caseIndex counts its own case, finished only after the last method.
      onProgress: (e, total) =>
        evalProgress.update(
          e.phase,
          e.methodIndex === e.methodCount - 1 ? e.caseIndex : e.caseIndex - 1,
          total,
          `${e.caseId} ${e.method}`,
        ),
    });
    evalProgress.finish();
    for (const note of evaluation.notes) log(`eval: ${note}`);
    outputs.evaluation = evaluation.dir;
    outputs["evaluation report"] = join(evaluation.dir, "eval.md");
  }
  await classifierScorer?.dispose();
  log(`done in ${formatDuration((performance.now() - started) / 1000)}. Written:`);
  for (const [name, path] of Object.entries(outputs)) log(`  ${name.padEnd(18)} ${path}`);
  return {
    run: run.dir,
    outputs,
    training: {
      updates: result.updates,
      globalStep: result.globalStep,
      seconds: result.seconds,
      resumedFrom: result.resumedFrom,
    },
  };
}
