/**
 * Evaluation of a run folder: what `deno task eval` does, as a function the training pipeline can
 * call when it finishes. It opens the data and split, loads the classifier scorer and the policy of
 * the run (or takes them in memory), runs {@link runEvaluation} with a validation sweep, and writes
 * the report into `<run>/eval` atomically: everything goes into a temporary sibling folder that is
 * renamed into place at the end, so a killed evaluation never leaves a half-written report. An
 * existing output folder is replaced only with `force`, and only when it is an evaluation report
 * this command wrote (its marker file, `data/owned_folder.ts`): never a file, the run itself, a
 * folder inside or above a run, or another command's folder. The checks run before any work.
 *
 * @module
 */
import { basename, join } from "node:path";
import type { Dataset } from "../data/dataset.ts";
import { casesOf, evaluatedCases, firstCases, openRunData, type TuneOn, tuningSet } from "./run_data.ts";

export { ALL_SPLIT_NOTE, openRunData } from "./run_data.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import type { SplitName } from "../data/split.ts";
import type { Case, Vec3 } from "../data/types.ts";
import type { SparsConfig } from "../env/config.ts";
import type { ActionMode } from "../agents/policy_agent.ts";
import type { Scorer } from "../env/scorer.ts";
import type { BackendName } from "../models/backend.ts";
import { loadOnnxRuntime } from "../models/onnx_runtime.ts";
import {
  checkEvaluationOptions,
  type EvaluationProgress,
  type EvaluationResult,
  runEvaluation,
  runnableMethods,
} from "./evaluate.ts";
import type { MaskRule, MaskRuleKind } from "./mask_rule.ts";
import type { Pairing, PolicyPlayers } from "./players.ts";
import { isSupervisionLevel, type SupervisionLevel } from "../data/supervision.ts";
import type { Agent } from "../env/agent.ts";
import { dataNotes, readRunConfig } from "./run_config.ts";
import type { MethodId } from "./method_results.ts";
import type { AgentPair } from "./segment.ts";
import { resolveConfig } from "../env/config.ts";
import { type AgentModule, loadAgentModule } from "./agent_module.ts";
import { checkOwnedTarget, commitOwnedFolder, prepareOwnedFolder } from "../data/owned_folder.ts";
import { runScorer } from "./run_scorer.ts";
import { runPolicy } from "./run_policy.ts";
import { NetworkPlayers } from "./policy_players.ts";

export { loadRunPolicy } from "./run_policy.ts";

