/**
 * The evaluation of a SPARS setup on held-out cases, every method on the same cases:
 * - `agents`: the learned policy (when one is given) with the weakly-supervised scorer;
 * - `dense`: the dense sliding-window map of the same scorer (no RL);
 * - `random`, `greedy`: the non-learning agents with the same scorer;
 * - `oracle`: greedy agents on the ORACLE scorer, which reads the voxel labels (an upper bound,
 *   labelled "uses voxel labels" everywhere).
 * Optionally, (tau, mask threshold) of each method is first chosen by mean Dice on validation cases
 * (`validation`); then each test case is segmented by each method, scored (Dice, IoU, sensitivity,
 * specificity, precision, HD95, ASSD, volume difference, lesion detection) and summarised as mean +- sd
 * with NaN / Infinity counts. With `report`, files are written as each case is done (see report.ts).
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Case, Vec3 } from "../data/types.ts";
import { targetMask } from "../data/tile.ts";
import { GreedyAgent, RandomAgent } from "../env/baseline_agents.ts";
import { resolveConfig, type SparsConfig } from "../env/config.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import type { Scorer } from "../env/scorer.ts";
import { defaultDenseThreshold, denseBaseline, denseCoverage } from "./dense_baseline.ts";
import {
  type CaseMethodResult,
  type CaseResult,
  METHOD_IDS,
  METHOD_LABELS,
  type MethodId,
  type MethodSetting,
  type MethodSummary,
  type RunOutput,
  scoreCase,
  summarizeMethod,
} from "./method_results.ts";
import { type ReportOptions, ReportWriter } from "./report.ts";
import { type AgentPair, segment, type SegmentOptions } from "./segment.ts";
import {
  DEFAULT_TAUS,
  defaultThresholds,
  summarizeSweep,
  type SweepCase,
  sweepDenseCase,
  type SweepResult,
  sweepSegmentCase,
  type WindowAblationRow,
} from "./sweep.ts";

/** Options of {@link runEvaluation}. */
export interface EvaluationOptions {
  /** Test cases (with voxel labels; cases without are skipped and listed). Loaded one at a time. */
  readonly cases: readonly Case[] | AsyncIterable<Case>;
  /** Number of test cases, for progress only. */
  readonly caseCount?: number;
  /** Label values that count as the target (e.g. 2 for LiTS / phantom tumour). */
  readonly target: number | readonly number[];
  /** The weakly-supervised reward model. Required by every method except `oracle`. */
  readonly scorer?: Scorer;
  /** The learned policy (one agent for both sides, or {a, b}); the `agents` method runs only with it. */
  readonly policy?: AgentPair;
  /** Methods to run (default: all of {@link METHOD_IDS} that can run). */
  readonly methods?: readonly MethodId[];
  /** Game options (window, stride, start, tau, maxSteps, mapMode, observation...) for every method. */
  readonly game?: Partial<Omit<SparsConfig, "maskThreshold">>;
  /** Default mask threshold of the agent methods (default 0.5). */
  readonly threshold?: number;
  /** Starts per case (centre + seeded random), see `segment`. Default 1. */
  readonly starts?: number;
  /** Seed of random starts and random agents. Default 0. */
  readonly seed?: number;
  /** Fixed (tau, threshold) per method; they win over the sweep. */
  readonly settings?: Partial<Record<MethodId, { readonly tau?: number; readonly threshold?: number }>>;
  /** Choose (tau, threshold) per method by mean Dice on these cases first. */
  readonly validation?: {
    readonly cases: readonly Case[] | AsyncIterable<Case>;
    readonly taus?: readonly number[];
    readonly thresholds?: Partial<Record<MethodId, readonly number[]>>;
    /**
     * Window sizes (z,y,x) of a window-size ablation (the paper's Fig. 3) on the same cases: the
     * mask-threshold sweep of one agent method (agents, else greedy, else random) at the game's tau.
     */
    readonly windows?: readonly Vec3[];
  };
  /** Lesions below this volume (ml) count as small in the per-lesion Dice split. Default 1 ml. */
  readonly smallLesionMl?: number;
  /** Windows per scorer call of the dense baseline. Default 512. */
  readonly denseBatchSize?: number;
  /** Write eval.json, eval.md, overlays and NIfTI files into `report.dir`. */
  readonly report?: ReportOptions;
  /** Called after each (case, method). */
  readonly onProgress?: (event: EvaluationProgress) => void;
  /**
   * True when `scorer` itself reads voxel labels (an oracle used for debugging): every method is
   * then labelled "uses voxel labels". Also assumed when the scorer's id starts with `oracle`.
   */
  readonly scorerUsesVoxelLabels?: boolean;
}

