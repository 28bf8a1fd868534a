/**
 * Crash-resume check of `deno task train` (issue 11). Trains a tiny run (oracle scorer, a few
 * updates, a checkpoint every update) once without interruption, then again as a child process
 * that is SIGKILLed `--kills` times at random moments (a random delay, the appearance of a `.tmp-`
 * folder: mid checkpoint write, or of a `.trash-` folder: mid deletion of an old checkpoint) and
 * resumed with `--resume` after each kill. At the end the final checkpoint's weight files must
 * equal the uninterrupted run's byte for byte, its `state.json` must equal it but for the times
 * (`elapsedSeconds`, `createdAt`), `metrics.jsonl` must hold the same records in the same order
 * (updates 1..N once each) but for wall-time fields, the final policy's weights must be equal, no
 * listed checkpoint may be partial and no lock may be left. Prints one summary line; exit code 0
 * when everything matches, 1 otherwise.
 *
 *     deno run -A scripts/crash_resume.ts [--kills 10] [--seed N] [--updates 16] [--keep]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";

const HELP = `deno run -A scripts/crash_resume.ts [options]

Trains a tiny run (oracle scorer, a checkpoint every update) once straight, then again while
killing it with SIGKILL at random moments (random delays, mid checkpoint write, mid deletion of an
old checkpoint) and resuming it each time; checks that the final checkpoint, metrics.jsonl and
policy equal the uninterrupted run's. Prints a summary line; exit code 0 when they match.

Options (defaults in brackets):
  --kills N      kills (and resumes) [10]
  --seed N       seed of the kill moments [random, printed]
  --updates N    PPO updates of the run [24]
  --dir DIR      work folder (created; must not exist) [.tmp/crash-resume-<time>]
  --keep         keep the work folder (removed when everything matched)
  --verbose      print each attempt (trigger, what killed it, the checkpoints left)
  --help         this text
`;

/** Fields of a metrics record that measure wall time or process-local caches. */
const VOLATILE = new Set(["seconds", "stepsPerSecond", "rolloutSeconds", "updateSeconds", "evalSeconds"]);
const volatile = (key: string) => VOLATILE.has(key) || key === "scorerCacheHitRate" || key === "tensors";

const ROOT = new URL("..", import.meta.url).pathname;

function trainArgs(updates: number): string[] {
  return [
    ...["--scorer", "oracle", "--phantoms", "8", "--phantom-shape", "16x32x32", "--window", "8x16x16"],
    ...["--observation-shape", "4x8x8", "--num-envs", "2", "--num-steps", "16", "--minibatch-size", "16"],
    ...["--update-epochs", "1", "--checkpoint-every", "1", "--keep-checkpoints", "2"],
    ...["--competitor-update-every", "2", "--total-steps", String(updates * 32), "--no-eval"],
  ];
}

/** A small seeded generator (mulberry32) for the kill moments. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function spawn(args: string[]): Deno.ChildProcess {
  const perms = ["--allow-read", "--allow-write=.tmp,runs", "--allow-env", "--allow-ffi"];
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...perms, "train/train_cli.ts", ...args],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

async function drain(child: Deno.ChildProcess): Promise<string> {
  return new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
}

async function names(dir: string): Promise<string[]> {
  try {
    const out: string[] = [];
    for await (const e of Deno.readDir(dir)) out.push(e.name);
    return out.sort();
  } catch {
    return [];
  }
}

type Trigger = "time" | "tmp" | "trash";

/**
 * Runs one child until it exits, or SIGKILLs it when the trigger fires (the `skip`+1-th matching
 * folder appears) or, failing that, after `delayMs`. Returns what killed it (if anything), its exit
 * code and its stderr.
 */
async function runUntil(
  args: string[],
  watchDir: string,
  trigger: Trigger,
  delayMs: number,
  skip: number,
): Promise<{ killed?: Trigger; code: number; log: string }> {
  const child = spawn(args);
  const log = drain(child);
  let killed: Trigger | undefined;
  const kill = (by: Trigger) => {
    if (killed) return;
    killed = by;
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
  };
  const watcher = Deno.watchFs(watchDir, { recursive: true });
  const watching = (async () => {
    let seen = 0;
    for await (const event of watcher) {
      if (trigger === "time") continue;
      const mark = trigger === "tmp" ? "/.tmp-" : ".trash-";
      if (event.paths.some((p) => p.includes(mark) && p.includes("checkpoints")) && seen++ >= skip) {
        kill(trigger);
      }
    }
  })();
  const timer = Number.isFinite(delayMs) ? setTimeout(() => kill("time"), delayMs) : undefined;
  const status = await child.status;
  clearTimeout(timer);
  watcher.close();
  await watching;
  return { killed, code: status.code, log: await log };
}

async function equalBytes(a: string, b: string): Promise<boolean> {
  const [x, y] = [await Deno.readFile(a), await Deno.readFile(b)];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

async function metricsLines(run: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(join(run, "metrics.jsonl"));
  return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

function stable(record: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(record).filter(([k]) => !volatile(k))));
}

