/**
 * NIfTI reader fuzzer (issue 11). Generates mutated NIfTI files (`fuzz_nifti_cases.ts`), reads each
 * with the package's readers in a worker (one per batch; a read that exceeds the per-file timeout is
 * a hang: the worker is terminated and the next batch starts after that case), and classifies every
 * result against an independent reference decoder (`fuzz_nifti_reference.ts`):
 * accepted-consistent, rejected-typed (a SparsGymError naming the file), crash (any other error),
 * hang, accepted-inconsistent (the reader returned data the reference refuses or decodes differently).
 * Peak memory is the process RSS (Deno.memoryUsage), sampled every 20 ms and after every read.
 *
 *   deno run --allow-read --allow-write=.tmp scripts/fuzz_nifti.ts [--count 10000] [--seed 1]
 *
 * Exits with status 1 when there is any crash, hang or accepted-inconsistent result.
 *
 * @module
 */
import type { Outcome } from "./fuzz_nifti_classify.ts";
import type { WorkerJob, WorkerMessage } from "./fuzz_nifti_worker.ts";

const HELP = `Fuzzes the NIfTI readers with mutated headers, truncations, corrupt gzip streams and gzip bombs.

Usage: deno run --allow-read --allow-write=.tmp scripts/fuzz_nifti.ts [options]

Options:
  --count N        number of generated files (default 10000)
  --seed S         seed of the generator; case i of seed S is always the same file (default 1)
  --batch N        cases per worker (default 500)
  --timeout-ms T   per-file read timeout that counts as a hang (default 10000)
  --path-every K   every K-th case is written under .tmp/fuzz-nifti/ and read by path (default 10; 0: never)
  --max-bomb-mib M largest gzip bomb, in MiB it inflates to (default 4096; 1% of cases are bombs)
  --verbose        print every crash, hang and accepted-inconsistent case as it happens
  --help           this text

Prints counts per outcome, crashes 0, hangs 0, accepted-inconsistent 0 and the peak memory.`;

interface Options {
  count: number;
  seed: number;
  batch: number;
  timeoutMs: number;
  pathEvery: number;
  maxBombMiB: number;
  verbose: boolean;
}

function parseArgs(args: string[]): Options {
  const o: Options = {
    count: 10000,
    seed: 1,
    batch: 500,
    timeoutMs: 10000,
    pathEvery: 10,
    maxBombMiB: 4096,
    verbose: false,
  };
  const numeric: Record<string, keyof Options> = {
    "--count": "count",
    "--seed": "seed",
    "--batch": "batch",
    "--timeout-ms": "timeoutMs",
    "--path-every": "pathEvery",
    "--max-bomb-mib": "maxBombMiB",
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--help" || a === "-h") {
      console.log(HELP);
      Deno.exit(0);
    } else if (a === "--verbose") o.verbose = true;
    else if (a in numeric) {
      const value = Number(args[++i]);
      if (!(Number.isSafeInteger(value) && value >= 0)) {
        console.error(`${a}: expected a non-negative integer, got ${JSON.stringify(args[i])}`);
        Deno.exit(2);
      }
      (o as unknown as Record<string, number>)[numeric[a]] = value;
    } else {
      console.error(`unknown option ${JSON.stringify(a)} (see --help)`);
      Deno.exit(2);
    }
  }
  if (o.batch < 1 || o.timeoutMs < 1) {
    console.error("--batch and --timeout-ms must be >= 1");
    Deno.exit(2);
  }
  return o;
}

const OUTCOMES: Outcome[] = [
  "accepted-consistent",
  "rejected-typed",
  "crash",
  "hang",
  "accepted-inconsistent",
];

interface Tally {
  counts: Record<Outcome, number>;
  overRejected: number;
  overExamples: string[];
  examples: string[];
  kinds: Map<string, Record<Outcome, number>>;
  peakRss: number;
  slowestMs: number;
}

