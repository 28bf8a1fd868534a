/**
 * Inference benchmark: time to segment one 256x256x180 volume (z,y,x = 180x256x256) by
 * termination-threshold inference, split into scorer (classifier), policy, map and env parts, with
 * the dense sliding-window baseline beside it. The SPARS paper reports 1.8 s per volume on a V100.
 *
 *     deno run --allow-read --allow-env bench/inference_bench.ts [options]
 *
 * Options: --scorer tfjs|onnx [tfjs] (onnx: the classifier exported to ONNX and run by onnxruntime-node;
 * needs --allow-ffi), --policy-runtime tfjs|onnx [tfjs] (the policy's forward passes; onnx needs --allow-ffi), --backend wasm|cpu|webgpu|tensorflow [wasm], --policy DIR, --classifier DIR (a checkpoint; default an
 * untrained default-architecture classifier: its speed is that of a trained one), --steps N [32],
 * --dense-sample N [256], --batch-size N [64], --shape ZxYxX [180x256x256], --window ZxYxX [24x48x48],
 * --stride N [4].
 *
 * Episodes are run with tau = 1 and maxSteps = --steps so that every row plays the same number of
 * steps whatever the weights (an untrained classifier would end at step 1 under tau 0.3); the
 * per-step cost is printed so any episode length can be read off. The policy is the learned one when
 * `--policy DIR` is given, else an untrained default PPO network (same speed), acting greedily;
 * beside it the random agent (no policy cost: the scorer + map + env floor) and the greedy agent
 * (6 extra windows per agent per step, counted as scorer time).
 * The dense baseline scores `--dense-sample` lattice windows with the classifier and extrapolates to
 * the whole lattice; its map integration over the whole lattice is measured (with a free scorer).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { generatePhantom } from "../data/phantom.ts";
import type { Vec3, Volume } from "../data/types.ts";
import { GreedyAgent, RandomAgent } from "../env/baseline_agents.ts";
import { latticeCorners } from "../env/geometry.ts";
import type { Scorer } from "../env/scorer.ts";
import { type BackendName, initBackend } from "../models/backend.ts";
import { buildClassifier } from "../models/classifier.ts";
import { ClassifierScorer } from "../models/classifier_scorer.ts";
import { OnnxClassifierScorer } from "../models/onnx_scorer.ts";
import { denseBaseline } from "../eval/dense_baseline.ts";
import { segment, type SegmentResult } from "../eval/segment.ts";
import type { Agent } from "../env/agent.ts";
import { PolicyAgent } from "../agents/policy_agent.ts";
import { loadPolicyAgent } from "../agents/policy_io.ts";
import { PolicyNetwork } from "../agents/policy_network.ts";
import { loadOnnxRuntime } from "../models/onnx_runtime.ts";

const { values: v } = parseArgs({
  args: Deno.args,
  options: {
    scorer: { type: "string", default: "tfjs" },
    "policy-runtime": { type: "string", default: "tfjs" },
    backend: { type: "string", default: "wasm" },
    classifier: { type: "string" },
    policy: { type: "string" },
    steps: { type: "string", default: "32" },
    "dense-sample": { type: "string", default: "256" },
    "batch-size": { type: "string", default: "64" },
    shape: { type: "string", default: "180x256x256" },
    window: { type: "string", default: "24x48x48" },
    stride: { type: "string", default: "4" },
  },
});
const vec = (s: string): Vec3 => s.split("x").map(Number) as unknown as Vec3;
const shape = vec(v.shape), window = vec(v.window), stride = Number(v.stride);
const steps = Number(v.steps), denseSample = Number(v["dense-sample"]), batchSize = Number(v["batch-size"]);

/** A scorer that costs nothing (constant 0.5): isolates the map and game costs. */
const FREE: Scorer = {
  id: "free",
  score: (_v, c) => Promise.resolve(new Float32Array(c.length / 3).fill(0.5)),
};

const ms = (x: number) => x.toFixed(0).padStart(8);
const t0 = performance.now();
const c = generatePhantom({ seed: 1, shape, tumours: 1 });
console.log(
  `volume ${shape.join("x")} (z,y,x) phantom generated in ${(performance.now() - t0).toFixed(0)} ms`,
);
const backend = await initBackend(v.backend as BackendName);
if (v.scorer !== "tfjs" && v.scorer !== "onnx") {
  throw new Error(`--scorer is '${v.scorer}' (expected tfjs or onnx)`);
}
const Scorers = v.scorer === "onnx" ? OnnxClassifierScorer : ClassifierScorer;
const classifier = v.classifier
  ? await Scorers.load(v.classifier, { batchSize })
  : await Scorers.fromModel(buildClassifier({}, 0), [-200, 250], { batchSize });
