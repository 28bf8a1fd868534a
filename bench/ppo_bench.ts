/**
 * End-to-end PPO benchmark: env steps per second of self-play training (rollout + update) on
 * phantoms, with the settings of the `default` preset of `deno task train` and of the `paper`
 * preset (one game, n_steps 32, batch 8, 1 epoch, 24x48x48 windows on 48x96x96 phantoms), and the
 * projected wall time of the paper's 320,000-step run on this machine. The default preset runs
 * twice in one process: the policy on tfjs `cpu` for rollouts and updates (the path before this
 * package's fast paths) and as `deno task train` runs it (rollouts' forward passes on onnxruntime,
 * PPO updates on `wasm`), and the ratio is printed.
 *
 *     deno run --allow-read --allow-env --allow-ffi bench/ppo_bench.ts [options]
 *
 * Options: --scorer onnx|classifier|oracle [onnx] (the classifier is an untrained network of the
 * default architecture with the preset's window as input, as fast as a trained one, run as
 * `deno task train` runs it: exported to ONNX on onnxruntime; `classifier` runs it on tfjs),
 * --classifier-backend NAME [wasm], --backend NAME (policy) [wasm], --policy-runtime onnx|tfjs
 * [onnx] (rollouts' forward passes), --baseline-backend NAME|none [cpu] (policy backend of the
 * comparison run, rollouts and updates on tfjs), --rounds N [3] (the two paths alternate N times;
 * the median ratio is printed), --updates N [4] measured updates
 * of the default preset after one warm-up update, --paper-updates N|full [24] for the paper preset
 * (`full`: the preset's whole run, 10,000 updates = 320,000 steps, about 10 minutes here: its wall
 * time is then measured, not projected, and printed beside the projection).
 *
 * Schedules: the short benchmark run uses the preset's FULL run's periods (default: reference matches
 * and opponent refreshes every 32 of 256 updates; "auto" over a 6-update run would mean every update).
 * The measured updates exclude the first (warm-up) and the last (a run's last update always plays its
 * reference matches); the last one's match time is then amortised as the full run's schedule plays
 * it (9 times in 256 updates by default) and added to the per-step cost.
 *
 * Episodes run with tau = 1 (no early termination: an untrained classifier would otherwise end
 * most episodes at their first step, which would measure nothing) and the step limit of 128.
 * Every step asks the scorer for 2 windows per game (and every episode start for 2 more) through the
 * env's score cache, so the scorer's share falls as the cache fills. The projection therefore adds
 * the steady-state cost per step (policy, env, PPO update: everything but scorer calls) times
 * 320,000 to the cost of the windows the classifier can be asked for at most: a run scores a window
 * only on a cache miss, so no more windows than the lattice of the training volumes and no more
 * than the run can miss: 2 per step plus its episodes' start windows (the paper preset's centre
 * starts: one window per training volume, whatever the episodes' lengths; random starts: 2 per
 * episode start, at the measured episode rate, with the worst case of one-step episodes printed).
 *
 * @module
 */
import { phantomDataset } from "../data/dataset.ts";
import type { Case, Vec3, Volume } from "../data/types.ts";
import { latticeCorners } from "../env/geometry.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import type { Scorer, ScoreRequest } from "../env/scorer.ts";
import { type BackendName, initBackend } from "../models/backend.ts";
import { buildClassifier } from "../models/classifier.ts";
import { ClassifierScorer } from "../models/classifier_scorer.ts";
import { loadOnnxRuntime, type OnnxRuntime } from "../models/onnx_runtime.ts";
import { OnnxClassifierScorer } from "../models/onnx_scorer.ts";
import { BackendScorer } from "../train/backend_scorer.ts";
import { type PresetName, PRESETS } from "../train/train_config.ts";
import { ProgressBar } from "../train/progress.ts";
import { isDue, resolveEvery } from "../train/progress_metrics.ts";
import { trainSelfPlay, type UpdateRecord } from "../train/self_play.ts";
import { benchArgs, type BenchCli } from "./_cli.ts";
import { median } from "./network_timing.ts";

/** The command line (`--help` prints it). */
export const CLI: BenchCli = {
  usage: "deno task bench:ppo [options]",
  about: `Env steps per second of self-play PPO training (rollout + update) on phantoms with the default
and paper presets, and the projected wall time of the paper's 320,000-step run on this machine.`,
  options: {
    scorer: {
      default: "onnx",
      help: "onnx (as deno task train) | classifier (tfjs on --classifier-backend) | oracle; untrained",
    },
    "classifier-backend": { default: "wasm", help: "tfjs backend of the classifier" },
    backend: { default: "wasm", help: "tfjs backend of the policy (PPO updates; rollouts with tfjs)" },
    "policy-runtime": {
      default: "onnx",
      help: "what runs the rollouts' policy forward passes: onnx (as deno task train) | tfjs",
    },
    "baseline-backend": {
      default: "cpu",
      help: "policy backend of the comparison run of the default preset (none: skip it)",
    },
    updates: { default: "4", help: "measured updates of the default preset (after one warm-up)" },
    rounds: { default: "3", help: "rounds of the default preset, each path once per round (alternating)" },
    "paper-updates": {
      default: "24",
      help: "measured updates of the paper preset; full: its whole 320,000-step run, timed end to end",
    },
  },
};
// Imported (by tests) the module reads no arguments and measures nothing.
const args = benchArgs(CLI, import.meta.main ? Deno.args : []);

