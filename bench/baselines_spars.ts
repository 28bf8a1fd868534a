/**
 * Baselines of one SPARS task id (`deno task baselines`): on the task's test split, with the task's
 * game options and scorer, per seed: random agents, greedy agents, self-play PPO trained on the
 * task's train split for a fixed number of env steps, and (when the task's scorer is not the
 * oracle) greedy agents with the oracle scorer; once (deterministic): the dense sliding window of the
 * task's scorer. Agents are evaluated by `evaluateAgents` (examples/evaluate_agent.ts: `segment`,
 * the same agent on both sides), the dense map by `denseBaseline`. Every method's mask rule is chosen
 * on validation cases from {@link RULE_GRID} (the task's own cut `map > 0.5`, or a fraction of the
 * map's peak: the sum maps' scale differs by method), then applied on the test split.
 *
 * @module
 */
import { CachedScorer } from "../env/cached_scorer.ts";
import { GreedyAgent, RandomAgent } from "../env/baseline_agents.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { make, spec } from "../env/registry.ts";
import type { Scorer } from "../env/scorer.ts";
import type { SelfPlayEnv } from "../env/self_play_env.ts";
import type { Case, Vec3 } from "../data/types.ts";
import { targetMask } from "../data/tile.ts";
import type { MapMode } from "../env/probability_map.ts";
import { denseBaseline } from "../eval/dense_baseline.ts";
import { applyMaskRule, formatMaskRule, type MaskRule } from "../eval/mask_rule.ts";
import { dice, summarize } from "../eval/metrics.ts";
import type { Agent } from "../env/agent.ts";
import { PolicyAgent } from "../agents/policy_agent.ts";
import { ProgressBar } from "../train/progress.ts";
import { trainSelfPlay } from "../train/self_play.ts";
import { type SparsTaskOptions, taskCases } from "../tasks/spars_tasks.ts";
import { evaluateAgents } from "../examples/evaluate_agent.ts";
import type { BaselineRow, BaselineTask } from "./baselines_table.ts";

/** Budgets of the SPARS tasks. */
export interface SparsBudget {
  /** Env steps of PPO per seed (0 = no PPO row). */
  readonly ppoSteps: number;
  /** True when PPO was left out by `--ppo-skip` (said so in the notes). */
  readonly ppoSkipped?: boolean;
  /** Parallel games of PPO. */
  readonly numEnvs: number;
  /** Starts per test case in evaluation. */
  readonly starts: number;
  /** Play only the first N test cases (undefined = all). */
  readonly maxCases?: number;
  /** Validation cases (with target voxels) on which each method's mask rule is chosen. */
  readonly valCases: number;
}

/** The mask rules chosen from (ties: the first): the task's cut, then peak fractions 0.1 .. 0.9. */
export const RULE_GRID: readonly MaskRule[] = [
  { kind: "absolute", value: 0.5 },
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((k): MaskRule => ({ kind: "peak", value: k / 10 })),
];

/** Index of the largest value (NaN counts as -infinity; ties: the first). */
export function bestIndex(values: readonly number[]): number {
  let best = 0;
  values.forEach((v, i) => {
    if (v > (Number.isNaN(values[best]) ? -Infinity : values[best])) best = i;
  });
  return best;
}

/** PPO options of every SPARS row: the `default` preset's (learning rate 1e-3, the rest SB3-like). */
const PPO = { learningRate: 1e-3 };
/** The policy's input intensity window (HU), as the default pipeline (its classifier's window). */
const POLICY_INTENSITY_WINDOW: readonly [number, number] = [-50, 150];
const ORACLE = "voxel labels (oracle scorer)";

/** The scorer under a cache wrapper (the env caches; training and dense search wrap their own). */
function unwrap(scorer: Scorer): Scorer {
  return scorer instanceof CachedScorer ? scorer.inner : scorer;
}

/** The supervision level of a scorer: the classifier's own record, or voxel labels for the oracle. */
export function scorerSupervision(scorer: Scorer): string {
  const inner = unwrap(scorer);
  if (inner instanceof OracleScorer) return ORACLE;
  const level = (inner as { supervision?: unknown }).supervision;
  return typeof level === "string" ? level : `unknown (scorer ${inner.id})`;
}