console.log(
  `scorer ${classifier.id} (${v.classifier ? "checkpoint" : "untrained default architecture"}), ` +
    `input ${classifier.inputShape.join("x")}, batch ${batchSize}, backend ${backend.name}`,
);
await classifier.score(c.image, Int32Array.of(0, 0, 0), window); // warm-up (kernel compilation)

interface Row {
  name: string;
  windows: number;
  steps: number;
  scorerMs: number;
  policyMs: number;
  mapMs: number;
  envMs: number;
  totalMs: number;
}
const rows: Row[] = [];
const game = { window, stride, tau: 1, maxSteps: steps };
async function play(name: string, agents: Agent, scorer: Scorer): Promise<SegmentResult> {
  const r = await segment(c, { ...game, agents, scorer });
  rows.push({ name, windows: r.windowsScored, steps: r.steps, ...r.timings });
  return r;
}
// The learned policy (untrained default PPO network, greedy actions: its speed is a trained one's).
if (v["policy-runtime"] !== "tfjs" && v["policy-runtime"] !== "onnx") {
  throw new Error(`--policy-runtime is '${v["policy-runtime"]}' (expected tfjs or onnx)`);
}
const runtime = v["policy-runtime"] === "onnx" ? await loadOnnxRuntime() : undefined;
const policy = v.policy
  ? (await loadPolicyAgent(v.policy, { mode: "greedy", runtime }))
  : new PolicyAgent(new PolicyNetwork({}, 0), { mode: "greedy", name: "ppo", runtime });
const policyOn = runtime ? "onnxruntime" : `tfjs ${v.backend}`;
await play(
  `ppo policy (${v.policy ? "checkpoint" : "untrained"}, greedy, ${policyOn}) + classifier`,
  policy,
  classifier,
);
await play("random agents + classifier", new RandomAgent(0), classifier);
await play("greedy agents + classifier", new GreedyAgent(0), classifier);
await play("random agents + free scorer", new RandomAgent(0), FREE);

// Dense: classifier time per window from a sample of the lattice, extrapolated; map measured in full.
const { corners } = latticeCorners(shape, window, stride);
const total = corners.length / 3;
const sample = Math.min(denseSample, total);
const pick = new Int32Array(3 * sample);
for (let i = 0; i < sample; i++) {
  pick.set(
    corners.subarray(3 * Math.floor((i * total) / sample), 3 * Math.floor((i * total) / sample) + 3),
    3 * i,
  );
}
const s0 = performance.now();
await classifier.score(c.image as Volume, pick, window);
const perWindowMs = (performance.now() - s0) / sample;
const freeDense = await denseBaseline(c.image, { scorer: FREE, window, stride, batchSize: 4096 });
const denseScorerMs = perWindowMs * total;
rows.push({
  name: `dense lattice (${total} windows; classifier extrapolated from ${sample})`,
  windows: total,
  steps: 0,
  scorerMs: denseScorerMs,
  policyMs: 0,
  mapMs: freeDense.timings.mapMs,
  envMs: freeDense.timings.totalMs - freeDense.timings.mapMs - freeDense.timings.scorerMs,
  totalMs: denseScorerMs + freeDense.timings.totalMs - freeDense.timings.scorerMs,
});

console.log(`\nepisodes: ${steps} steps, 1 start (tau 1 so every row plays all steps); times in ms`);
console.log(`${"method".padEnd(72)} windows   steps   scorer   policy      map      env    total`);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(72)}${String(r.windows).padStart(8)}${String(r.steps).padStart(8)}` +
      `${ms(r.scorerMs)} ${ms(r.policyMs)} ${ms(r.mapMs)} ${ms(r.envMs)} ${ms(r.totalMs)}`,
  );
}
const [ppoRow, randomRow, , freeRow, denseRow] = rows;
const perStep = (r: Row, key: keyof Row) => ((r[key] as number) / steps).toFixed(1);
console.log(
  `\nclassifier: ${
    (randomRow.scorerMs / Math.max(1, randomRow.windows)).toFixed(1)
  } ms per window in episodes, ` +
    `${perWindowMs.toFixed(1)} ms per window in dense batches.`,
);
console.log(
  `per step: ppo ${perStep(ppoRow, "totalMs")} ms (policy ${perStep(ppoRow, "policyMs")}, scorer ` +
    `${perStep(ppoRow, "scorerMs")}), random ${
      perStep(randomRow, "totalMs")
    } ms, floor without the classifier ` +
    `${perStep(freeRow, "totalMs")} ms.`,
);
console.log(
  `paper (V100): 1.8 s per volume. Dense / ppo-episode time: ${
    (denseRow.totalMs / ppoRow.totalMs).toFixed(0)
  }x.`,
);
