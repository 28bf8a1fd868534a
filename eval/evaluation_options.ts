/**
 * Options, results and option checks of `runEvaluation` (evaluate.ts), which re-exports them.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { checkSeed } from "../data/random.ts";
import { parseSupervisionLevel, type SupervisionLevel } from "../data/supervision.ts";
import type { Case } from "../data/types.ts";
import type { Agent } from "../env/agent.ts";
import type { AgentModule } from "./agent_module.ts";
import type { SparsConfig } from "../env/config.ts";
import type { Scorer } from "../env/scorer.ts";
import type { DenseScoreStore } from "./dense_cache.ts";
import type { ValidationOptions } from "./evaluate_sweep.ts";
import { checkMaskRule, MASK_RULE_KINDS, type MaskRule, type MaskRuleKind } from "./mask_rule.ts";
import {
  type CaseResult,
  METHOD_IDS,
  type MethodId,
  type MethodSummary,
  POLICY_METHOD_IDS,
} from "./method_results.ts";
import { isPolicyPlayers, type Pairing, PAIRINGS, type PolicyPlayers } from "./players.ts";
import { checkGate } from "./presence_gate.ts";
import {
  checkRefine,
  DEFAULT_ORACLE_REFINE_RADIUS,
  DEFAULT_REFINE_RADIUS,
  DEFAULT_REFINE_TOP,
} from "./refine.ts";
import type { ReportOptions } from "./report.ts";
import type { RuleChoice } from "./rule_sweep.ts";
import type { AgentPair } from "./segment.ts";
import type { SweepResult, WindowAblationRow } from "./sweep.ts";

/** Default starts per case of the evaluation (reports show 1 start and this many). */
export const DEFAULT_EVAL_STARTS = 4;

/**
 * The numbers of starts an evaluation reports (the Dice-against-windows comparison): every count
 * 1..N when N <= 4 (so a method can be compared with another at about the same windows scored), else
 * [1, N]; `given` wins when set (it must hold N, each count an integer in [1, N]; sorted, distinct).
 * @throws {InvalidArgumentError} for a given list that misses N or holds a count outside [1, N]
 */
export function evaluationStartCounts(starts: number, given?: readonly number[]): number[] {
  if (given) {
    if (!given.includes(starts) || !given.every((k) => Number.isInteger(k) && k >= 1 && k <= starts)) {
      throw new InvalidArgumentError(
        "startCounts",
        `is ${given.join(",")}`,
        `integers in [1, ${starts}] that include the starts (${starts})`,
      );
    }
    return [...new Set(given)].sort((a, b) => a - b);
  }
  return starts <= 4 ? Array.from({ length: starts }, (_, i) => i + 1) : [1, starts];
}

/** Default supervision level of rows scored by a classifier that does not record its own. */
export const DEFAULT_SCORER_SUPERVISION: SupervisionLevel = "crops labelled from voxel masks";

