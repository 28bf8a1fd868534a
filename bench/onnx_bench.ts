/**
 * Window scoring speed of the default classifier (24x48x48 windows of a 48x96x96 phantom) through
 * `ClassifierScorer` on tfjs `cpu` and `wasm` and through `OnnxClassifierScorer` (onnxruntime), all
 * measured in one run with the same weights, with the ratios to tfjs `cpu` printed. Repetitions are
 * interleaved (every path once per round) so that every path sees the same load of a shared machine;
 * tfjs `cpu` scores 2 batches per round, the others `--windows`. Also printed: the time of the
 * window preparation alone (crop, resampling, intensity window; the same for every path) and each
 * path's largest score difference from tfjs `cpu` on the windows both scored.
 *
 * Run: deno run --allow-read --allow-env --allow-ffi bench/onnx_bench.ts [--reps N] [--batch N]
 *        [--windows N] [--threads 1,2] [--layouts depthFolded,conv3d]
 *        [--paths cpu,wasm,onnx]
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { generatePhantom } from "../data/phantom.ts";
import type { Vec3 } from "../data/types.ts";
import { initBackend } from "../models/backend.ts";
import { buildClassifier } from "../models/classifier.ts";
import { writeClassifierInput } from "../models/classifier_input.ts";
import { ClassifierScorer } from "../models/classifier_scorer.ts";
import type { OnnxLayout } from "../models/onnx_export.ts";
import { probeOnnxRuntime } from "../models/onnx_runtime.ts";
import { OnnxClassifierScorer } from "../models/onnx_scorer.ts";
import { benchArgs, type BenchCli } from "./_cli.ts";

/** The command line (`--help` prints it). */
export const CLI: BenchCli = {
  usage: "deno task bench:onnx [options]",
  about: `Window scoring speed of the default classifier on tfjs cpu and wasm and on onnxruntime, in one
run with the same weights, with the ratios to tfjs cpu and each path's largest score difference.`,
  options: {
    reps: { default: "5", help: "timed rounds (every path once per round)" },
    batch: { default: "16", help: "windows per scorer call" },
    windows: { default: "64", help: "windows scored per round (tfjs cpu: 2 batches)" },
    threads: { default: "1,2", help: "onnxruntime intra-op thread counts measured" },
    layouts: { default: "depthFolded", help: "ONNX graph layouts measured: depthFolded, conv3d" },
    paths: { default: "cpu,wasm,onnx", help: "paths measured: cpu, wasm, onnx" },
  },
};
// Imported (by tests) the module reads no arguments and measures nothing.
const values = benchArgs(CLI, import.meta.main ? Deno.args : []);
const reps = Number(values.reps), batch = Number(values.batch), windows = Number(values.windows);
const pathNames = values.paths.split(",");
const threadCounts = values.threads.split(",").map(Number);
const layouts = values.layouts.split(",") as OnnxLayout[];
const SHAPE: Vec3 = [24, 48, 48];
const WINDOW: Vec3 = [24, 48, 48];
const INTENSITY: [number, number] = [-200, 250];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

interface Path {
  name: string;
  /** Windows scored per call (tfjs cpu scores fewer: it is slow, and a rate is a rate). */
  count: number;
  /** Makes the path's tfjs backend current (tfjs paths only). */
  backend?: "cpu" | "wasm";
  score: () => Promise<Float32Array>;
  times: number[];
  scores?: Float32Array;
}

if (import.meta.main) {
  const volume = generatePhantom({ seed: 3 }).image; // 48x96x96
  const corners = new Int32Array(windows * 3);
  for (let i = 0; i < windows; i++) corners.set([(i * 7) % 25, (i * 13) % 49, (i * 29) % 49], 3 * i);

  const cpuCount = Math.min(windows, 2 * batch);
  const paths: Path[] = [];
  const cleanup: (() => unknown)[] = [];
  for (const backend of ["cpu", "wasm"] as const) {
    if (!pathNames.includes(backend)) continue;
    await initBackend(backend);
    const model = buildClassifier({ inputShape: SHAPE }, 0); // same seed: the same weights everywhere
    const scorer = await ClassifierScorer.fromModel(model, INTENSITY, { batchSize: batch });
    const subset = backend === "cpu" ? corners.subarray(0, 3 * cpuCount) : corners;
    paths.push({
      name: `tfjs ${backend}`,
      count: subset.length / 3,
      backend,
      score: () => scorer.score(volume, subset, WINDOW),
      times: [],
    });
    cleanup.push(() => scorer.dispose());
  }
  if (pathNames.includes("onnx")) {
    const probe = await probeOnnxRuntime();
    if ("reason" in probe) {
      console.warn(`SKIP onnx: ${probe.reason}`);
    } else {
      console.error(`onnxruntime-node ${probe.runtime.version}`);
      await tf.setBackend("cpu");
      const model = buildClassifier({ inputShape: SHAPE }, 0);
      for (const layout of layouts) {
        for (const threads of threadCounts) {
          const scorer = await OnnxClassifierScorer.fromModel(model, INTENSITY, {
            batchSize: batch,
            intraOpThreads: threads,
            runtime: probe.runtime,
            layout,
          });
          paths.push({
            name: `onnx ${layout} ${threads}t`,
            count: windows,
            score: () => scorer.score(volume, corners, WINDOW),
            times: [],
          });
          cleanup.push(() => scorer.dispose());
        }
      }
      model.dispose();
    }
  }

  // Window preparation alone (every path does exactly this before its network call).
  const prepBuffer = new Float32Array(SHAPE[0] * SHAPE[1] * SHAPE[2]);
  const prepTimes: number[] = [];
  const prepare = () => {
    const t = performance.now();
    for (let i = 0; i < windows; i++) {
      const c: Vec3 = [corners[3 * i], corners[3 * i + 1], corners[3 * i + 2]];
      writeClassifierInput(volume, c, WINDOW, SHAPE, INTENSITY, prepBuffer);
    }
    return performance.now() - t;
  };

  // Interleaved repetitions: every path sees the same load of this shared machine.
  for (let rep = 0; rep <= reps; rep++) {
    prepTimes.push(prepare());
    for (const path of paths) {
      if (path.backend) await tf.setBackend(path.backend);
      const t = performance.now();
      path.scores = await path.score();
      if (rep > 0) path.times.push(performance.now() - t); // rep 0 warms up
    }
  }
  for (const c of cleanup) await c();

  const rate = (p: Path) => p.count / (median(p.times) / 1000);
  const reference = paths.find((p) => p.name === "tfjs cpu");
  const prep = median(prepTimes.slice(1)) / windows;
  console.log(
    `\nwindow scoring, classifier ${SHAPE.join("x")} (default), windows ${WINDOW.join("x")} of a ` +
      `${volume.shape.join("x")} phantom, batch ${batch}, medians of ${reps} interleaved repetitions`,
  );
  console.log(
    `window preparation alone: ${(1000 / prep).toFixed(0)} windows/s (${prep.toFixed(2)} ms/window)`,
  );
  console.log("path                    windows/s   x tfjs cpu   max |score - tfjs cpu|");
  for (const p of paths) {
    const ratio = reference ? (rate(p) / rate(reference)).toFixed(1) + "x" : "-";
    const diff = reference?.scores
      ? Math.max(...Array.from(reference.scores, (v, i) => Math.abs(v - p.scores![i]))).toExponential(1)
      : "-";
    console.log(`${p.name.padEnd(22)} ${rate(p).toFixed(1).padStart(10)} ${ratio.padStart(12)}   ${diff}`);
  }
  console.log("goal: window scoring >= 50x tfjs cpu");
}
