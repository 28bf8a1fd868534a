/**
 * Memory: resident set size (RSS) at the start and end of 100,000 env steps (a VectorEnv of 16
 * games on a 180x256x256 phantom, window 24x48x48, observation 12x24x24, both observations read,
 * cached oracle scorer) and of a training run with the `default` preset's settings (policy updates
 * on wasm, rollouts on onnxruntime, oracle scorer so that no classifier is trained first), with
 * tfjs' tensor count. The
 * score cache and the per-case observation memo grow to their bounds first, so the training run
 * also prints RSS over its second half: flat there means no leak. With `--v8-flags=--expose-gc`
 * (the task passes it) every reading follows a full collection, so garbage V8 has not yet
 * collected does not count, and the live JS heap is printed too.
 *
 *     deno run --allow-read --allow-env --allow-sys --allow-ffi bench/memory_bench.ts [--steps N] [--train-steps N]
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { phantomDataset } from "../data/dataset.ts";
import { generatePhantom } from "../data/phantom.ts";
import { Rng } from "../data/random.ts";
import type { Case } from "../data/types.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { VectorEnv } from "../env/vector_env.ts";
import { initBackend } from "../models/backend.ts";
import { loadOnnxRuntime } from "../models/onnx_runtime.ts";
import { trainSelfPlay } from "../train/self_play.ts";
import { PRESETS } from "../train/train_config.ts";
import { benchArgs, type BenchCli } from "./_cli.ts";

/** The command line (`--help` prints it). */
export const CLI: BenchCli = {
  usage: "deno task bench:memory [options]",
  about: `Resident set size at the start and end of many env steps and of a default-preset training run.`,
  options: {
    steps: { default: "100000", help: "game-steps of the VectorEnv of 16 games (0: skip)" },
    "train-steps": { default: "16384", help: "env steps of the training run (0: skip; the preset: 16384)" },
    "observation-cache-mib": {
      default: "default",
      help: "per-case observation memo of the training run, MiB (default: the env's; 0 disables it)",
    },
    "policy-runtime": { default: "onnx", help: "what runs the training run's rollouts: onnx | tfjs" },
  },
};
// Imported (by tests) the module reads no arguments and measures nothing.
const args = benchArgs(CLI, import.meta.main ? Deno.args : []);

const MiB = 2 ** 20;
const gc = (globalThis as { gc?: () => void }).gc;
/** RSS in MiB, after a full garbage collection when run with `--v8-flags=--expose-gc`. */
const rss = () => {
  gc?.();
  return Deno.memoryUsage().rss / MiB;
};
/** Live JS heap in MiB (after the collection of {@link rss} when `--expose-gc`). */
const heap = () => Deno.memoryUsage().heapUsed / MiB;

function report(what: string, start: number, end: number, extra = ""): void {
  console.log(
    `${what}: RSS start ${start.toFixed(1)} MiB, end ${end.toFixed(1)} MiB, change ${
      (end - start).toFixed(1)
    } MiB${extra}`,
  );
}