/** A method's fixed setting (any field; unset fields come from the sweep, then the defaults). */
export interface GivenSetting {
  /** Termination threshold. */
  readonly tau?: number;
  /** Absolute mask threshold (an `absolute` rule; `rule` wins). */
  readonly threshold?: number;
  /** Mask rule. */
  readonly rule?: MaskRule;
  /** Presence gate in [0, 1]. */
  readonly gate?: number;
}

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
  /**
   * Supervision level of the scorer's training labels, for every row it scores (default
   * {@link DEFAULT_SCORER_SUPERVISION}; rows are "voxel labels" when the scorer reads voxel labels).
   */
  readonly scorerSupervision?: SupervisionLevel;
  /**
   * The learned policy: a {@link PolicyPlayers} factory (both rows `agents` and `agents-argmax`, with
   * distinct players per side), or fixed agents (one for both sides, or {a, b}; row `agents` only,
   * used as given). The policy rows run only with it.
   */
  readonly policy?: AgentPair | PolicyPlayers;
  /**
   * A user's agent (an agent module's factory and name, agent_module.ts): row `custom`, with a new
   * player per side and case (seeded from `seed`, the case id and the side). The row runs only with it.
   */
  readonly customAgent?: Pick<AgentModule, "name" | "create">;
  /** Side b of the policy rows (default `sampled`: the same policy sampling with its own seed). */
  readonly pairing?: Pairing;
  /** Side b for pairing `agent` (e.g. a frozen pool member). */
  readonly opponent?: Agent;
  /** Methods to run (default: all of {@link METHOD_IDS} that can run, see {@link runnableMethods}). */
  readonly methods?: readonly MethodId[];
  /** Game options (window, stride, start, tau, maxSteps, mapMode, observation...) for every method. */
  readonly game?: Partial<Omit<SparsConfig, "maskThreshold">>;
  /** Default absolute mask threshold of the agent methods when not swept (default 0.5). */
  readonly threshold?: number;
  /** Default mask rule of the agent methods when not swept (wins over `threshold`; dense keeps its own). */
  readonly rule?: MaskRule;
  /** Rule kinds the validation sweep chooses among (default `DEFAULT_SWEPT_RULE_KINDS`: absolute, peak, visit). */
  readonly ruleKinds?: readonly MaskRuleKind[];
  /**
   * Presence gate (presence_gate.ts): `"auto"` (default) chooses it per method on the validation
   * cases, positives and tumour-free (0 = off without validation); a number in [0, 1] is used as given.
   */
  readonly gate?: number | "auto";
  /** Local dense refinement of the agent methods: strides per axis (default 2; 0 = off). */
  readonly refineRadius?: number;
  /** Local dense refinement: best occupied windows refined around (default 1; 0 = off). */
  readonly refineTop?: number;
  /**
   * Refinement radius of the `oracle` row only (strides per axis; default
   * {@link DEFAULT_ORACLE_REFINE_RADIUS} = 3; 0 = off). The oracle row is the upper bound, not a
   * competitor: its refinement reaches the windows that miss the target, whose zero scores the
   * `deconv` rule needs to clear voxels (see refine.ts). Its windows are counted as for every method.
   */
  readonly oracleRefineRadius?: number;
  /**
   * Rule kinds the validation sweep chooses among for the `oracle` row (default
   * `DEFAULT_ORACLE_RULE_KINDS` of mask_rule.ts: all four, `deconv` included, whose model, a score equal to the
   * target share of the window, is exact for the oracle).
   */
  readonly oracleRuleKinds?: readonly MaskRuleKind[];
  /**
   * Starts per case N (start 0 the configured start rule, then seeded random starts, seeded per case).
   * Every method is also reported at 1 start. Default {@link DEFAULT_EVAL_STARTS}.
   */
  readonly starts?: number;
  /**
   * The numbers of starts reported besides N (each chosen on validation and run on every test case):
   * default {@link evaluationStartCounts} (1..N for N <= 4, else [1, N]).
   */
  readonly startCounts?: readonly number[];
  /** Seed of random starts, players and random agents (mixed with each case id). Default 0. */
  readonly seed?: number;
  /** Fixed settings per method; they win over the sweep (field by field). */
  readonly settings?: Partial<Record<MethodId, GivenSetting>>;
  /** Choose (tau, rule, gate) per method and number of starts on these cases first. */
  readonly validation?: ValidationOptions;
  /** Lesions below this volume (ml) count as small in the per-lesion Dice split. Default 1 ml. */
  readonly smallLesionMl?: number;
  /** Windows per scorer call of the dense baseline. Default 512. */
  readonly denseBatchSize?: number;
  /** Lattice scores of the dense baseline stored across evaluations (dense_cache.ts). Default none. */
  readonly denseCache?: DenseScoreStore;
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
  /** Validation sweep tables: per method, number of starts and rule kind. */
  readonly sweeps: readonly SweepResult[];
  /** The validation choices: per method and number of starts, the tau, rule and gate chosen. */
  readonly choices?: readonly Omit<RuleChoice, "sweeps">[];
  /** The window-size ablation, when asked for: one threshold sweep per window size. */
  readonly windowAblation?: { readonly method: MethodId; readonly rows: readonly WindowAblationRow[] };
  /** The resolved game options. */
  readonly game: SparsConfig;
  /** Target label values. */
  readonly target: readonly number[];
  /** Starts per case (N). */
  readonly starts: number;
  /** The numbers of starts reported (see {@link evaluationStartCounts}). */
  readonly startCounts?: readonly number[];
  /** Seed. */
  readonly seed: number;
  /** Name of the policy, when a policy row ran. */
  readonly policy?: string;
  /** Side b of the policy rows, when one ran. */
  readonly pairing?: Pairing;
  /**
   * Local refinement of the agent methods (radius in strides, top windows; 0 = off), and the oracle
   * row's radius (absent in reports written before it had its own).
   */
  readonly refine?: { readonly radius: number; readonly top: number; readonly oracleRadius?: number };
  /** Files written (relative to the report folder), when `report` was given. */
  readonly files: readonly string[];
}