/** Compares the crashed run with the reference; returns the failures (empty when they match). */
async function compare(reference: string, crashed: string, updates: number): Promise<string[]> {
  const failures: string[] = [];
  const name = `update-${String(updates).padStart(8, "0")}`;
  const [ra, rb] = [join(reference, "checkpoints", name), join(crashed, "checkpoints", name)];
  for (const file of ["learner.bin", "optimizer.bin", "opponent.bin", "pool.bin"]) {
    if (!(await equalBytes(join(ra, file), join(rb, file)))) failures.push(`${name}/${file} differs`);
  }
  const strip = (s: Record<string, unknown>) => JSON.stringify({ ...s, elapsedSeconds: 0, createdAt: "" });
  const [sa, sb] = [
    JSON.parse(await Deno.readTextFile(join(ra, "state.json"))),
    JSON.parse(await Deno.readTextFile(join(rb, "state.json"))),
  ];
  if (strip(sa) !== strip(sb)) failures.push(`${name}/state.json differs`);
  const [ma, mb] = [await metricsLines(reference), await metricsLines(crashed)];
  const order = mb.map((r) => r.update).join(",");
  const want = Array.from({ length: updates }, (_, i) => i + 1).join(",");
  if (order !== want) failures.push(`metrics.jsonl updates are ${order}, expected ${want}`);
  const differing = ma.filter((r, i) => stable(r) !== (mb[i] ? stable(mb[i]) : ""));
  if (differing.length) {
    failures.push(`metrics.jsonl: ${differing.length} records differ (first: update ${differing[0].update})`);
  }
  const policy = ["policy", "weights.bin"];
  if (!(await equalBytes(join(reference, ...policy), join(crashed, ...policy)))) {
    failures.push("policy differs");
  }
  const leftovers = (await names(join(crashed, "checkpoints"))).filter((n) => !/^update-\d{8}$/.test(n));
  if (leftovers.some((n) => !n.startsWith(".invalid-"))) {
    failures.push(`checkpoints/ holds ${leftovers.join(", ")}`);
  }
  if ((await names(crashed)).includes(".spars-gym.lock")) failures.push("the run's lock file was left");
  return failures;
}

/** Runs the check; returns the exit code. */
async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      kills: { type: "string", default: "10" },
      seed: { type: "string" },
      updates: { type: "string", default: "24" },
      dir: { type: "string" },
      keep: { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const kills = Number(values.kills), updates = Number(values.updates);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  if (![kills, updates, seed].every(Number.isInteger) || kills < 0 || updates < 2) {
    console.error("error: --kills, --updates and --seed must be integers (--updates >= 2)");
    return 2;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const dir = values.dir ?? join(ROOT, ".tmp", `crash-resume-${stamp}`);
  await Deno.mkdir(dir, { recursive: true });
  if ((await names(dir)).length) {
    console.error(`error: --dir ${dir} is not empty (expected a new folder)`);
    return 2;
  }
  const reference = join(dir, "reference"), crashed = join(dir, "crashed");
  const args = trainArgs(updates);
  console.error(`crash-resume: seed ${seed}, ${kills} kills, ${updates} updates, in ${dir}`);

  const t0 = performance.now();
  const straight = await runUntil(["--run", reference, ...args], dir, "time", Infinity, 0);
  if (straight.code !== 0) {
    console.error(straight.log);
    console.log(`crash-resume: FAIL (the uninterrupted run exited with ${straight.code})`);
    return 1;
  }
  const duration = performance.now() - t0;
  const random = rng(seed);
  const triggers: Trigger[] = ["time", "tmp", "trash"];
  const counts = { time: 0, tmp: 0, trash: 0, partial: 0, resumes: 0, warnings: 0 };
  let done = 0, attempts = 0, finished = false;
  while (!finished && attempts < kills + 20) {
    attempts++;
    const resume = (await names(crashed)).includes("config.json");
    const childArgs = resume ? ["--resume", crashed] : ["--run", crashed, ...args];
    if (resume) counts.resumes++;
    const trigger = done < kills ? triggers[done % 3] : "time";
    // Event kills fall back to a later random time when their folder does not appear.
    const delay = done < kills
      ? (trigger === "time" ? 300 + random() * duration / 2 : 2 * duration)
      : Infinity;
    const skip = Math.floor(random() * 3);
    const r = await runUntil(childArgs, dir, trigger, delay, skip);
    counts.warnings += (r.log.match(/warning: skipping the invalid checkpoint/g) ?? []).length;
    const listed = (await names(join(crashed, "checkpoints"))).join(" ");
    if (values.verbose) {
      console.error(`  ${childArgs[0]}: ${trigger}, killed by ${r.killed}, exit ${r.code}; ${listed}`);
    }
    if (r.killed) {
      done++;
      counts[r.killed]++;
      const left = (await names(join(crashed, "checkpoints"))).filter((n) => n.startsWith("."));
      if (left.some((n) => n.startsWith(".tmp-") || n.includes(".trash-"))) counts.partial++;
    } else if (r.code === 0) {
      finished = true;
    } else {
      console.error(r.log);
      console.log(`crash-resume: FAIL (a resumed run exited with ${r.code})`);
      return 1;
    }
  }
  const failures = finished ? await compare(reference, crashed, updates) : ["the run never finished"];
  const seconds = ((performance.now() - t0) / 1000).toFixed(0);
  console.log(
    `crash-resume: ${done} SIGKILLs (${counts.time} at random times, ${counts.tmp} on a .tmp- checkpoint ` +
      `write, ${counts.trash} on a .trash- deletion; ${counts.partial} left a partial folder), ` +
      `${counts.resumes} resumes, ${counts.warnings} invalid-checkpoint warnings; final update ${updates}: ` +
      (failures.length
        ? `FAIL: ${failures.join("; ")}`
        : "checkpoint .bin files byte-identical, state.json and metrics.jsonl identical but for wall " +
          "times, policy identical, no leftovers or lock: PASS") +
      ` (seed ${seed}, ${seconds} s)`,
  );
  if (!failures.length && !values.keep) await Deno.remove(dir, { recursive: true });
  return failures.length ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
