/**
 * The tables of `deno task bench:benchmark` (bench/benchmark.ts): per reward scheme, every
 * evaluation method's mean test Dice as mean +- sd over seeds, windows scored and steps per case,
 * and the checks of issue 10, computed from the methods' summaries in each run's `eval.json`.
 *
 * @module
 */
import type { MethodSummary } from "../eval/method_results.ts";

/** One finished (scheme, seed) run. */
export interface BenchmarkRun {
  /** Reward scheme trained with. */
  readonly reward: string;
  /** Seed (phantoms, split, classifier, policy). */
  readonly seed: number;
  /** The run folder. */
  readonly dir: string;
  /** Wall time of the run, seconds. */
  readonly seconds: number;
  /** The method summaries of its eval.json. */
  readonly methods: readonly Pick<
    MethodSummary,
    "id" | "label" | "supervision" | "metrics" | "compute" | "byStarts"
  >[];
}

/** Mean and sample sd (n - 1; NaN for n < 2) over seeds, and the seed count. */
export interface SeedStat {
  readonly mean: number;
  readonly sd: number;
  readonly n: number;
}

/** One method of one scheme over seeds. */
export interface BenchmarkRow {
  readonly reward: string;
  readonly method: string;
  readonly label: string;
  readonly supervision: string;
  /** Mean test Dice over seeds, in [0, 1]. */
  readonly dice: SeedStat;
  /** Each seed's mean test Dice, in the order of the runs' seeds (NaN where a seed lacks the method). */
  readonly perSeed: readonly number[];
  /** Mean windows scored per case (the compute). */
  readonly windows: SeedStat;
  /** Mean game steps per case. */
  readonly steps: SeedStat;
  /** Mean Dice and windows scored per case over seeds at each number of starts the runs report. */
  readonly byStarts: readonly {
    readonly starts: number;
    readonly dice: SeedStat;
    readonly windows: SeedStat;
  }[];
}

/** One check of issue 10 on one scheme. */
export interface BenchmarkCheck {
  readonly reward: string;
  readonly claim: string;
  readonly measured: string;
  readonly pass: boolean;
}

/** What {@link summarizeBenchmark} returns. */
export interface BenchmarkTable {
  readonly rows: readonly BenchmarkRow[];
  readonly checks: readonly BenchmarkCheck[];
}

/** Mean and sample sd of the finite values. */
export function seedStat(values: readonly number[]): SeedStat {
  const v = values.filter(Number.isFinite);
  const n = v.length;
  const mean = n ? v.reduce((s, x) => s + x, 0) / n : NaN;
  const sd = n > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : NaN;
  return { mean, sd, n };
}

function rowsOf(runs: readonly BenchmarkRun[]): BenchmarkRow[] {
  const rows: BenchmarkRow[] = [];
  for (const reward of [...new Set(runs.map((r) => r.reward))]) {
    const mine = runs.filter((r) => r.reward === reward);
    const ids = [...new Set(mine.flatMap((r) => r.methods.map((m) => m.id)))];
    const seeds = [...new Set(mine.map((r) => r.seed))].sort((a, b) => a - b);
    for (const id of ids) {
      const perSeed = seeds.map((seed) => {
        const m = mine.find((r) => r.seed === seed)?.methods.find((x) => x.id === id);
        return m ? m.metrics.dice.mean : NaN;
      });
      const found = mine.flatMap((r) => r.methods.filter((m) => m.id === id));
      const counts = [...new Set(found.flatMap((m) => (m.byStarts ?? []).map((b) => b.starts)))].sort((
        a,
        b,
      ) => a - b);
      const at = (k: number) => found.flatMap((m) => m.byStarts?.filter((b) => b.starts === k) ?? []);
      rows.push({
        reward,
        method: id,
        label: found[0].label,
        supervision: found[0].supervision ?? "unknown",
        dice: seedStat(found.map((m) => m.metrics.dice.mean)),
        perSeed,
        windows: seedStat(found.map((m) => m.compute.windowsScored.mean)),
        steps: seedStat(found.map((m) => m.compute.steps.mean)),
        byStarts: counts.map((k) => ({
          starts: k,
          dice: seedStat(at(k).map((b) => b.dice.mean)),
          windows: seedStat(at(k).map((b) => b.windowsScored.mean)),
        })),
      });
    }
  }
  return rows;
}

const pct = (s: SeedStat) => Number.isFinite(s.mean) ? `${(100 * s.mean).toFixed(1)}` : "-";
const pctSd = (s: SeedStat) => `${pct(s)} +- ${Number.isFinite(s.sd) ? (100 * s.sd).toFixed(1) : "-"}`;

/** The learned policy's evaluation rows, each checked on its own (argmax is not picked after the fact). */
const LEARNED: readonly { id: string; name: string }[] = [
  { id: "agents", name: "learned (sampled)" },
  { id: "agents-argmax", name: "learned (argmax)" },
];

function checksOf(rows: readonly BenchmarkRow[]): BenchmarkCheck[] {
  const checks: BenchmarkCheck[] = [];
  for (const reward of [...new Set(rows.map((r) => r.reward))]) {
    const get = (m: string) => rows.find((r) => r.reward === reward && r.method === m);
    const oracle = get("oracle");
    if (oracle) {
      checks.push({
        reward,
        claim: "oracle row is a real upper bound: Dice >= 70",
        measured: pctSd(oracle.dice),
        pass: oracle.dice.mean >= 0.7,
      });
    }
    for (const { id, name } of LEARNED) {
      const learned = get(id);
      if (learned) {
        checks.push(...learnedChecks(reward, name, learned, get("random"), get("greedy"), get("dense")));
      }
    }
  }
  return checks;
}