/** Counts the time spent in the scorer and the windows it scored. */
class TimedScorer implements Scorer {
  readonly id: string;
  seconds = 0;
  windows = 0;
  constructor(readonly inner: Scorer) {
    this.id = inner.id;
  }
  async score(volume: Volume, corners: Int32Array, size: Vec3): Promise<Float32Array> {
    return (await this.scoreBatch([{ volume, corners }], size))[0];
  }
  async scoreBatch(requests: readonly ScoreRequest[], size: Vec3): Promise<Float32Array[]> {
    const t = performance.now();
    try {
      return this.inner.scoreBatch
        ? await this.inner.scoreBatch(requests, size)
        : await Promise.all(requests.map((r) => this.inner.score(r.volume, r.corners, size)));
    } finally {
      this.seconds += (performance.now() - t) / 1000;
      this.windows += requests.reduce((n, r) => n + r.corners.length / 3, 0);
    }
  }
}

/** Per-step costs of one preset. */
interface Measure {
  secondsPerStep: number;
  scorerSecondsPerStep: number;
  scorerSecondsPerWindow: number;
  trainVolumes: number;
  lattice: number;
  /** Windows requested from the env's score cache per env step (2 per step + 2 per episode start). */
  requestsPerStep: number;
  /** The whole training call, warm-up and last update included: steps, wall seconds, windows scored. */
  run: { steps: number; seconds: number; windows: number; scorerSeconds: number };
}

const policyBackend = args.backend as BackendName;
const baselineBackend = args["baseline-backend"];
const classifierBackend = args["classifier-backend"] as BackendName;
const PAPER_FULL_UPDATES = Math.floor(
  PRESETS.paper.totalSteps / (PRESETS.paper.numEnvs * PRESETS.paper.ppo.numSteps),
);
/** Measured updates of a flag: a positive integer, or `full` where allowed (the run less its first and last). */
function measuredUpdates(flag: string, value: string, fullUpdates?: number): number {
  if (fullUpdates !== undefined && value === "full") return fullUpdates - 2;
  const n = Number(value);
  if (Number.isInteger(n) && n >= 1) return n;
  console.error(`--${flag} is ${value}; expected a positive integer${fullUpdates ? " or full" : ""}`);
  Deno.exit(2);
}
const defaultUpdates = measuredUpdates("updates", args.updates);
const paperUpdates = measuredUpdates("paper-updates", args["paper-updates"], PAPER_FULL_UPDATES);
if (!(Number.isInteger(Number(args.rounds)) && Number(args.rounds) >= 1)) {
  console.error(`--rounds is ${args.rounds}; expected a positive integer`);
  Deno.exit(2);
}
if (!["onnx", "tfjs"].includes(args["policy-runtime"])) {
  console.error(`--policy-runtime is ${args["policy-runtime"]}; expected onnx or tfjs`);
  Deno.exit(2);
}
const policyRuntime = args["policy-runtime"] === "onnx" && import.meta.main
  ? await loadOnnxRuntime()
  : undefined;
const rolloutsOn = (runtime: OnnxRuntime | null | undefined, backend: string) =>
  runtime ? `rollouts on onnxruntime, updates on ${backend}` : `policy on ${backend}`;