/**
 * The methods that can run with what was given: the policy rows with a policy (`agents-argmax` only
 * with a {@link PolicyPlayers}), `custom` with a custom agent and a scorer, `oracle` always, the
 * others with a scorer.
 */
export function runnableMethods(
  options: Pick<EvaluationOptions, "policy" | "scorer" | "customAgent">,
): MethodId[] {
  return METHOD_IDS.filter((m) =>
    m === "agents"
      ? !!options.policy
      : m === "agents-argmax"
      ? isPolicyPlayers(options.policy)
      : m === "custom"
      ? !!options.customAgent && !!options.scorer
      : m === "oracle" || !!options.scorer
  );
}

/**
 * The methods that will run, checked against what was given.
 * @throws {InvalidArgumentError} for an unknown method, or a method without its policy or scorer
 */
export function methodsToRun(options: EvaluationOptions): MethodId[] {
  const asked = options.methods ?? runnableMethods(options);
  for (const m of asked) {
    if (!METHOD_IDS.includes(m)) {
      throw new InvalidArgumentError("methods", `names '${m}'`, METHOD_IDS.join(", "));
    }
    if (POLICY_METHOD_IDS.includes(m) && !options.policy) {
      throw new InvalidArgumentError("methods", `include '${m}' but no policy was given`, "a policy");
    }
    if (m === "custom" && typeof options.customAgent?.create !== "function") {
      throw new InvalidArgumentError("methods", "include 'custom' but no agent was given", "an agent module");
    }
    if (m === "agents-argmax" && !isPolicyPlayers(options.policy)) {
      throw new InvalidArgumentError(
        "methods",
        "include 'agents-argmax' but the policy is fixed agents",
        "a policy that can act in argmax mode (PolicyPlayers)",
      );
    }
    if (m !== "oracle" && !options.scorer) {
      throw new InvalidArgumentError("methods", `include '${m}' but no scorer was given`, "a scorer");
    }
  }
  return METHOD_IDS.filter((m) => asked.includes(m));
}

/**
 * Checks the evaluation's options (starts, seed, gate, refinement, rules, pairing, supervision,
 * settings) before anything runs or is written.
 * @throws {InvalidArgumentError} naming the option
 */
export function checkEvaluationOptions(options: Partial<EvaluationOptions>): void {
  if (options.starts !== undefined && !(Number.isInteger(options.starts) && options.starts >= 1)) {
    throw new InvalidArgumentError("starts", `is ${options.starts}`, "a positive integer");
  }
  evaluationStartCounts(options.starts ?? DEFAULT_EVAL_STARTS, options.startCounts);
  checkSeed(options.seed, "seed");
  if (options.gate !== undefined && options.gate !== "auto") checkGate(options.gate, "gate");
  checkRefine(options.refineRadius ?? DEFAULT_REFINE_RADIUS, options.refineTop ?? DEFAULT_REFINE_TOP);
  checkRefine(options.oracleRefineRadius ?? DEFAULT_ORACLE_REFINE_RADIUS, 0, "oracleRefineRadius");
  if (options.rule) checkMaskRule(options.rule, "rule");
  checkRuleKinds(options.ruleKinds, "ruleKinds");
  checkRuleKinds(options.oracleRuleKinds, "oracleRuleKinds");
  if (options.pairing !== undefined && !PAIRINGS.includes(options.pairing)) {
    throw new InvalidArgumentError("pairing", `is '${options.pairing}'`, PAIRINGS.join(" | "));
  }
  if (options.pairing === "agent" && typeof options.opponent?.act !== "function") {
    throw new InvalidArgumentError("opponent", "is missing", "an agent for pairing 'agent'");
  }
  if (options.scorerSupervision !== undefined) {
    parseSupervisionLevel(options.scorerSupervision, "scorerSupervision");
  }
  for (const [m, given] of Object.entries(options.settings ?? {})) {
    if (given?.rule) checkMaskRule(given.rule, `settings.${m}.rule`);
    if (given?.gate !== undefined) checkGate(given.gate, `settings.${m}.gate`);
  }
}

/** Checks a list of rule kinds (absent is fine). @throws {InvalidArgumentError} naming `name` */
function checkRuleKinds(kinds: readonly MaskRuleKind[] | undefined, name: string): void {
  for (const k of kinds ?? []) {
    if (!MASK_RULE_KINDS.includes(k)) {
      throw new InvalidArgumentError(name, `names '${k}'`, MASK_RULE_KINDS.join(", "));
    }
  }
  if (kinds && !kinds.length) throw new InvalidArgumentError(name, "is empty", "at least one rule kind");
}
