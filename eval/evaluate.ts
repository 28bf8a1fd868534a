/**
 * The evaluation of a SPARS setup on held-out cases, every method on the same cases:
 * - `agents`, `agents-argmax`: the learned policy (when one is given) sampling its actions, and
 *   taking its most probable action, each against a DISTINCT side-b player (players.ts `Pairing`;
 *   default: the same policy sampling with its own seed), with the weakly-supervised scorer;
 * - `custom`: a user's agent module (agent_module.ts), a new player per side, with the same scorer;
 * - `dense`: the dense sliding-window map of the same scorer (no RL);
 * - `random`, `greedy`: the non-learning agents with the same scorer;
 * - `oracle`: greedy agents on the ORACLE scorer, which reads the voxel labels (an upper bound,
 *   labelled "uses voxel labels" everywhere, supervision level "voxel labels").
 * Optionally, (tau, mask rule, presence gate) of each method is first chosen on validation cases
 * (evaluate_sweep.ts), separately at each reported number of starts (`evaluationStartCounts`: 1..N
 * for N <= 4); then each test case is segmented by each method at `starts` starts (and at the other
 * counts for the Dice-vs-compute comparison), scored (Dice,
 * IoU, sensitivity, specificity, precision, HD95, ASSD, volume difference, lesion detection) and
 * summarised as mean +- sd with NaN / Infinity counts. Agent methods are refined locally after their
 * episodes (refine.ts; default +/-2 strides around the best window, +/-3 for the oracle row, which
 * also sweeps the `deconv` rule). Random starts and players are
 * seeded per case. With `report`, files are written as each case is done (see report.ts).
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { SupervisionLevel } from "../data/supervision.ts";
import type { Case, Vec3 } from "../data/types.ts";
import type { AgentModule } from "./agent_module.ts";
import { targetMask } from "../data/tile.ts";
import { GreedyAgent, RandomAgent } from "../env/baseline_agents.ts";
import { resolveConfig } from "../env/config.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import {
  defaultDenseThreshold,
  denseBaseline,
  type DenseBaselineOptions,
  denseCoverage,
} from "./dense_baseline.ts";
import {
  checkEvaluationOptions,
  DEFAULT_EVAL_STARTS,
  DEFAULT_SCORER_SUPERVISION,
  type EvaluationOptions,
  type EvaluationResult,
  evaluationStartCounts,
  methodsToRun,
} from "./evaluation_options.ts";
import { sweepMethods } from "./evaluate_sweep.ts";
import {
  DEFAULT_ORACLE_RULE_KINDS,
  DEFAULT_SWEPT_RULE_KINDS,
  type MaskRule,
  type MaskRuleKind,
} from "./mask_rule.ts";
import {
  type CaseMethodResult,
  type CaseResult,
  METHOD_LABELS,
  type MethodId,
  type MethodSetting,
  POLICY_METHOD_IDS,
  type RunOutput,
  scoreCase,
  type StartsCaseResult,
  summarizeMethod,
} from "./method_results.ts";
import { dice } from "./metrics.ts";
import { isPolicyPlayers, mixSeed, type PolicyPlayers, policyPlayers } from "./players.ts";
import { DEFAULT_ORACLE_REFINE_RADIUS, DEFAULT_REFINE_RADIUS, DEFAULT_REFINE_TOP } from "./refine.ts";
import { ReportWriter } from "./report.ts";
import { type AgentPair, segment, type SegmentOptions } from "./segment.ts";

export * from "./evaluation_options.ts";

/**
 * Runs the evaluation (see the module doc) and, with `options.report`, writes the report.
 * This is the entry point `deno task eval` and the training pipeline call.
 *
 * @throws {InvalidArgumentError} for inconsistent options (a method without its scorer or policy, an
 *   unknown method, bad game options, rule, gate, refinement, pairing or starts, no test case with labels)
 */
