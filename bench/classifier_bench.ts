/**
 * Classifier speed per backend and path, with plain tfjs `cpu` measured in the same run and the
 * ratios printed (the machine is shared: only same-run ratios mean anything).
 *
 * - forward and train step (Adam, BCE) of the default classifier (24x48x48), batch 8, medians;
 * - windows scored per second through `ClassifierScorer` (24x48x48 windows of a 48x96x96 phantom).
 *
 * Paths: `cpu` (stock tfjs), `wasm` (this package's conv3d kernels), `wasm-stock` (stock wasm
 * conv3d: its train step computes WRONG input gradients and is timed for reference only).
 *
 * Run: deno run --allow-read --allow-env bench/classifier_bench.ts [--reps N] [--paths cpu,wasm,wasm-stock]
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { initBackend } from "../models/backend.ts";
import { buildClassifier } from "../models/classifier.ts";
import { ClassifierScorer } from "../models/classifier_scorer.ts";
import { installWasmConv3dKernels, uninstallWasmConv3dKernels } from "../models/wasm_kernels.ts";
import { generatePhantom } from "../data/phantom.ts";
import type { Vec3 } from "../data/types.ts";
import { benchArgs, type BenchCli } from "./_cli.ts";

/** The command line (`--help` prints it). */
export const CLI: BenchCli = {
  usage: "deno task bench:classifier [options]",
  about: `Classifier speed per backend and path (forward, Adam train step, windows scored per second
through ClassifierScorer), with plain tfjs cpu measured in the same run and the ratios printed.`,
  options: {
    reps: { default: "3", help: "timed repetitions (medians are printed)" },
    paths: { default: "cpu,wasm,wasm-stock", help: "paths measured: cpu, wasm, wasm-stock" },
    batch: { default: "8", help: "batch size of the forward and train steps" },
  },
};
// Imported (by tests) the module reads no arguments and measures nothing.
const values = benchArgs(CLI, import.meta.main ? Deno.args : []);
const reps = Number(values.reps);
const paths = values.paths.split(",");
const batch = Number(values.batch);
const SHAPE: Vec3 = [24, 48, 48];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function timeIt(f: () => Promise<void>, n: number): Promise<number> {
  await f(); // warm-up (kernel setup, JIT, heap growth)
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  return median(times) / 1000;
}

interface Row {
  path: string;
  forward: number;
  train: number;
  windowsPerSecond: number;
}

async function measure(path: string): Promise<Row> {
  if (path === "cpu") await initBackend("cpu");
  else {
    await initBackend("wasm", { stockWasmConv3d: path === "wasm-stock" });
    if (path === "wasm-stock") uninstallWasmConv3dKernels();
    else installWasmConv3dKernels();
  }
  const model = buildClassifier({ inputShape: SHAPE }, 0);
  const x = tf.randomUniform([batch, ...SHAPE, 1], 0, 1, "float32", 1);
  const y = tf.tensor2d(Array.from({ length: batch }, (_, i) => i % 2), [batch, 1]);
  const optimizer = tf.train.adam(1e-3);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const n = path === "cpu" ? Math.max(1, reps - 1) : reps;
  const forward = await timeIt(async () => {
    const p = model.predict(x) as tf.Tensor;
    await p.data();
    p.dispose();
  }, n);
  const train = await timeIt(async () => {
    const loss = optimizer.minimize(
      () =>
        tf.mean(
          tfl.metrics.binaryCrossentropy(y, model.apply(x, { training: true }) as tf.Tensor),
        ) as tf.Scalar,
      true,
      variables,
    )!;
    await loss.data();
    loss.dispose();
  }, n);
  const volume = generatePhantom({ seed: 3 }).image; // 48x96x96
  const scorer = await ClassifierScorer.fromModel(model, [-200, 250], { batchSize: 16 });
  const count = 32, corners = new Int32Array(count * 3);
  for (let i = 0; i < count; i++) corners.set([(i * 7) % 25, (i * 13) % 49, (i * 29) % 49], 3 * i);
  const scoring = await timeIt(async () => {
    await scorer.score(volume, corners, SHAPE);
  }, Math.max(1, n - 1));
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return { path, forward, train, windowsPerSecond: count / scoring };
}

if (import.meta.main) {
  const rows: Row[] = [];
  for (const path of paths) {
    const row = await measure(path);
    rows.push(row);
    console.error(`${path}: forward ${row.forward.toFixed(3)} s, train step ${row.train.toFixed(3)} s`);
  }
  const cpu = rows.find((r) => r.path === "cpu");
  console.log(
    `\nclassifier ${SHAPE.join("x")}, batch ${batch}, medians of ${reps} (cpu ${Math.max(1, reps - 1)})`,
  );
  console.log("path        forward s  train s   windows/s  fwd x cpu  train x cpu  windows x cpu");
  for (const r of rows) {
    const ratio = (a: number, b: number | undefined) => (b ? (a / b).toFixed(1) + "x" : "-");
    console.log(
      `${r.path.padEnd(11)} ${r.forward.toFixed(3).padStart(9)} ${r.train.toFixed(3).padStart(8)} ` +
        `${r.windowsPerSecond.toFixed(1).padStart(10)}  ${
          ratio(cpu?.forward ?? 0, r.forward).padStart(9)
        }  ` +
        `${ratio(cpu?.train ?? 0, r.train).padStart(11)}  ${
          ratio(r.windowsPerSecond, cpu?.windowsPerSecond).padStart(13)
        }${r.path === "wasm-stock" ? "  (train gradients WRONG)" : ""}`,
    );
  }
  console.log("goals: train >= 5x cpu, window scoring >= 50x cpu");
}
