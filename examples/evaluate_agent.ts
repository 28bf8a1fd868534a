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
  dice,
  GreedyAgent,
  make,
  RandomAgent,
  segment,
  type SelfPlayEnv,
  type SparsTaskOptions,
  spec,
  summarize,
  taskCases,
} from "../mod.ts";

/** Factory exported by default from an agent module (see `loadAgentModule`). */
export type { AgentFactory };

/** Mean and sd of Dice per agent name, over the task's test cases. */
export async function evaluateAgents(
  agents: readonly Agent[],
  taskId: string,
  starts = 2,
): Promise<{ name: string; mean: number; sd: number; n: number }[]> {
  const o = spec<SelfPlayEnv, SparsTaskOptions>(taskId).defaults;
  const cases = await taskCases(o.data!, "test");
  const env = await make<SelfPlayEnv, SparsTaskOptions>(taskId, { cases }); // the task's scorer and game
  const target = typeof o.target === "number" ? [o.target] : [...(o.target ?? [])];
  const { maskThreshold: _threshold, ...game } = env.env.config;
  const rows = [];
  for (const agent of agents) {
    const scores: number[] = [];
    for (const c of cases) {
      const r = await segment(c, { ...game, agents: agent, scorer: env.env.scorer, starts, seed: 0 });
      scores.push(dice(r.mask, Uint8Array.from(c.labels!.data, (v) => (target.includes(v) ? 1 : 0))));
    }
    const s = summarize(scores);
    rows.push({ name: agent.name, mean: s.mean, sd: s.sd, n: scores.length });
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