/** An agent's test figures with the mask rule chosen on `val`. */
async function agentOnTest(
  agent: Agent,
  id: string,
  starts: number,
  val: readonly Case[],
  test: readonly Case[],
  scorer?: Scorer,
): Promise<{ mean: number; windows: number; positives: number; rule: MaskRule }> {
  const [v] = await evaluateAgents(
    [agent],
    id,
    starts,
    { cases: val, ...(scorer ? { scorer } : {}) },
    RULE_GRID,
  );
  const rule = RULE_GRID[bestIndex(v.meanByRule)];
  const [t] = await evaluateAgents([agent], id, starts, { cases: test, ...(scorer ? { scorer } : {}) }, [
    rule,
  ]);
  return { ...t, rule };
}

/** Dice of the dense map of every case, per rule of `rules`, and the windows scored per case. */
async function denseDice(
  cases: readonly Case[],
  scorer: Scorer,
  game: { window: Vec3; stride: number; mapMode: MapMode },
  target: readonly number[],
  rules: readonly MaskRule[],
): Promise<{ meanByRule: number[]; positives: number; windows: number }> {
  const byRule: number[][] = rules.map(() => []);
  let windows = 0;
  for (const c of cases) {
    const r = await denseBaseline(c.image, {
      scorer,
      window: game.window,
      stride: game.stride,
      mapMode: game.mapMode,
    });
    const truth = targetMask(c.labels!, target);
    rules.forEach((rule, k) => byRule[k].push(dice(applyMaskRule(rule, r.map), truth)));
    windows += r.windowsScored;
  }
  return {
    meanByRule: byRule.map((xs) => summarize(xs).mean),
    positives: summarize(byRule[0]).n,
    windows: windows / cases.length,
  };
}