/** Runs cases `start..end-1` in one worker; resolves with the next case to run (after a hang: the case after it). */
function runBatch(o: Options, dir: string, start: number, end: number, t: Tally): Promise<number> {
  const worker = new Worker(new URL("./fuzz_nifti_worker.ts", import.meta.url).href, { type: "module" });
  return new Promise<number>((resolve) => {
    let current = -1, startedAt = 0, finished = false;
    const finish = (next: number): void => {
      if (finished) return;
      finished = true;
      clearInterval(watchdog);
      worker.terminate();
      resolve(next);
    };
    const record = (index: number, outcome: Outcome, kind: string, detail: string): void => {
      t.counts[outcome]++;
      const k = t.kinds.get(kind.split("+")[0]) ??
        Object.fromEntries(OUTCOMES.map((x) => [x, 0])) as Record<Outcome, number>;
      k[outcome]++;
      t.kinds.set(kind.split("+")[0], k);
      if (outcome === "crash" || outcome === "hang" || outcome === "accepted-inconsistent") {
        const line = `  ${outcome} case ${index} (seed ${o.seed}, ${kind}): ${detail}`;
        if (t.examples.length < 20) t.examples.push(line);
        if (o.verbose) console.log(line);
      }
    };
    const watchdog = setInterval(() => {
      t.peakRss = Math.max(t.peakRss, Deno.memoryUsage().rss);
      if (current >= 0 && performance.now() - startedAt > o.timeoutMs) {
        record(current, "hang", "?", `no result after ${o.timeoutMs} ms`);
        finish(current + 1);
      }
    }, 20);
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      const m = e.data;
      if (m.type === "start") {
        current = m.index;
        startedAt = performance.now();
      } else if (m.type === "result") {
        t.slowestMs = Math.max(t.slowestMs, performance.now() - startedAt);
        current = -1;
        t.peakRss = Math.max(t.peakRss, m.rss);
        if (m.overRejected) {
          t.overRejected++;
          if (t.overExamples.length < 8) t.overExamples.push(`  case ${m.index} (${m.kind}): ${m.detail}`);
        }
        record(m.index, m.outcome, m.kind, m.detail);
      } else finish(end);
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      const at = current >= 0 ? current : start;
      record(at, "crash", "?", `worker error: ${e.message}`);
      finish(at + 1);
    };
    worker.postMessage(
      { seed: o.seed, start, end, pathEvery: o.pathEvery, dir, maxBombMiB: o.maxBombMiB } satisfies WorkerJob,
    );
  });
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

async function main(): Promise<void> {
  const o = parseArgs(Deno.args);
  const dir = new URL("../.tmp/fuzz-nifti", import.meta.url).pathname;
  await Deno.mkdir(dir, { recursive: true });
  const t: Tally = {
    counts: Object.fromEntries(OUTCOMES.map((x) => [x, 0])) as Record<Outcome, number>,
    overRejected: 0,
    overExamples: [],
    examples: [],
    kinds: new Map(),
    peakRss: Deno.memoryUsage().rss,
    slowestMs: 0,
  };
  const t0 = performance.now();
  console.log(
    `fuzz_nifti: ${o.count} files, seed ${o.seed}, batches of ${o.batch}, timeout ${o.timeoutMs} ms`,
  );
  for (let next = 0; next < o.count;) {
    next = await runBatch(o, dir, next, Math.min(o.count, next + o.batch), t);
    if (next % 2000 < o.batch) console.log(`  ${next} / ${o.count} read, peak RSS ${mib(t.peakRss)}`);
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  console.log(`\nby mutation kind (${OUTCOMES.join(" / ")}):`);
  for (const [kind, k] of [...t.kinds].sort()) {
    console.log(`  ${kind.padEnd(14)} ${OUTCOMES.map((x) => k[x]).join(" / ")}`);
  }
  console.log("\noutcomes:");
  for (const x of OUTCOMES) console.log(`  ${x.padEnd(22)} ${t.counts[x]}`);
  console.log(
    `  (of rejected-typed, files the reference decodes, e.g. refused for their affine: ${t.overRejected})`,
  );
  if (t.overExamples.length) console.log(t.overExamples.join("\n"));
  if (t.examples.length) console.log(`\nfirst failures:\n${t.examples.join("\n")}`);
  console.log(
    `\ncrashes ${t.counts.crash}, hangs ${t.counts.hang}, accepted-inconsistent ${
      t.counts["accepted-inconsistent"]
    }`,
  );
  console.log(
    `peak memory (RSS) ${mib(t.peakRss)}; slowest read ${t.slowestMs.toFixed(0)} ms; total ${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s`,
  );
  const bad = t.counts.crash + t.counts.hang + t.counts["accepted-inconsistent"];
  Deno.exit(bad > 0 ? 1 : 0);
}

if (import.meta.main) await main();