/** Options of {@link evaluateRun}. Unset options come from the run's `config.json`, then defaults. */
export interface EvaluateRunOptions {
  /** The run folder (must exist). */
  readonly run: string;
  /** Output folder (default `<run>/eval`). */
  readonly out?: string;
  /**
   * Replace an existing output folder (default false: an existing one is an error); only an
   * evaluation report folder this command wrote is ever replaced (see the module doc).
   */
  readonly force?: boolean;
  /** The dataset, in memory (e.g. the training pipeline's); else opened from `data`. */
  readonly dataset?: Dataset;
  /** A dataset folder (LiTS, MSD, folder + CSV) or `phantoms` (default: the run's, else `phantoms`). */
  readonly data?: string;
  /** Phantom dataset: number of cases, seed, shape z,y,x (defaults 24, 0, 48x96x96). */
  readonly phantoms?: { readonly count?: number; readonly seed?: number; readonly shape?: Vec3 };
  /**
   * Split evaluated (default `test`), or `all`: every case of the dataset, including those the run
   * trained and tuned on (a note in the report says so).
   */
  readonly split?: SplitName | "all";
  /**
   * Explicit case ids to evaluate instead of a split, in this order (the report notes those in the
   * run's train or val split); an unknown id is an error naming `casesFlag`. Not with `split`.
   */
  readonly cases?: readonly string[];
  /** The flag errors about `cases` name (default `--cases`). */
  readonly casesFlag?: string;
  /** Evaluate only the first N cases of the split. */
  readonly limit?: number;
  /** Target label values (default: the dataset's). */
  readonly target?: readonly number[];
  /**
   * The scorer: in memory, or `"oracle"` (scores from voxel labels: every method then uses voxel
   * labels, for debugging), else loaded from `classifier` on `backend`.
   */
  readonly scorer?: Scorer | "oracle";
  /** Classifier checkpoint folder (default `<run>/classifier`). */
  readonly classifier?: string;
  /** tfjs backend for the classifier (default `wasm`). */
  readonly backend?: BackendName;
  /**
   * What runs the loaded classifier: `tfjs` (default, on `backend`) or `onnx` (the checkpoint
   * exported to ONNX on onnxruntime: ~10x faster, needs `--allow-ffi`; never falls back to tfjs).
   */
  readonly runtime?: "tfjs" | "onnx";
  /** What runs a loaded policy: `tfjs` or `onnx` (needs `--allow-ffi`); default the run's, else tfjs. */
  readonly policyRuntime?: "tfjs" | "onnx";
  /** Windows per classifier call (default 64). */
  readonly batchSize?: number;
  /**
   * Folder of the dense-score cache (dense_cache.ts), or null / undefined for none (the default here;
   * `deno task eval` passes `runs/.dense-cache`). Used when the classifier is loaded here from its
   * checkpoint folder (its files are hashed into the key), or for an in-memory `scorer` loaded from
   * `denseCacheClassifier`.
   */
  readonly denseCache?: string | null;
  /**
   * The checkpoint folder an in-memory `scorer` was loaded from (the caller vouches for it), so that
   * its dense maps can be cached too (default none: an in-memory scorer is never cached).
   */
  readonly denseCacheClassifier?: string;
  /**
   * The policy, in memory; `null` = none. When undefined, `loadPolicy` is asked. A {@link PolicyAgent}
   * is evaluated through its network in both modes (rows `agents` and `agents-argmax`, see players.ts).
   */
  readonly policy?: AgentPair | PolicyPlayers | null;
  /**
   * Loads the run's policy; resolves to undefined when the run has none yet. Called only when
   * `policy` is undefined. Default: {@link loadRunPolicy} with `policyDir`, as {@link NetworkPlayers}.
   */
  readonly loadPolicy?: (run: string) => Promise<AgentPair | PolicyPlayers | undefined>;
  /** The policy folder of the default loader (default `<run>/policy`). */
  readonly policyDir?: string;
  /**
   * Which policy rows run when `methods` is unset: `both` (default: `agents` sampled and
   * `agents-argmax`), `sample` (`agents` only) or `greedy` (`agents-argmax` only).
   */
  readonly policyMode?: ActionMode | "both";
  /** Side b of the policy rows (default `sampled`: the same policy sampling with its own seed). */
  readonly pairing?: Pairing;
  /**
   * A user's agent, evaluated as row `custom` beside the other methods: a module path whose default
   * export is `({ observationShape, seed }) => Agent` (agent_module.ts; loaded and checked before
   * any write), or such a factory in memory with its name.
   */
  readonly agent?: string | Pick<AgentModule, "name" | "create">;
  /** Side b for pairing `agent`. */
  readonly opponent?: Agent;
  /** Default mask rule of the agent methods when not swept (wins over `threshold`). */
  readonly rule?: MaskRule;
  /** Rule kinds the validation sweep chooses among (default all). */
  readonly ruleKinds?: readonly MaskRuleKind[];
  /** Presence gate: `auto` (default: chosen on the val split) or a value in [0, 1] (0 = off). */
  readonly gate?: number | "auto";
  /** Local dense refinement of the agent methods: strides per axis (default 2; 0 = off). */
  readonly refineRadius?: number;
  /** Local dense refinement: best occupied windows (default 1; 0 = off). */
  readonly refineTop?: number;
  /** Refinement radius of the oracle row (default 3; see `EvaluationOptions.oracleRefineRadius`). */
  readonly oracleRefineRadius?: number;
  /** Rule kinds swept for the oracle row (default all four, `deconv` included). */
  readonly oracleRuleKinds?: readonly MaskRuleKind[];
  /**
   * Supervision level of the classifier's training labels (default: what the checkpoint records,
   * else "crops labelled from voxel masks"); rows are "voxel labels" with the oracle scorer.
   */
  readonly scorerSupervision?: SupervisionLevel;
  /** Methods (default: all that can run). */
  readonly methods?: readonly MethodId[];
  /** Game options (default: the run's `config.json`, then the game defaults). */
  readonly game?: Partial<Omit<SparsConfig, "maskThreshold">>;
  /** Default mask threshold of the agent methods (0.5). */
  readonly threshold?: number;
  /** Starts per case N; reports show 1 start and N (default 4). */
  readonly starts?: number;
  /** The numbers of starts reported (default 1..N for N <= 4; evaluation_options.ts). */
  readonly startCounts?: readonly number[];
  /** Seed (0). */
  readonly seed?: number;
  /** Choose tau and thresholds on the `val` split first (default: true unless `split` is `val`). */
  readonly sweep?: boolean;
  /** Cases the sweep tunes on: `val` (default) or `train+val` (see `tuningSet` in run_data.ts). */
  readonly tuneOn?: TuneOn;
  /** Window sizes (z,y,x) of a window-size ablation on the val split (default none). */
  readonly ablateWindows?: readonly Vec3[];
  /** Overlay cases (3) and NIfTI outputs (`all`). */
  readonly overlays?: number;
  /** NIfTI outputs: `all`, `masks` or `none`. */
  readonly nifti?: "all" | "masks" | "none";
  /** Progress callback. */
  readonly onProgress?: (event: EvaluationProgress, phaseCaseCount: number) => void;
}