/** A progress event. */
export interface EvaluationProgress {
  /** `validation` (sweep) or `test`. */
  readonly phase: "validation" | "test";
  /** Cases finished in this phase (after this event's case when `method` is the last one). */
  readonly caseIndex: number;
  /** Known case count of the phase, if any. */
  readonly caseCount?: number;
  /** The case. */
  readonly caseId: string;
  /** The method just run. */
  readonly method: MethodId;
  /** Its index among the methods run (the case is done when it is `methodCount - 1`). */
  readonly methodIndex: number;
  /** Number of methods run per case. */
  readonly methodCount: number;
}

/** Result of {@link runEvaluation}. */
export interface EvaluationResult {
  /** Per method summaries, in {@link METHOD_IDS} order. */
  readonly methods: readonly MethodSummary[];
  /** Per case results. */
  readonly cases: readonly CaseResult[];
  /** Cases not evaluated, with the reason. */
  readonly skipped: readonly { readonly id: string; readonly reason: string }[];
  /** Validation sweeps run (one per method), if any. */
  readonly sweeps: readonly SweepResult[];
  /** The window-size ablation, when asked for: one threshold sweep per window size. */
  readonly windowAblation?: { readonly method: MethodId; readonly rows: readonly WindowAblationRow[] };
  /** The resolved game options. */
  readonly game: SparsConfig;
  /** Target label values. */
  readonly target: readonly number[];
  /** Starts per case and seed. */
  readonly starts: number;
  /** Seed. */
  readonly seed: number;
  /** Name of the policy, when the `agents` method ran. */
  readonly policy?: string;
  /** Files written (relative to the report folder), when `report` was given. */
  readonly files: readonly string[];
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The methods that will run, checked against what was given. */
function methodsToRun(options: EvaluationOptions): MethodId[] {
  const asked = options.methods ??
    METHOD_IDS.filter((m) => (m === "agents" ? !!options.policy : m === "oracle" || !!options.scorer));
  for (const m of asked) {
    if (!METHOD_IDS.includes(m)) {
      throw new InvalidArgumentError("methods", `names '${m}'`, METHOD_IDS.join(", "));
    }
    if (m === "agents" && !options.policy) {
      throw new InvalidArgumentError("methods", "include 'agents' but no policy was given", "a policy");
    }
    if (m !== "oracle" && !options.scorer) {
      throw new InvalidArgumentError("methods", `include '${m}' but no scorer was given`, "a scorer");
    }
  }
  return METHOD_IDS.filter((m) => asked.includes(m));
}

/**
 * Runs the evaluation (see the module doc) and, with `options.report`, writes the report.
 * This is the entry point `deno task eval` and the training pipeline call.
 *
 * @throws {InvalidArgumentError} for inconsistent options (a method without its scorer or policy, an
 *   unknown method, bad game options, no test case with labels)
 */
export async function runEvaluation(options: EvaluationOptions): Promise<EvaluationResult> {
  const methods = methodsToRun(options);
  const game = resolveConfig(options.game ?? {});
  const target = typeof options.target === "number" ? [options.target] : [...options.target];
  const starts = options.starts ?? 1, seed = options.seed ?? 0;
  const baseThreshold = options.threshold ?? 0.5;
  const smallLesionMl = options.smallLesionMl ?? 1;
  const coverage = denseCoverage(game.window, game.stride);
  const labelled = options.scorerUsesVoxelLabels === true ||
    /^(cached\()*oracle/.test(options.scorer?.id ?? "");

  const segmentOptions = (m: MethodId, c: Case, tau: number, threshold: number): SegmentOptions => ({
    ...options.game,
    tau,
    threshold,
    starts,
    seed,
    agents: m === "agents"
      ? options.policy!
      : m === "random"
      ? new RandomAgent((hashString(c.id) ^ Math.trunc(seed)) >>> 0)
      : new GreedyAgent(),
    scorer: m === "oracle" ? new OracleScorer([c], { target }) : options.scorer!,
  });
  const denseOptions = (threshold: number) => ({
    scorer: options.scorer!,
    window: game.window,
    stride: game.stride,
    mapMode: game.mapMode,
    threshold,
    batchSize: options.denseBatchSize,
  });

  // 1. Settings: given > validation sweep > default.
  const { sweeps, windowAblation } = options.validation
    ? await sweepMethods(options, methods, segmentOptions, denseOptions, coverage, game)
    : { sweeps: [], windowAblation: undefined };
  const settings = {} as Record<MethodId, MethodSetting>;
  for (const m of methods) {
    const given = options.settings?.[m];
    const swept = sweeps.find((s) => s.method === m && !Number.isNaN(s.best.dice));
    const tau = m === "dense" ? NaN : given?.tau ?? swept?.best.tau ?? game.tau;
    const fallback = m === "dense"
      ? defaultDenseThreshold(game.tau, game.window, game.stride, game.mapMode)
      : baseThreshold;
    const threshold = given?.threshold ?? swept?.best.threshold ?? fallback;
    const source = given?.threshold !== undefined || given?.tau !== undefined
      ? "given"
      : swept
      ? "sweep"
      : "default";
    settings[m] = { tau, threshold, source };
  }

  // 2. Test cases, one at a time; every method on each.
  const writer = options.report ? new ReportWriter(options.report) : undefined;
  const cases: CaseResult[] = [];
  const skipped: { id: string; reason: string }[] = [];
  let index = 0;
  for await (const c of options.cases) {
    index++;
    if (!c.labels) {
      skipped.push({ id: c.id, reason: "no voxel labels" });
      continue;
    }
    const truth = targetMask(c.labels, target);
    let truthVoxels = 0;
    for (let i = 0; i < truth.length; i++) truthVoxels += truth[i];
    const results: Partial<Record<MethodId, CaseMethodResult>> = {};
    for (const m of methods) {
      const s = settings[m];
      const out: RunOutput = m === "dense"
        ? await runDense(c, denseOptions(s.threshold))
        : await segment(c, segmentOptions(m, c, s.tau, s.threshold));
      results[m] = scoreCase(c, truth, out);
      await writer?.writeCase({
        case: c,
        truth,
        method: m,
        label: METHOD_LABELS[m],
        map: out.map,
        mask: out.mask,
      });
      options.onProgress?.({
        phase: "test",
        caseIndex: index,
        caseCount: options.caseCount,
        caseId: c.id,
        method: m,
        methodIndex: methods.indexOf(m),
        methodCount: methods.length,
      });
    }
    cases.push({ id: c.id, shape: c.image.shape, spacing: c.image.spacing, truthVoxels, methods: results });
  }
  if (!cases.length) {
    throw new InvalidArgumentError(
      "cases",
      `hold no case with voxel labels (${skipped.length} skipped)`,
      "labelled test cases",
    );
  }

  const result: EvaluationResult = {
    methods: methods.map((m) =>
      summarizeMethod(m, settings[m], cases, smallLesionMl, options.scorer, labelled)
    ),
    cases,
    skipped,
    sweeps,
    windowAblation,
    game,
    target,
    starts,
    seed,
    policy: methods.includes("agents") ? policyName(options.policy!) : undefined,
    files: [],
  };
  if (!writer) return result;
  const files = await writer.finish(result);
  return { ...result, files };
}

function policyName(p: AgentPair): string {
  return "act" in p ? p.name : `${p.a.name} / ${p.b.name}`;
}

async function runDense(c: Case, options: Parameters<typeof denseBaseline>[1]): Promise<RunOutput> {
  const r = await denseBaseline(c.image, options);
  return {
    map: r.map,
    mask: r.mask,
    steps: 0,
    windowsScored: r.windowsScored,
    timings: {
      scorerMs: r.timings.scorerMs,
      policyMs: 0,
      mapMs: r.timings.mapMs,
      envMs: Math.max(0, r.timings.totalMs - r.timings.scorerMs - r.timings.mapMs),
      totalMs: r.timings.totalMs,
    },
  };
}

/** Sweeps every method on the validation cases (each case loaded once, every method played once). */
async function sweepMethods(
  options: EvaluationOptions,
  methods: readonly MethodId[],
  segmentOptions: (m: MethodId, c: Case, tau: number, threshold: number) => SegmentOptions,
  denseOptions: (threshold: number) => Parameters<typeof denseBaseline>[1],
  coverage: number,
  game: SparsConfig,
): Promise<Pick<EvaluationResult, "sweeps" | "windowAblation">> {
  const v = options.validation!;
  const ablated = v.windows?.length
    ? (["agents", "greedy", "random"] as const).find((m) => methods.includes(m))
    : undefined;
  const ablation = (v.windows ?? []).map(() => [] as SweepCase[]);
  const ablationThresholds = defaultThresholds(game.mapMode);
  const taus = v.taus ?? DEFAULT_TAUS;
  const thresholdsOf = (m: MethodId) =>
    v.thresholds?.[m] ??
      defaultThresholds(game.mapMode, m === "dense" && game.mapMode === "sum" ? coverage : 1);
  const tables = new Map<MethodId, SweepCase[]>(methods.map((m) => [m, []]));
  const target = typeof options.target === "number" ? [options.target] : options.target;
  let index = 0;
  for await (const c of v.cases) {
    index++;
    if (!c.labels) continue;
    const truth = targetMask(c.labels, target);
    for (const m of methods) {
      tables.get(m)!.push(
        m === "dense"
          ? await sweepDenseCase(c, truth, denseOptions(0), thresholdsOf(m))
          : await sweepSegmentCase(c, truth, segmentOptions(m, c, Math.max(...taus), 0.5), {
            taus,
            thresholds: thresholdsOf(m),
          }),
      );
      options.onProgress?.({
        phase: "validation",
        caseIndex: index,
        caseId: c.id,
        method: m,
        methodIndex: methods.indexOf(m),
        methodCount: methods.length,
      });
    }
    for (const [k, window] of (ablated ? v.windows! : []).entries()) {
      const ablationOptions = { ...segmentOptions(ablated!, c, game.tau, 0.5), window };
      ablation[k].push(
        await sweepSegmentCase(c, truth, ablationOptions, {
          taus: [game.tau],
          thresholds: ablationThresholds,
        }),
      );
    }
  }
  if (!tables.get(methods[0])?.length) return { sweeps: [] };
  const sweeps = methods.map((m) =>
    summarizeSweep(m, { taus: m === "dense" ? [NaN] : taus, thresholds: thresholdsOf(m) }, tables.get(m)!)
  );
  const rows = (ablated ? v.windows! : []).map((window, k) => ({
    window,
    sweep: summarizeSweep(
      `window ${window.join("x")}`,
      { taus: [game.tau], thresholds: ablationThresholds },
      ablation[k],
    ),
  }));
  return { sweeps, windowAblation: ablated ? { method: ablated, rows } : undefined };
}