async function measure(
  preset: PresetName,
  updates: number,
  backend = policyBackend,
  rolloutRuntime: OnnxRuntime | null = policyRuntime ?? null,
): Promise<Measure> {
  const p = PRESETS[preset];
  const window = p.env.window;
  const train: Case[] = [];
  const dataset = phantomDataset({ count: p.data.count, seed: p.data.seed, shape: p.data.shape });
  for await (const c of dataset.split("train").cases()) train.push(c);
  let inner: Scorer;
  if (args.scorer === "oracle") {
    inner = new OracleScorer(train, { target: 2 });
  } else if (args.scorer === "onnx") {
    // As `deno task train` (classifier.runtime onnx): the exported graph on onnxruntime.
    const runtime = await loadOnnxRuntime();
    await initBackend("cpu", { quiet: true });
    const model = buildClassifier({ inputShape: window }, 0);
    inner = await OnnxClassifierScorer.fromModel(model, p.classifier.intensityWindow, {
      batchSize: 16,
      runtime,
    });
    model.dispose();
  } else {
    await initBackend(classifierBackend, { quiet: true });
    const model = buildClassifier({ inputShape: window }, 0);
    inner = new BackendScorer(
      await ClassifierScorer.fromModel(model, p.classifier.intensityWindow, { batchSize: 16 }),
      classifierBackend,
    );
  }
  await initBackend(backend, { quiet: true });
  const timed = new TimedScorer(inner);
  const records: { r: UpdateRecord; wall: number; scorer: number; windows: number }[] = [];
  let lastScorer = 0, lastWindows = 0, lastWall = performance.now();
  const stepsPerUpdate = p.numEnvs * p.ppo.numSteps;
  // The schedules of the preset's full run, not of this short one (whose "auto" periods resolve to
  // every update: reference matches after each update, 32x the default run's cadence).
  const fullUpdates = Math.max(1, Math.floor(p.totalSteps / stepsPerUpdate));
  const referenceEvery = resolveEvery("referenceEvery", "auto", fullUpdates, "floor");
  const competitorUpdateEvery = resolveEvery(
    "competitorUpdateEvery",
    p.selfPlay.competitorUpdateEvery,
    fullUpdates,
    "round",
    1,
  );
  const totalSteps = stepsPerUpdate * (updates + 2);
  const bar = new ProgressBar({ total: totalSteps, label: `${preset} preset`, unit: "steps" });
  const runStart = performance.now();
  const result = await trainSelfPlay({
    cases: train,
    scorer: timed,
    env: { ...p.env, tau: 1 },
    numEnvs: p.numEnvs,
    // warm-up + measured + a last update (reference matches run after a run's last update)
    totalSteps,
    referenceEvery,
    seed: p.seed,
    network: { ...p.network, intensityWindow: p.classifier.intensityWindow },
    ppo: p.ppo,
    pool: p.selfPlay.pool,
    competitorUpdateEvery,
    policyRuntime: rolloutRuntime ?? undefined,
    checkpointEvery: 0,
    progress: bar,
    onUpdate: (r) => {
      const now = performance.now();
      const wall = (now - lastWall) / 1000;
      records.push({ r, wall, scorer: timed.seconds - lastScorer, windows: timed.windows - lastWindows });
      lastWall = now;
      lastScorer = timed.seconds;
      lastWindows = timed.windows;
    },
  });
  const runSeconds = (performance.now() - runStart) / 1000;
  bar.finish();
  result.network.dispose();
  // The first update warms up kernels and caches (and runs the reference matches); the last runs them.
  const measured = records.slice(1, -1);
  const steps = measured.length * stepsPerUpdate;
  const sum = (f: (m: (typeof measured)[number]) => number) => measured.reduce((s, m) => s + f(m), 0);
  // The reference matches, amortised over the full run as its schedule runs them.
  const matchSeconds = records[records.length - 1].r.evalSeconds;
  let matches = 0;
  for (let u = 1; u <= fullUpdates; u++) if (isDue(referenceEvery, u, fullUpdates, true)) matches++;
  const matchSecondsPerStep = matchSeconds * matches / (fullUpdates * stepsPerUpdate);
  // Wall time between update callbacks: everything training does, scorer calls included.
  const seconds = sum((m) => m.wall) + matchSecondsPerStep * steps;
  const rollout = sum((m) => m.r.rolloutSeconds),
    update = sum((m) => m.r.updateSeconds),
    scorer = sum((m) => m.scorer),
    windows = sum((m) => m.windows);
  console.log(
    `${preset} preset, ${
      rolloutsOn(rolloutRuntime, backend)
    } (${p.numEnvs} game(s), n_steps ${p.ppo.numSteps}, minibatch ${p.ppo.minibatchSize}, ` +
      `${p.ppo.updateEpochs} epoch(s), window ${window.join("x")} on ${p.data.shape.join("x")}, ` +
      `observation ${p.env.observationShape.join("x")}): ${
        (steps / seconds).toFixed(1)
      } env steps/s over ${steps} steps; ` +
      `${(1000 * seconds / steps).toFixed(2)} ms/step (wall) = rollout ${
        (1000 * rollout / steps).toFixed(2)
      } ` +
      `+ update ${(1000 * update / steps).toFixed(2)} + reference matches ${
        (1000 * matchSecondsPerStep).toFixed(2)
      } (${matchSeconds.toFixed(2)} s x ${matches} in the ${fullUpdates}-update run) + other ${
        (1000 * (seconds - rollout - update - matchSecondsPerStep * steps) / steps).toFixed(2)
      }; scorer calls ${(1000 * scorer / steps).toFixed(2)} ms/step for ${windows} new windows` +
      `${windows ? ` (${(1000 * scorer / windows).toFixed(1)} ms/window)` : ""}`,
  );
  return {
    secondsPerStep: seconds / steps,
    scorerSecondsPerStep: scorer / steps,
    scorerSecondsPerWindow: windows ? scorer / windows : 0,
    trainVolumes: train.length,
    lattice: latticeCorners(p.data.shape, window, p.env.stride).corners.length / 3,
    requestsPerStep: 2 + 2 * sum((m) => m.r.episodes) / steps,
    run: { steps: totalSteps, seconds: runSeconds, windows: timed.windows, scorerSeconds: timed.seconds },
  };
}