/** Runs the task's rows (see the module doc); `log` gets one progress line per phase. */
export async function runSparsTask(
  id: string,
  seeds: readonly number[],
  budget: SparsBudget,
  log: (line: string) => void,
): Promise<BaselineTask> {
  const started = performance.now();
  const taskSpec = spec<SelfPlayEnv, SparsTaskOptions>(id);
  const o = taskSpec.defaults as SparsTaskOptions; // the SPARS tasks register every option
  const target = typeof o.target === "number" ? [o.target] : [...o.target];
  const allTest = await taskCases(o.data, "test");
  const test = allTest.slice(0, budget.maxCases ?? allTest.length);
  const val = (await taskCases(o.data, "val"))
    .filter((c) => targetMask(c.labels!, target).some((v) => v === 1))
    .slice(0, budget.valCases);
  const env = await make<SelfPlayEnv, SparsTaskOptions>(id, { cases: [...val, ...test] });
  const scorer = unwrap(env.env.scorer);
  const supervision = scorerSupervision(scorer);
  const { maskThreshold: _threshold, ...game } = env.env.config;
  env.close();

  log(`${id}: dense sliding window on ${val.length} validation and ${test.length} test cases`);
  const denseRule = RULE_GRID[bestIndex((await denseDice(val, scorer, game, target, RULE_GRID)).meanByRule)];
  const dense = await denseDice(test, scorer, game, target, [denseRule]);
  const denseRow: BaselineRow = {
    method: "dense sliding window (every lattice window, no RL)",
    supervision,
    dicePerSeed: dense.meanByRule,
    deterministic: true,
    cases: dense.positives,
    costPerSeed: [dense.windows],
    costUnit: "windows scored",
    rules: [formatMaskRule(denseRule)],
  };

  const oracleRow = supervision !== ORACLE;
  const oracle = oracleRow ? new OracleScorer([...val, ...test], { target }) : undefined;
  const trainCases = budget.ppoSteps > 0 ? await taskCases(o.data, "train") : [];
  const trainScorer = budget.ppoSteps > 0
    ? unwrap((await make<SelfPlayEnv, SparsTaskOptions>(id, { cases: trainCases })).env.scorer)
    : undefined;
  const perSeed: Record<string, { dice: number[]; windows: number[]; rules: string[]; cases: number }> = {};
  const add = (key: string, r: { mean: number; windows: number; positives: number; rule: MaskRule }) => {
    perSeed[key] ??= { dice: [], windows: [], rules: [], cases: r.positives };
    perSeed[key].dice.push(r.mean);
    perSeed[key].windows.push(r.windows);
    perSeed[key].rules.push(formatMaskRule(r.rule));
  };
  for (const seed of seeds) {
    log(`${id} seed ${seed}: random and greedy agents`);
    add("random", await agentOnTest(new RandomAgent(seed), id, budget.starts, val, test));
    add("greedy", await agentOnTest(new GreedyAgent(seed), id, budget.starts, val, test));
    if (oracle) {
      log(`${id} seed ${seed}: greedy agents with the oracle scorer`);
      add("oracle", await agentOnTest(new GreedyAgent(seed), id, budget.starts, val, test, oracle));
    }
    if (budget.ppoSteps > 0) {
      const bar = new ProgressBar({ total: budget.ppoSteps, label: `${id} ppo seed ${seed}`, unit: "steps" });
      const trained = await trainSelfPlay({
        cases: trainCases,
        scorer: trainScorer!,
        env: game,
        numEnvs: budget.numEnvs,
        totalSteps: budget.ppoSteps,
        seed,
        network: { intensityWindow: POLICY_INTENSITY_WINDOW },
        ppo: PPO,
        referenceEvery: 0,
        validateEvery: 0,
        checkpointEvery: 0,
        progress: bar,
      });
      bar.finish();
      try {
        log(`${id} seed ${seed}: PPO policy (${trained.globalStep} steps) on the test split`);
        const policy = new PolicyAgent(trained.network, { mode: "sample", seed, name: "ppo" });
        add("ppo", await agentOnTest(policy, id, budget.starts, val, test));
      } finally {
        trained.network.dispose();
      }
    }
  }
  const row = (key: string, method: string, rowSupervision = supervision): BaselineRow => ({
    method,
    supervision: rowSupervision,
    dicePerSeed: perSeed[key].dice,
    cases: perSeed[key].cases,
    costPerSeed: perSeed[key].windows,
    costUnit: "windows scored",
    rules: perSeed[key].rules,
  });
  const rows: BaselineRow[] = [
    row("random", "random agents"),
    row("greedy", "greedy agents (score the 6 neighbours, take the best)"),
    denseRow,
    ...(oracleRow ? [row("oracle", "oracle scorer + greedy agents (reads voxel labels)", ORACLE)] : []),
    ...(budget.ppoSteps > 0
      ? [row("ppo", `PPO self-play, ${budget.ppoSteps} env steps per seed (learned, sampled actions)`)]
      : []),
  ];
  const notes = [
    `${test.length} test cases${
      test.length < allTest.length ? ` (the first of ${allTest.length}: --max-cases)` : ""
    }; game as registered: window ${game.window.join("x")}, stride ${game.stride}, ${game.maxSteps} steps, ` +
    `termination ${game.termination}, reward ${game.reward}, map ${game.mapMode}.`,
    `Agents: \`evaluateAgents\` (examples/evaluate_agent.ts): the same agent plays both sides, ${budget.starts} starts ` +
    `per case (the task's start, then seeded random starts, segment seed 0), no refinement.`,
    `Mask rule per method and seed: the best on the first ${val.length} validation cases with a target, from ` +
    `\`absolute:0.5\` (the task's cut, map > 0.5) and \`peak:a\` (map > a x its maximum), a = 0.1 .. 0.9; ` +
    "then applied on the test split.",
    "Dense: `denseBaseline`, every lattice window scored once; independent of the seed.",
    ...(budget.ppoSteps > 0
      ? [
        `PPO: \`trainSelfPlay\` on the ${trainCases.length} train cases with the task's game and scorer, ` +
        `${budget.ppoSteps} env steps per seed (${budget.numEnvs} games x 32 steps per update, learning rate 1e-3, ` +
        `opponent pool as the default preset), policy intensity window ${
          POLICY_INTENSITY_WINDOW.join("..")
        } HU; ` +
        `a small budget (the default benchmark trains 65,536 steps).`,
      ]
      : [
        budget.ppoSkipped
          ? "PPO: not run (--ppo-skip): on its 24 training volumes of 180x256x256 PPO ran at ~60 env steps/s " +
            "in a smoke run on 2 cores, so 3 seeds of 8,192 steps would add ~7 min to this command's ~25 min."
          : "PPO: not run (--ppo-steps 0).",
      ]),
    "Cost per case: distinct windows the scorer was asked for (all starts together).",
  ];
  return {
    id,
    description: taskSpec.description,
    rows,
    notes,
    seconds: (performance.now() - started) / 1000,
  };
}
