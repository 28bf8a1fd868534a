/**
 * Evaluates your own agent module on a task's test split, beside the random and greedy baselines:
 *
 * ```sh
 * deno task eval:agent examples/my_agent.ts [--task SparsGym/Spars-Oracle-v0] [--starts 2]
 * ```
 *
 * The module's default export is a factory `({ observationShape, seed }) => Agent`. Each agent plays
 * both sides on every test case with `segment` (the task's game options and scorer, the map cut at
 * 0.5); the table gives mean and standard deviation of Dice against the target labels. Only tasks
 * whose scorer needs no network are offered here (the oracle tasks: an upper bound on the scorer).
 * To evaluate the same module inside a trained run's full evaluation (classifier scorer, validation
 * sweep, every built-in method, report files), use `deno task eval --run <run> --agent <module.ts>`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import {
  type Agent,
  type AgentFactory,
  applyMaskRule,
  dice,
  GreedyAgent,
  make,
  type MaskRule,
  RandomAgent,
  segment,
  type SelfPlayEnv,
  type SparsTaskOptions,
  spec,
  summarize,
  targetMask,
  taskCases,
} from "../mod.ts";

/** Factory exported by default from an agent module (see `loadAgentModule`). */
export type { AgentFactory };

/** One agent's figures over a task's test cases (see {@link evaluateAgents}). */
export interface AgentEvaluation {
  /** The agent's name. */
  readonly name: string;
  /** Mean Dice (0..1) over the cases with target voxels (Dice of a target-free case is undefined). */
  readonly mean: number;
  /** Sample standard deviation of those Dice values (NaN for fewer than 2). */
  readonly sd: number;
  /** Test cases played (target-free ones included). */
  readonly n: number;
  /** Test cases with target voxels: the Dice values averaged. */
  readonly positives: number;
  /** Mean windows scored per case (the scorer's distinct windows, all starts together). */
  readonly windows: number;
  /** Mean Dice per mask rule of `rules`, in order (the first is `mean`). */
  readonly meanByRule: readonly number[];
}

/**
 * Mean and sd of Dice per agent, over the task's test cases (`starts` starts, seed 0).
 * @param overrides task options replacing the registered ones, e.g. `cases` (default: the task's
 *   whole test split) or `scorer` (e.g. an oracle scorer on a classifier task)
 * @param rules mask rules (`absolute` or `peak`) applied to the same maps; `mean` and `sd` are the
 *   first's (default: map > 0.5 only)
 */
export async function evaluateAgents(
  agents: readonly Agent[],
  taskId: string,
  starts = 2,
  overrides: Partial<SparsTaskOptions> = {},
  rules: readonly MaskRule[] = [{ kind: "absolute", value: 0.5 }],
): Promise<AgentEvaluation[]> {
  const o = spec<SelfPlayEnv, SparsTaskOptions>(taskId).defaults;
  const played = overrides.cases ?? await taskCases(o.data!, "test");
  // The task's scorer and game (an oracle scorer reads the labels of the cases played).
  const env = await make<SelfPlayEnv, SparsTaskOptions>(taskId, { ...overrides, cases: played });
  const target = o.target ?? [];
  const { maskThreshold: _threshold, ...game } = env.env.config;
  const rows = [];
  for (const agent of agents) {
    const scores: number[][] = rules.map(() => []);
    let windows = 0;
    for (const c of played) {
      const r = await segment(c, { ...game, agents: agent, scorer: env.env.scorer, starts, seed: 0 });
      const truth = targetMask(c.labels!, target);
      rules.forEach((rule, k) => scores[k].push(dice(applyMaskRule(rule, r.map), truth)));
      windows += r.windowsScored;
    }
    const s = summarize(scores[0]);
    rows.push({
      name: agent.name,
      mean: s.mean,
      sd: s.sd,
      n: played.length,
      positives: s.n,
      windows: played.length ? windows / played.length : NaN,
      meanByRule: scores.map((xs) => summarize(xs).mean),
    });
  }
  env.close();
  return rows;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      task: { type: "string", default: "SparsGym/Spars-Oracle-v0" },
      starts: { type: "string", default: "2" },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1) {
    console.error(
      "usage: deno run --allow-read examples/evaluate_agent.ts <agent module> [--task ID] [--starts N]",
    );
    Deno.exit(2);
  }
  const mod = await import(pathToFileURL(resolve(positionals[0])).href);
  if (typeof mod.default !== "function") {
    console.error(
      `${positionals[0]}: no default export (expected a factory ({ observationShape, seed }) => Agent)`,
    );
    Deno.exit(2);
  }
  const o = spec<SelfPlayEnv, SparsTaskOptions>(values.task!).defaults;
  const mine = (mod.default as AgentFactory)({ observationShape: o.observationShape!, seed: 0 });
  const rows = await evaluateAgents(
    [mine, new RandomAgent(0), new GreedyAgent(0)],
    values.task!,
    Number(values.starts),
  );
  console.log(`task ${values.task} (test split), Dice of map > 0.5`);
  for (const r of rows) {
    console.log(`${r.name.padEnd(14)} ${r.mean.toFixed(3)} +- ${r.sd.toFixed(3)}  (n=${r.n})`);
  }
}