export async function runEvaluation(options: EvaluationOptions): Promise<EvaluationResult> {
  checkEvaluationOptions(options);
  const methods = methodsToRun(options);
  const game = resolveConfig(options.game ?? {});
  const target = typeof options.target === "number" ? [options.target] : [...options.target];
  const starts = options.starts ?? DEFAULT_EVAL_STARTS, seed = options.seed ?? 0;
  const startCounts = evaluationStartCounts(starts, options.startCounts);
  const baseRule: MaskRule = options.rule ?? { kind: "absolute", value: options.threshold ?? 0.5 };
  const refineRadius = options.refineRadius ?? DEFAULT_REFINE_RADIUS;
  const refineTop = options.refineTop ?? DEFAULT_REFINE_TOP;
  const oracleRefineRadius = options.oracleRefineRadius ?? DEFAULT_ORACLE_REFINE_RADIUS;
  const ruleKindsOf = (m: MethodId): readonly MaskRuleKind[] =>
    m === "oracle"
      ? options.oracleRuleKinds ?? DEFAULT_ORACLE_RULE_KINDS
      : options.ruleKinds ?? DEFAULT_SWEPT_RULE_KINDS;
  const gateOption = options.gate ?? "auto";
  const smallLesionMl = options.smallLesionMl ?? 1;
  const coverage = denseCoverage(game.window, game.stride);
  const labelled = options.scorerUsesVoxelLabels === true ||
    /^(cached\()*oracle/.test(options.scorer?.id ?? "");
  const supervisionOf = (m: MethodId): SupervisionLevel =>
    m === "oracle" || labelled ? "voxel labels" : options.scorerSupervision ?? DEFAULT_SCORER_SUPERVISION;

  const agentsFor = (m: MethodId, c: Case): AgentPair =>
    m === "agents" || m === "agents-argmax"
      ? policyPlayers(m, options.policy!, {
        pairing: options.pairing,
        opponent: options.opponent,
        seed,
        caseId: c.id,
      })
      : m === "custom"
      ? customPlayers(options.customAgent!, game.observationShape, mixSeed(seed, c.id, "custom"))
      : m === "random"
      ? new RandomAgent(mixSeed(seed, c.id, "random"))
      : new GreedyAgent();
  const segmentOptions = (m: MethodId, c: Case): SegmentOptions => ({
    ...options.game,
    seed: mixSeed(seed, c.id, "starts"),
    refineRadius: m === "oracle" ? oracleRefineRadius : refineRadius,
    refineTop,
    agents: agentsFor(m, c),
    scorer: m === "oracle" ? new OracleScorer([c], { target }) : options.scorer!,
  });
  const denseOptions = (): DenseBaselineOptions => ({
    scorer: options.scorer!,
    window: game.window,
    stride: game.stride,
    mapMode: game.mapMode,
    batchSize: options.denseBatchSize,
    cache: options.denseCache,
  });

  // 1. Settings per (method, starts): given > validation sweep > default.
  const { choices, windowAblation } = options.validation
    ? await sweepMethods({
      validation: options.validation,
      methods,
      target,
      ruleKinds: ruleKindsOf,
      startCounts,
      gate: gateOption,
      game,
      coverage,
      segmentOptions,
      denseOptions,
      onProgress: (caseIndex, caseId, m) =>
        options.onProgress?.({
          phase: "validation",
          caseIndex,
          caseId,
          method: m,
          methodIndex: methods.indexOf(m),
          methodCount: methods.length,
        }),
    })
    : { choices: [], windowAblation: undefined };
  const settings = new Map<MethodId, Map<number, MethodSetting>>();
  for (const m of methods) {
    const byStarts = new Map<number, MethodSetting>();
    for (const k of startCounts) {
      const given = options.settings?.[m];
      const swept = choices.find((s) => s.method === m && s.starts === k && !Number.isNaN(s.dice));
      const tau = m === "dense" ? NaN : given?.tau ?? swept?.tau ?? game.tau;
      const fallback: MaskRule = m === "dense"
        ? { kind: "absolute", value: defaultDenseThreshold(game.tau, game.window, game.stride, game.mapMode) }
        : baseRule;
      const givenRule = given?.rule ??
        (given?.threshold !== undefined ? { kind: "absolute" as const, value: given.threshold } : undefined);
      const rule = givenRule ?? swept?.rule ?? fallback;
      const gate = given?.gate ?? (gateOption === "auto" ? swept?.gate ?? 0 : gateOption);
      byStarts.set(k, {
        tau,
        threshold: rule.value,
        rule,
        gate,
        source: givenRule !== undefined || given?.tau !== undefined ? "given" : swept ? "sweep" : "default",
        gateSource: given?.gate !== undefined || gateOption !== "auto"
          ? "given"
          : swept
          ? "sweep"
          : "default",
      });
    }
    settings.set(m, byStarts);
  }

  // 2. Test cases, one at a time; every method on each, at N starts and at the other start counts.
  const writer = options.report ? new ReportWriter(options.report) : undefined;
  const cases: CaseResult[] = [];
  const skipped: { id: string; reason: string }[] = [];
  const run = async (m: MethodId, c: Case, k: number): Promise<RunOutput> => {
    const s = settings.get(m)!.get(k)!;
    return m === "dense"
      ? await runDense(c, { ...denseOptions(), rule: s.rule, gate: s.gate })
      : await segment(c, { ...segmentOptions(m, c), tau: s.tau, rule: s.rule, gate: s.gate, starts: k });
  };
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
      const out = await run(m, c, starts);
      const entry = (k: number, o: RunOutput): StartsCaseResult => ({
        starts: k,
        dice: dice(o.mask, truth),
        windowsScored: o.windowsScored,
        steps: o.steps,
        gated: o.gated ?? false,
      });
      const byStarts: StartsCaseResult[] = [];
      for (const k of startCounts) {
        byStarts.push(entry(k, k === starts || m === "dense" ? out : await run(m, c, k)));
      }
      results[m] = { ...scoreCase(c, truth, out), byStarts };
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

  const fixedPolicy = options.policy && !isPolicyPlayers(options.policy);
  const policyRan = methods.some((m) => POLICY_METHOD_IDS.includes(m));
  const result: EvaluationResult = {
    methods: methods.map((m) =>
      summarizeMethod(m, settings.get(m)!.get(starts)!, cases, smallLesionMl, options.scorer, labelled, {
        label: m === "agents" && fixedPolicy
          ? `SPARS agents (${policyName(options.policy!)})`
          : m === "custom"
          ? `${METHOD_LABELS.custom} (${options.customAgent!.name})`
          : undefined,
        supervision: supervisionOf(m),
        settingsByStarts: settings.get(m),
      })
    ),
    cases,
    skipped,
    sweeps: choices.flatMap((c) => c.sweeps),
    choices: choices.map(({ sweeps: _sweeps, ...rest }) => rest),
    windowAblation,
    game,
    target,
    starts,
    startCounts,
    seed,
    policy: policyRan ? policyName(options.policy!) : undefined,
    pairing: policyRan ? options.pairing ?? "sampled" : undefined,
    refine: { radius: refineRadius, top: refineTop, oracleRadius: oracleRefineRadius },
    files: [],
  };
  if (!writer) return result;
  const files = await writer.finish(result);
  return { ...result, files };
}

/** The two players of row `custom`: distinct players from the factory, seeded per side. */
function customPlayers(agent: Pick<AgentModule, "create">, observationShape: Vec3, seed: number): AgentPair {
  return {
    a: agent.create({ observationShape, seed: mixSeed(seed, "a") }),
    b: agent.create({ observationShape, seed: mixSeed(seed, "b") }),
  };
}

function policyName(p: AgentPair | PolicyPlayers): string {
  return isPolicyPlayers(p) || "act" in p ? p.name : `${p.a.name} / ${p.b.name}`;
}

async function runDense(c: Case, options: DenseBaselineOptions): Promise<RunOutput> {
  const r = await denseBaseline(c.image, options);
  return {
    map: r.map,
    mask: r.mask,
    steps: 0,
    windowsScored: r.windowsScored,
    bestScore: r.bestScore,
    gated: r.gated,
    timings: {
      scorerMs: r.timings.scorerMs,
      policyMs: 0,
      mapMs: r.timings.mapMs,
      envMs: Math.max(0, r.timings.totalMs - r.timings.scorerMs - r.timings.mapMs),
      totalMs: r.timings.totalMs,
    },
  };
}
