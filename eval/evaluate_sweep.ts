/**
 * The validation phase of `runEvaluation`: every method is swept on the validation cases (each case
 * loaded once, each method played once per case, see rule_sweep.ts) over tau, the mask rule kinds
 * and their values, at 1 start and at the evaluation's starts; per (method, starts) the best setting
 * by mean validation Dice is kept, with its presence gate. Also the window-size ablation.
 *
 * @module
 */
import type { Case, Vec3 } from "../data/types.ts";
import { targetMask } from "../data/tile.ts";
import type { SparsConfig } from "../env/config.ts";
import { isSumMode } from "../env/probability_map.ts";
import type { DenseBaselineOptions } from "./dense_baseline.ts";
import { defaultRuleValues, type MaskRuleKind } from "./mask_rule.ts";
import type { MethodId } from "./method_results.ts";
import {
  chooseRule,
  type RuleChoice,
  type RuleSweepCase,
  type RuleSweepGrid,
  sweepDenseRules,
  sweepSegmentRules,
} from "./rule_sweep.ts";
import type { SegmentOptions } from "./segment.ts";
import {
  DEFAULT_TAUS,
  defaultThresholds,
  summarizeSweep,
  type SweepCase,
  sweepSegmentCase,
  type WindowAblationRow,
} from "./sweep.ts";

/** The validation options of an evaluation (see `EvaluationOptions.validation`). */
export interface ValidationOptions {
  /** Validation cases (with labels; positives and tumour-free cases). */
  readonly cases: readonly Case[] | AsyncIterable<Case>;
  /** Taus swept (default {@link DEFAULT_TAUS}). */
  readonly taus?: readonly number[];
  /** `absolute` values per method (default: the map mode's grid; the dense `sum` map scaled by its coverage). */
  readonly thresholds?: Partial<Record<MethodId, readonly number[]>>;
  /** Values of the `peak`, `visit` and `deconv` kinds (default `defaultRuleValues`). */
  readonly values?: Partial<Record<Exclude<MaskRuleKind, "absolute">, readonly number[]>>;
  /**
   * Window sizes (z,y,x) of a window-size ablation (the paper's Fig. 3) on the same cases: the
   * absolute-threshold sweep of one agent method (agents, else greedy, else random) at the game's tau.
   */
  readonly windows?: readonly Vec3[];
}

/** What the validation phase needs from the evaluation. */
export interface ValidationContext {
  /** The validation options. */
  readonly validation: ValidationOptions;
  /** Methods run. */
  readonly methods: readonly MethodId[];
  /** Target label values. */
  readonly target: readonly number[];
  /** Rule kinds swept for a method. */
  readonly ruleKinds: (m: MethodId) => readonly MaskRuleKind[];
  /** Numbers of starts reported (e.g. [1, 4]). */
  readonly startCounts: readonly number[];
  /** The gate: chosen on validation (`auto`) or given. */
  readonly gate: number | "auto";
  /** The resolved game options. */
  readonly game: SparsConfig;
  /** Window coverage of the dense lattice (scales the dense `sum` grid). */
  readonly coverage: number;
  /** Segment options of an agent method on a case (tau, rule and starts are set by the sweep). */
  readonly segmentOptions: (m: MethodId, c: Case) => SegmentOptions;
  /** Dense baseline options. */
  readonly denseOptions: () => DenseBaselineOptions;
  /** Progress. */
  readonly onProgress?: (caseIndex: number, caseId: string, m: MethodId) => void;
}

/** Result of {@link sweepMethods}. */
export interface ValidationResult {
  /** One choice per (method, starts), methods in order, starts ascending. */
  readonly choices: readonly RuleChoice[];
  /** The window-size ablation, when asked for. */
  readonly windowAblation?: { readonly method: MethodId; readonly rows: readonly WindowAblationRow[] };
}

/** Sweeps every method on the validation cases; see the module doc. */
export async function sweepMethods(ctx: ValidationContext): Promise<ValidationResult> {
  const v = ctx.validation, game = ctx.game;
  const ablated = v.windows?.length
    ? (["agents", "agents-argmax", "greedy", "random"] as const).find((m) => ctx.methods.includes(m))
    : undefined;
  const ablation = (v.windows ?? []).map(() => [] as SweepCase[]);
  const ablationThresholds = defaultThresholds(game.mapMode);
  const taus = v.taus ?? DEFAULT_TAUS;
  const gridOf = (m: MethodId): RuleSweepGrid => ({
    taus: m === "dense" ? [NaN] : taus,
    starts: ctx.startCounts,
    rules: ctx.ruleKinds(m).map((kind) => ({
      kind,
      values: kind === "absolute"
        ? v.thresholds?.[m] ??
          defaultThresholds(game.mapMode, m === "dense" && isSumMode(game.mapMode) ? ctx.coverage : 1)
        : v.values?.[kind] ?? defaultRuleValues(kind, game.mapMode),
    })),
  });
  const tables = new Map<MethodId, RuleSweepCase[]>(ctx.methods.map((m) => [m, []]));
  let index = 0;
  for await (const c of v.cases) {
    index++;
    if (!c.labels) continue;
    const truth = targetMask(c.labels, ctx.target);
    for (const m of ctx.methods) {
      tables.get(m)!.push(
        m === "dense"
          ? await sweepDenseRules(c, truth, ctx.denseOptions(), gridOf(m))
          : await sweepSegmentRules(c, truth, ctx.segmentOptions(m, c), gridOf(m)),
      );
      ctx.onProgress?.(index, c.id, m);
    }
    for (const [k, window] of (ablated ? v.windows! : []).entries()) {
      const options = { ...ctx.segmentOptions(ablated!, c), starts: 1, refineTop: 0, window };
      ablation[k].push(
        await sweepSegmentCase(c, truth, options, { taus: [game.tau], thresholds: ablationThresholds }),
      );
    }
  }
  if (!tables.get(ctx.methods[0])?.length) return { choices: [] };
  const choices = ctx.methods.flatMap((m) =>
    ctx.startCounts.map((_, si) => chooseRule(m, gridOf(m), tables.get(m)!, si, ctx.gate))
  );
  const rows = (ablated ? v.windows! : []).map((window, k) => ({
    window,
    sweep: summarizeSweep(
      `window ${window.join("x")}`,
      { taus: [game.tau], thresholds: ablationThresholds },
      ablation[k],
    ),
  }));
  return { choices, windowAblation: ablated ? { method: ablated, rows } : undefined };
}