/** The checks of one learned row against the fixed baselines present. */
function learnedChecks(
  reward: string,
  name: string,
  agents: BenchmarkRow,
  random?: BenchmarkRow,
  greedy?: BenchmarkRow,
  dense?: BenchmarkRow,
): BenchmarkCheck[] {
  const checks: BenchmarkCheck[] = [];
  if (random) {
    const gap = agents.dice.mean - random.dice.mean;
    const apart = agents.dice.mean - (agents.dice.sd || 0) > random.dice.mean + (random.dice.sd || 0);
    checks.push({
      reward,
      claim: `${name} >= random + 10 Dice points, sd bands apart`,
      measured: `${pctSd(agents.dice)} vs ${pctSd(random.dice)} (gap ${(100 * gap).toFixed(1)})`,
      pass: gap >= 0.1 && apart,
    });
    // Seeds change the phantoms and the split too, so the paired per-seed gap is the sharper test.
    const gaps = agents.perSeed.map((d, i) => d - random.perSeed[i]);
    checks.push({
      reward,
      claim: `${name} > random on every seed (paired)`,
      measured: `gaps ${gaps.map((g) => (100 * g).toFixed(1)).join(", ")}`,
      pass: gaps.length > 0 && gaps.every((g) => g > 0),
    });
  }
  if (greedy) {
    checks.push({
      reward,
      claim: `${name} >= greedy at the same starts (windows scored reported beside)`,
      measured: `${pct(agents.dice)} at ${agents.windows.mean.toFixed(0)} windows vs ${pct(greedy.dice)} at ${
        greedy.windows.mean.toFixed(0)
      }`,
      pass: agents.dice.mean >= greedy.dice.mean,
    });
    const matched = matchedCompute(greedy, agents.windows.mean);
    if (matched) {
      checks.push({
        reward,
        claim:
          `${name} >= greedy at matched compute (greedy at the fewest starts scoring >= as many windows)`,
        measured: `${pct(agents.dice)} at ${agents.windows.mean.toFixed(0)} windows vs ${
          pct(matched.dice)
        } at ${matched.windows.mean.toFixed(0)} (greedy, ${matched.starts} starts)`,
        pass: agents.dice.mean >= matched.dice.mean,
      });
    }
  }
  if (dense) {
    const ratio = agents.dice.mean / dense.dice.mean, share = agents.windows.mean / dense.windows.mean;
    checks.push({
      reward,
      claim: `${name} >= 90% of dense Dice with <= 10% of its windows`,
      measured: `${(100 * ratio).toFixed(0)}% of dense Dice with ${(100 * share).toFixed(1)}% of its windows`,
      pass: ratio >= 0.9 && share <= 0.1,
    });
  }
  return checks;
}

/**
 * The baseline's entry at matched compute: the fewest starts at which it scores at least `windows`
 * windows per case (so the learned row never has more compute than the baseline it is compared with);
 * undefined when no reported count reaches that many.
 */
function matchedCompute(
  baseline: BenchmarkRow,
  windows: number,
): BenchmarkRow["byStarts"][number] | undefined {
  return baseline.byStarts.find((b) => b.windows.mean >= windows);
}

/** Rows per (scheme, method) and the checks, from the runs finished so far. */
export function summarizeBenchmark(runs: readonly BenchmarkRun[]): BenchmarkTable {
  const rows = rowsOf(runs);
  return { rows, checks: checksOf(rows) };
}

/** The Markdown report of a table, with the command that regenerates it and its wall time. */
export function benchmarkMarkdown(table: BenchmarkTable, meta: { command: string; seconds: number }): string {
  const lines = [
    "# SPARS Gym benchmark",
    "",
    `Command: \`${meta.command}\` (wall time ${(meta.seconds / 60).toFixed(1)} min).`,
    "Dice in % on the test split (cases with a target), mean +- sd over seeds of each seed's mean;",
    "windows scored and steps are per case. Supervision: what the row's scorer was trained with.",
    "",
    "| reward | method | supervision | Dice % | windows scored | steps | seeds |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of table.rows) {
    lines.push(
      `| ${r.reward} | ${r.label} | ${r.supervision} | ${pctSd(r.dice)} | ${r.windows.mean.toFixed(0)} | ${
        r.steps.mean.toFixed(0)
      } | ${r.dice.n} |`,
    );
  }
  lines.push(
    "",
    "## Dice against windows scored (each number of starts chosen on validation on its own)",
    "",
    "| reward | method | starts | Dice % | windows scored |",
    "| --- | --- | --- | --- | --- |",
  );
  for (const r of table.rows) {
    for (const b of r.byStarts) {
      lines.push(
        `| ${r.reward} | ${r.label} | ${b.starts} | ${pctSd(b.dice)} | ${b.windows.mean.toFixed(0)} |`,
      );
    }
  }
  lines.push(
    "",
    "## Checks (issue 10)",
    "",
    "| reward | claim | measured | holds |",
    "| --- | --- | --- | --- |",
  );
  for (const c of table.checks) {
    lines.push(`| ${c.reward} | ${c.claim} | ${c.measured} | ${c.pass ? "yes" : "NO"} |`);
  }
  return lines.join("\n") + "\n";
}
