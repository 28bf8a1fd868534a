/**
 * One table over the folds of a k-fold protocol (`train --fold I/K`, one run per fold, each
 * evaluated on its test fold): the evaluated cases of every run's `eval/eval.json` pooled, per
 * method the Dice mean and sd over all cases, the windows scored and the seconds per case. The
 * folds must not share a case (a case evaluated twice would count twice); the table says how many
 * cases it holds, so a missing fold shows.
 *
 * @module
 */
import { join } from "node:path";
import { InvalidArgumentError } from "../data/errors.ts";

/** One method's row of the pooled table. */
export interface FoldMethodRow {
  /** Method id (`agents`, `dense`, `random`, `greedy`, `oracle`, ...). */
  readonly id: string;
  /** Label of the reports. */
  readonly label: string;
  /** Supervision level of what scored its windows. */
  readonly supervision: string;
  /** Dice mean over the cases with a target (fraction, NaN without any). */
  readonly diceMean: number;
  /** Dice population sd over the same cases (NaN without any). */
  readonly diceSd: number;
  /** Cases in the Dice statistics (cases without a target are left out). */
  readonly n: number;
  /** Windows scored per case, mean over every case. */
  readonly windowsMean: number;
  /** Seconds per case (scorer, policy, map, env), mean over every case. */
  readonly secondsMean: number;
}

/** The pooled table. */
export interface FoldTable {
  /** The runs, in the order given. */
  readonly runs: readonly string[];
  /** Every evaluated case id, each exactly once. */
  readonly cases: readonly string[];
  /** One row per method present in every run, in the first run's order. */
  readonly methods: readonly FoldMethodRow[];
  /**
   * The runs' data licence lines (`Data: ...` notes, each once), and a warning when some runs read
   * their dense scores from the dense cache (their dense seconds are then not its compute cost).
   */
  readonly notes: readonly string[];
}

interface EvalJson {
  split?: string;
  notes?: unknown;
  methods: { id: string; label: string; supervision: string }[];
  cases: {
    id: string;
    methods: Record<
      string,
      { scores: { dice: number | string }; windowsScored: number; timings?: { totalMs: number } }
    >;
  }[];
}

/** Mean and population sd of `xs` (NaN for none). */
function meanSd(xs: readonly number[]): [number, number] {
  if (xs.length === 0) return [NaN, NaN];
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return [mean, Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length)];
}

/**
 * Pools the evaluations of `runs` (each `<run>/eval/eval.json`, or `<run>` itself when it is an
 * evaluation folder holding eval.json).
 * @throws {InvalidArgumentError} naming the run when an eval.json is missing or not a test-split
 *   evaluation, or when two runs evaluated the same case
 */
export async function poolFolds(runs: readonly string[]): Promise<FoldTable> {
  if (runs.length === 0) throw new InvalidArgumentError("runs", "is empty", "one run folder per fold");
  const evals: EvalJson[] = [];
  for (const run of runs) {
    const path = await Deno.stat(join(run, "eval.json")).then(
      () => join(run, "eval.json"),
      () => join(run, "eval", "eval.json"),
    );
    let json: EvalJson;
    try {
      json = JSON.parse(await Deno.readTextFile(path));
    } catch (e) {
      throw new InvalidArgumentError(
        run,
        `has no readable ${path} (${(e as Error).message})`,
        "an evaluated run",
      );
    }
    if (json.split !== "test") {
      throw new InvalidArgumentError(path, `evaluates split ${json.split}`, "the test split of its fold");
    }
    evals.push(json);
  }
  const seen = new Map<string, string>();
  evals.forEach((e, k) => {
    for (const c of e.cases) {
      const other = seen.get(c.id);
      if (other) {
        throw new InvalidArgumentError(runs[k], `evaluates case ${c.id}, as does ${other}`, "disjoint folds");
      }
      seen.set(c.id, runs[k]);
    }
  });
  const ids = evals[0].methods.map((m) => m.id).filter((id) =>
    evals.every((e) => e.methods.some((m) => m.id === id))
  );
  const methods = ids.map((id): FoldMethodRow => {
    const m = evals[0].methods.find((x) => x.id === id)!;
    const rows = evals.flatMap((e) => e.cases.map((c) => c.methods[id]).filter((r) => r !== undefined));
    const dice = rows.map((r) => Number(r.scores.dice)).filter(Number.isFinite);
    const [diceMean, diceSd] = meanSd(dice);
    return {
      id,
      label: m.label,
      supervision: m.supervision,
      diceMean,
      diceSd,
      n: dice.length,
      windowsMean: meanSd(rows.map((r) => r.windowsScored))[0],
      secondsMean: meanSd(rows.map((r) => (r.timings?.totalMs ?? NaN) / 1000))[0],
    };
  });
  return { runs: [...runs], cases: [...seen.keys()], methods, notes: foldNotes(evals) };
}

/** The notes of {@link FoldTable.notes} from the runs' eval.json notes. */
function foldNotes(evals: readonly EvalJson[]): string[] {
  const notesOf = (
    e: EvalJson,
  ) => (Array.isArray(e.notes) ? e.notes.filter((n) => typeof n === "string") : []);
  const data = [...new Set(evals.flatMap((e) => notesOf(e).filter((n) => n.startsWith("Data:"))))];
  const cached = evals.filter((e) => notesOf(e).some((n) => n.includes("read from the dense cache"))).length;
  return cached === 0 ? data : [
    ...data,
    `Dense map seconds of ${cached} of ${evals.length} runs are reads from the dense cache, not its compute ` +
    "cost (evaluate with --no-dense-cache to measure it).",
  ];
}

/** The pooled table as markdown: Dice in % (mean ± sd, n), windows and seconds per case, then the notes. */
export function foldTableMarkdown(table: FoldTable): string {
  const pct = (v: number) => (Number.isFinite(v) ? (100 * v).toFixed(1) : "n/a");
  return [
    `${table.cases.length} cases from ${table.runs.length} folds (each case evaluated once, on the fold it was held out of).`,
    "",
    "| Method | Supervision | Dice % (mean ± sd) | n | Windows scored / case | Seconds / case |",
    "|---|---|---:|---:|---:|---:|",
    ...table.methods.map((m) =>
      `| ${m.label} | ${m.supervision} | ${pct(m.diceMean)} ± ${pct(m.diceSd)} | ${m.n} | ${
        Number.isFinite(m.windowsMean) ? m.windowsMean.toFixed(0) : "n/a"
      } | ${Number.isFinite(m.secondsMean) ? m.secondsMean.toFixed(2) : "n/a"} |`
    ),
    ...(table.notes.length ? ["", ...table.notes.map((n) => `- ${n}`)] : []),
  ].join("\n");
}
