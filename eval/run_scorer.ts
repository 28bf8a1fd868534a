/**
 * The scorer of a run's evaluation: given in memory, the oracle (scores from voxel labels), or the
 * run's classifier checkpoint loaded on tfjs or onnxruntime; for a loaded checkpoint (or an in-memory
 * scorer with `denseCacheClassifier`), also the dense cache (dense_cache.ts) keyed by its files, when
 * `denseCache` names a folder.
 *
 * @module
 */
import { join } from "node:path";
import { exists } from "../data/dataset_files.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import type { Scorer } from "../env/scorer.ts";
import { initBackend } from "../models/backend.ts";
import { ClassifierScorer } from "../models/classifier_scorer.ts";
import type { OnnxRuntime } from "../models/onnx_runtime.ts";
import { OnnxClassifierScorer } from "../models/onnx_scorer.ts";
import { type DenseScoreCache, openDenseScoreCache } from "./dense_cache.ts";
import type { RunConfigView } from "./run_config.ts";
import type { EvaluateRunOptions } from "./run_eval.ts";

/** What {@link runScorer} needs besides the options. */
export interface RunScorerContext {
  /** Target label values (the oracle's). */
  readonly target: readonly number[];
  /** Where a loaded classifier is put, to be disposed by the caller. */
  readonly owned: { dispose(): void | Promise<void> }[];
  /** onnxruntime, when the classifier runs on it. */
  readonly onnx: OnnxRuntime | undefined;
  /** The run's config (its intensity and channels go into the dense cache key). */
  readonly cfg: RunConfigView;
  /** The report's notes (the dense cache keeps its note there). */
  readonly notes: string[];
}

/**
 * The scorer of a run: given, the oracle (labelled), or the run's classifier checkpoint (owned),
 * with the dense cache of a loaded checkpoint when `options.denseCache` is set.
 * @throws {InvalidArgumentError} naming `--classifier` when the checkpoint folder holds no classifier.json
 */
export async function runScorer(
  options: EvaluateRunOptions,
  context: RunScorerContext,
): Promise<{ scorer?: Scorer; oracle?: OracleScorer; denseCache?: DenseScoreCache }> {
  if (options.scorer === "oracle") {
    const oracle = new OracleScorer([], { target: context.target });
    return { scorer: oracle, oracle };
  }
  if (options.scorer) {
    const from = options.denseCacheClassifier;
    return {
      scorer: options.scorer,
      denseCache: from ? await cacheFor(options, context, from, options.scorer.id) : undefined,
    };
  }
  if (options.methods && options.methods.every((m) => m === "oracle")) return {};
  const dir = options.classifier ?? join(options.run, "classifier");
  if (!(await exists(join(dir, "classifier.json")))) {
    throw new InvalidArgumentError(
      "--classifier",
      `${dir} holds no classifier checkpoint (classifier.json)`,
      "a checkpoint from training (or --scorer oracle for a labelled debugging run)",
    );
  }
  await initBackend(options.backend ?? "wasm");
  const batchSize = options.batchSize ?? 64;
  const classifier = context.onnx
    ? await OnnxClassifierScorer.load(dir, { batchSize, runtime: context.onnx })
    : await ClassifierScorer.load(dir, { batchSize });
  context.owned.push(classifier);
  return { scorer: classifier, denseCache: await cacheFor(options, context, dir, classifier.id) };
}

/** The dense cache of a classifier loaded from `classifierDir`, when `options.denseCache` names a folder. */
async function cacheFor(
  options: EvaluateRunOptions,
  context: RunScorerContext,
  classifierDir: string,
  scorerId: string,
): Promise<DenseScoreCache | undefined> {
  if (!options.denseCache) return undefined;
  return await openDenseScoreCache({
    dir: options.denseCache,
    classifierDir,
    scorerId,
    settings: { intensity: context.cfg.intensity ?? null, channels: context.cfg.channels ?? null },
    notes: context.notes,
  });
}