async function envSteps(gameSteps: number): Promise<void> {
  const c = generatePhantom({ seed: 7, shape: [180, 256, 256], spacing: [1, 0.8, 0.8], tumours: 3 });
  const numEnvs = 16;
  const env = new VectorEnv({
    numEnvs,
    cases: [c],
    scorer: new OracleScorer([c], { target: 2 }),
    window: [24, 48, 48],
    stride: 4,
    observationShape: [12, 24, 24],
    tau: 1,
    maxSteps: 128,
    start: "random",
  });
  const rng = new Rng(1), a = new Int32Array(numEnvs), b = new Int32Array(numEnvs);
  await env.reset({ seed: 0 });
  let checksum = 0;
  const run = async (steps: number) => {
    for (let t = 0; t < steps; t++) {
      for (let k = 0; k < numEnvs; k++) [a[k], b[k]] = [rng.int(6), rng.int(6)];
      const r = await env.step({ a, b });
      for (let k = 0; k < numEnvs; k++) checksum += r.observations.a[k][0] + r.observations.b[k][0];
    }
  };
  await run(Math.ceil(10_000 / numEnvs)); // warm-up: caches fill, JIT settles
  const start = rss(), t0 = performance.now(), steps = Math.ceil(gameSteps / numEnvs);
  for (let done = 0; done < steps; done += 1000) {
    await run(Math.min(1000, steps - done));
    const s = (performance.now() - t0) / 1000;
    console.error(
      `  ${(done + Math.min(1000, steps - done)) * numEnvs} game-steps, ${s.toFixed(0)} s, RSS ${
        rss().toFixed(1)
      } MiB, JS heap ${heap().toFixed(1)} MiB`,
    );
  }
  if (Number.isNaN(checksum)) throw new Error("NaN observation");
  report(
    `VectorEnv of ${numEnvs} games, ${steps * numEnvs} game-steps (both observations read)`,
    start,
    rss(),
  );
}

async function training(totalSteps: number): Promise<void> {
  const p = PRESETS.default;
  const train: Case[] = [];
  const dataset = phantomDataset({ count: p.data.count, seed: p.data.seed, shape: p.data.shape });
  for await (const c of dataset.split("train").cases()) train.push(c);
  await initBackend(p.backend);
  // By default as `deno task train`: the rollouts' forward passes on onnxruntime (one export per update).
  if (!["onnx", "tfjs"].includes(args["policy-runtime"])) {
    throw new Error(`--policy-runtime is ${args["policy-runtime"]}; expected onnx or tfjs`);
  }
  const runtime = args["policy-runtime"] === "onnx" ? await loadOnnxRuntime() : undefined;
  let start = 0, tensors = 0, updates = 0, half = 0;
  const halfUpdate = Math.max(1, Math.round(totalSteps / (p.numEnvs * p.ppo.numSteps) / 2));
  const result = await trainSelfPlay({
    cases: train,
    scorer: new OracleScorer(train, { target: 2 }),
    env: args["observation-cache-mib"] === "default"
      ? p.env
      : { ...p.env, observationCacheBytes: Number(args["observation-cache-mib"]) * MiB },
    numEnvs: p.numEnvs,
    totalSteps,
    seed: p.seed,
    network: { ...p.network, intensityWindow: p.classifier.intensityWindow },
    ppo: p.ppo,
    pool: p.selfPlay.pool,
    competitorUpdateEvery: p.selfPlay.competitorUpdateEvery,
    policyRuntime: runtime,
    checkpointEvery: 0,
    onUpdate: () => {
      if (++updates === 1) [start, tensors] = [rss(), tf.memory().numTensors]; // after the first update
      if (updates === halfUpdate) half = rss();
      if (updates % 8 === 0) console.error(`  update ${updates}: RSS ${rss().toFixed(1)} MiB`);
    },
  });
  const end = rss(), endTensors = tf.memory().numTensors;
  result.network.dispose();
  report(
    `training, default preset settings, ${totalSteps} env steps, policy on ${p.backend}${
      runtime ? " (rollouts on onnxruntime)" : ""
    }, observation memo ${
      args["observation-cache-mib"]
    } MiB per case, ${train.length} cases (from update 1 to ${updates})`,
    start,
    end,
    `; second half (caches warm): ${half.toFixed(1)} -> ${
      end.toFixed(1)
    } MiB; tf tensors ${tensors} -> ${endTensors}`,
  );
}

if (import.meta.main) {
  let load = "unknown (run with --allow-sys)";
  try {
    load = Deno.loadavg().map((v) => v.toFixed(2)).join(", ");
  } catch { /* no --allow-sys */ }
  console.log(`memory benchmark; load average ${load}`);
  if (Number(args.steps) > 0) await envSteps(Number(args.steps));
  if (Number(args["train-steps"]) > 0) await training(Number(args["train-steps"]));
}