/** What {@link evaluateRun} returns. */
export interface EvaluateRunResult {
  /** The evaluation. */
  readonly result: EvaluationResult;
  /** The folder written. */
  readonly dir: string;
  /** Notes also written into eval.md (no policy, oracle scorer, data licence...). */
  readonly notes: readonly string[];
}

/** The methods with the policy rows not asked for by `mode` removed. */
function policyRows(mode: ActionMode | "both" | undefined, methods: readonly MethodId[]): MethodId[] {
  const drop: MethodId | undefined = mode === "sample"
    ? "agents-argmax"
    : mode === "greedy"
    ? "agents"
    : undefined;
  return methods.filter((m) => m !== drop);
}

/** The supervision level a scorer records about its own training labels (`supervision`), if any. */
function recordedSupervision(scorer: Scorer | undefined): SupervisionLevel | undefined {
  const level = (scorer as { supervision?: unknown } | undefined)?.supervision;
  return isSupervisionLevel(level) ? level : undefined;
}

/**
 * Evaluates a run folder (see the module doc) and returns the result, the folder written and the
 * notes. Without a policy (none in memory, none in the run folder), the non-RL methods are
 * evaluated and the report says so. A classifier and policy loaded here are disposed at the end.
 *
 * @throws {InvalidArgumentError} when the run folder is missing, the agent module cannot be loaded
 *   (naming `--agent`), no classifier checkpoint is found
 *   for a method needing a scorer, the policy does not fit the observation options, or options are
 *   inconsistent; plus the errors of dataset opening, checkpoint loading
 *   (`ClassifierScorer.load`, `loadPolicyAgent`) and {@link runEvaluation}
 * @throws {OwnedFolderError} (before any work) when the output exists without `force`, or with
 *   `force` is not an evaluation report folder this command wrote
 * @throws {FolderLockedError} when a running process holds the output folder's lock
 * @throws {BackendError} (first, before any work) when `runtime` is `onnx` and onnxruntime cannot be
 *   loaded (no `--allow-ffi`, package unavailable)
 */