if (import.meta.main) {
  console.log(
    `PPO benchmark: scorer ${args.scorer} on ${classifierBackend}, ${
      rolloutsOn(policyRuntime, policyBackend)
    }`,
  );
  const rounds = Number(args.rounds);
  if (baselineBackend === "none") await measure("default", defaultUpdates);
  else {
    // The two paths alternate, round after round, so that a drift of the machine's speed falls on
    // both: the ratio of each round is printed, and their median.
    const ratios: number[] = [], steadyRatios: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const current = await measure("default", defaultUpdates);
      // The path before this package's fast paths: tfjs on one backend for rollouts and updates.
      const baseline = await measure("default", defaultUpdates, baselineBackend as BackendName, null);
      const rate = (m: Measure) => (1 / m.secondsPerStep).toFixed(1);
      const steady = (m: Measure) => m.secondsPerStep - m.scorerSecondsPerStep;
      ratios.push(baseline.secondsPerStep / current.secondsPerStep);
      steadyRatios.push(steady(baseline) / steady(current));
      console.log(
        `round ${round}: default preset, ${rolloutsOn(policyRuntime, policyBackend)} ${rate(current)} env ` +
          `steps/s vs tfjs ${baselineBackend} for both ${rate(baseline)}: ${ratios.at(-1)!.toFixed(2)}x; ` +
          `without the scorer's calls (the same on both): ${steadyRatios.at(-1)!.toFixed(2)}x`,
      );
    }
    const spread = (xs: number[]) =>
      `median ${median(xs).toFixed(2)}x (${xs.map((x) => x.toFixed(2)).join(", ")})`;
    console.log(
      `default preset over ${rounds} round(s): ${spread(ratios)}; without the scorer's calls ` +
        `${spread(steadyRatios)} (same process, same settings)`,
    );
  }
  const paper = await measure("paper", paperUpdates);
  const steps = PRESETS.paper.totalSteps;
  const steady = steps * (paper.secondsPerStep - paper.scorerSecondsPerStep);
  const lattice = paper.lattice * paper.trainVolumes;
  // Windows a run can miss: 2 per step, plus its episodes' start windows. Centre starts put both
  // agents on one corner per volume, so those are one window per training volume whatever the
  // episodes' lengths; random starts add 2 per episode start (at most 2 per step).
  const centred = PRESETS.paper.env.start === "center";
  const startWindows = centred ? paper.trainVolumes : steps * (paper.requestsPerStep - 2);
  const bound = 2 * steps + startWindows;
  const scoring = Math.min(bound, lattice) * paper.scorerSecondsPerWindow / 60;
  const worst = centred ? scoring : Math.min(4 * steps, lattice) * paper.scorerSecondsPerWindow / 60;
  console.log(
    `projection of the paper's ${steps.toLocaleString("en")}-step run: ${(steady / 60).toFixed(1)} min of ` +
      `policy/env/update + at most ${scoring.toFixed(1)} min of scoring (${
        Math.min(bound, lattice)
      } windows at ${(1000 * paper.scorerSecondsPerWindow).toFixed(2)} ms: the fewer of the ${lattice} ` +
      `lattice windows of ${paper.trainVolumes} training volumes and the ${bound} a run can miss, 2 per step ` +
      `+ ${
        centred
          ? `1 centre start per volume, whatever the episodes' lengths`
          : `2 per episode start at the measured rate (${(steady / 60 + worst).toFixed(1)} min if every ` +
            `episode ended after one step)`
      }) = ${(steady / 60 + scoring).toFixed(1)} min (the paper: 96 h on a V100; goal: under 30 min)`,
  );
  const run = paper.run;
  if (run.steps === steps) {
    console.log(
      `the paper's ${steps.toLocaleString("en")}-step run, measured end to end: ${
        (run.seconds / 60).toFixed(1)
      } ` +
        `min of training wall time (every update, the reference matches and the scorer included; ` +
        `${run.windows} windows scored, ${(run.windows / steps).toFixed(2)} per step, in ` +
        `${(run.scorerSeconds / 60).toFixed(1)} min at ${
          (1000 * run.scorerSeconds / run.windows).toFixed(2)
        } ms; ` +
        `tau = 1: every episode runs its ${PRESETS.paper.env.maxSteps} steps) (goal: under 30 min)`,
    );
  }
}