export async function evaluateRun(options: EvaluateRunOptions): Promise<EvaluateRunResult> {
  const run = options.run;
  // Loaded first, so that a missing runtime fails before any work; only a loaded classifier uses it.
  const configured = await readRunConfig(options.run).catch(() => undefined);
  const load = (wanted: boolean) => wanted ? loadOnnxRuntime() : undefined;
  const onnx = await load((options.runtime ?? configured?.runtime) === "onnx" && !options.scorer);
  const policyOnnx = await load(
    (options.policyRuntime ?? configured?.policyRuntime) === "onnx" && !options.policy,
  );
  if (!(await Deno.stat(run).then((s) => s.isDirectory, () => false))) {
    throw new InvalidArgumentError("--run", `${run} is not a folder`, "an existing run folder");
  }
  const out = options.out ?? join(run, "eval");
  const outTarget = { force: options.force, flag: "--out" };
  await checkOwnedTarget(out, "eval-report", outTarget);
  const cfg = await readRunConfig(run);
  const { data, dataset } = await openRunData(options, cfg);
  const target = options.target ?? cfg.target ?? dataset.target;
  const { set: testSet, split, notes: caseNotes } = evaluatedCases(dataset, options, data);
  const sweep = options.sweep ?? split !== "val";
  if (options.tuneOn !== undefined && !sweep) {
    throw new InvalidArgumentError(
      "--tune-on",
      "is given but no validation sweep runs",
      "a sweep (no --no-sweep)",
    );
  }
  const tuning = sweep ? tuningSet(dataset, options.tuneOn ?? "val", split) : undefined;
  const notes = [...dataNotes(data), ...caseNotes, ...(tuning?.note ? [tuning.note] : [])];
  const evaluationOptions = {
    pairing: options.pairing,
    opponent: options.opponent,
    rule: options.rule,
    ruleKinds: options.ruleKinds,
    gate: options.gate,
    refineRadius: options.refineRadius,
    refineTop: options.refineTop,
    oracleRefineRadius: options.oracleRefineRadius,
    oracleRuleKinds: options.oracleRuleKinds,
    starts: options.starts,
    startCounts: options.startCounts,
    seed: options.seed ?? cfg.seed,
  };
  checkEvaluationOptions({ ...evaluationOptions, scorerSupervision: options.scorerSupervision }); // before any write
  if (sweep && !tuning!.count) notes.push("The val split is empty: no sweep, default thresholds used.");
  // The agent module is imported and probed before any write (its players get the final shape later).
  const customAgent = typeof options.agent === "string"
    ? await loadAgentModule(options.agent, resolveConfig({ ...cfg.game, ...options.game }).observationShape)
    : options.agent;
  if (typeof options.agent === "string") {
    notes.push(`Your agent: '${customAgent!.name}' from ${options.agent}.`);
  }

  const owned: { dispose(): void | Promise<void> }[] = []; // tfjs/onnx memory loaded here, released at the end
  const temp = await prepareOwnedFolder(out, "eval-report");
  try {
    const { scorer, oracle, denseCache } = await runScorer(options, { target, owned, onnx, cfg, notes });
    if (oracle) {
      notes.push(
        "Scorer: ORACLE (window scores from voxel labels): every method uses voxel labels; for debugging only.",
      );
    }
    const { policy, game } = await runPolicy(options, { ...cfg.game, ...options.game }, owned, policyOnnx);
    if (policy instanceof NetworkPlayers && policy.onOnnx) {
      notes.push(`Policy forward passes on onnxruntime ${policyOnnx!.version}.`);
    }
    const register = (c: Case) => oracle?.register(c);
    const methods = options.methods ??
      policyRows(options.policyMode, runnableMethods({ policy, scorer, customAgent }));
    const result = await runEvaluation({
      cases: firstCases(testSet, options.limit, register),
      caseCount: Math.min(testSet.refs.length, options.limit ?? Infinity),
      target,
      scorer,
      policy,
      customAgent,
      methods,
      game,
      threshold: options.threshold,
      ...evaluationOptions,
      scorerSupervision: options.scorerSupervision ?? recordedSupervision(scorer),
      scorerUsesVoxelLabels: options.scorer === "oracle",
      denseCache,
      validation: tuning?.count
        ? { cases: casesOf(tuning.sets, register), windows: options.ablateWindows }
        : undefined,
      onProgress: (e) =>
        options.onProgress?.(e, e.phase === "test" ? (e.caseCount ?? 0) : tuning?.count ?? 0),
      report: {
        dir: temp,
        data,
        split,
        overlays: options.overlays,
        nifti: options.nifti,
        notes,
        title: `SPARS Gym evaluation of ${basename(run)}`,
      },
    });
    await commitOwnedFolder(temp, out, "eval-report", outTarget);
    // eval.md says "Policy: none (...)" itself; the printed notes say it too.
    const policyNote = policy
      ? []
      : ["No trained policy was given for this run: only the non-RL methods were evaluated."];
    const blind = (result.choices ?? []).filter((c) => c.uninformative).map((c) =>
      `${c.method} (${c.starts})`
    );
    const blindNote = blind.length
      ? [
        `Uninformative validation sweep (every setting the same mean Dice) for ${blind.join(", ")}: ` +
        "their tau and mask rule are tie-breaks, not tuned.",
      ]
      : [];
    return { result, dir: out, notes: [...notes, ...blindNote, ...policyNote] };
  } catch (e) {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    throw e;
  } finally {
    for (const o of owned) await o.dispose();
  }
}
