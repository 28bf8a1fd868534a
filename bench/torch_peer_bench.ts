/**
 * The package's fastest CPU paths beside PyTorch CPU, in one run, with the ratios printed: the
 * classifier (default 24x48x48 input, 4 blocks) forward and Adam train step on tfjs `wasm` (this
 * package's conv3d kernels) and its forward through onnxruntime; the policy of the `default` train
 * preset (8x16x16 observation, 5 channels) and of the `paper` preset (12x24x24, 1 channel) forward
 * and PPO minibatch step on `wasm`, and its forward through onnxruntime (`agents/policy_onnx.ts`). PyTorch runs the same shapes (bench/torch_peer.py) with its
 * intra-op threads set to `--threads`, as is onnxruntime; tfjs wasm always runs 1 thread (its
 * threaded build does not start under Deno), so the matched comparison is `--threads 1`. PyTorch
 * missing: its columns are skipped with the reason printed.
 *
 *     deno run --allow-read --allow-env --allow-run --allow-ffi --allow-sys bench/torch_peer_bench.ts [options]
 *
 * @module
 */
import type { Vec3 } from "../data/types.ts";
import { initBackend } from "../models/backend.ts";
import { buildClassifier } from "../models/classifier.ts";
import { exportClassifierToOnnx, ONNX_INPUT_NAME } from "../models/onnx_export.ts";
import { probeOnnxRuntime } from "../models/onnx_runtime.ts";
import { PolicyNetwork } from "../agents/policy_network.ts";
import { exportPolicyToOnnx, POLICY_ONNX_INPUT } from "../agents/policy_onnx.ts";
import { benchArgs, type BenchCli } from "./_cli.ts";
import { PRESET_POLICIES, timeClassifier, timeIt, timePolicy, type Timing } from "./network_timing.ts";

/** The command line (`--help` prints it). */
export const CLI: BenchCli = {
  usage: "deno task bench:torch [options]",
  about: `The classifier and policy on the package's fastest CPU paths (tfjs wasm, onnxruntime) beside
PyTorch CPU with the same shapes, forward and train step, in one run, with the ratios printed.`,
  options: {
    threads: { default: "1", help: "PyTorch and onnxruntime intra-op threads (tfjs wasm: always 1)" },
    batch: { default: "8", help: "batch size of every forward and train step" },
    reps: { default: "5", help: "timed repetitions (medians are printed)" },
    "classifier-shape": { default: "24,48,48", help: "classifier input z,y,x" },
    python: { default: ".tmp/pyenv/bin/python", help: "Python with torch installed" },
  },
};
// Imported (by tests) the module reads no arguments and measures nothing.
const args = benchArgs(CLI, import.meta.main ? Deno.args : []);

async function classifierOnnx(shape: Vec3, batch: number, reps: number, threads: number) {
  const probe = await probeOnnxRuntime();
  if ("reason" in probe) return { skipped: probe.reason };
  const model = buildClassifier({ inputShape: shape }, 0);
  const session = await probe.runtime.createSession(await exportClassifierToOnnx(model), {
    intraOpThreads: threads,
  });
  model.dispose();
  const input = Float32Array.from(
    { length: batch * shape[0] * shape[1] * shape[2] },
    (_, i) => (i % 97) / 97,
  );
  const feeds = { [ONNX_INPUT_NAME]: probe.runtime.tensor(input, [batch, 1, ...shape]) };
  const forward = await timeIt(() => session.run(feeds), reps);
  await session.release();
  return { forward };
}

async function policyOnnx(shape: Vec3, channels: number, batch: number, reps: number, threads: number) {
  const probe = await probeOnnxRuntime();
  if ("reason" in probe) return { skipped: probe.reason };
  const net = new PolicyNetwork({ observationShape: shape, channels, intensityWindow: null }, 0);
  const session = await probe.runtime.createSession(await exportPolicyToOnnx(net), {
    intraOpThreads: threads,
  });
  net.dispose();
  const input = Float32Array.from({ length: batch * net.observationLength }, (_, i) => (i % 89) / 89);
  const feeds = { [POLICY_ONNX_INPUT]: probe.runtime.tensor(input, [batch, ...shape, channels]) };
  const forward = await timeIt(() => session.run(feeds), reps);
  await session.release();
  return { forward };
}

interface TorchResult {
  torch: string;
  threads: number;
  classifier: Timing;
  policies: Timing[];
}

async function runTorch(shape: Vec3, batch: number, reps: number, threads: number) {
  const config = {
    threads,
    batch,
    reps,
    classifier: shape,
    policies: PRESET_POLICIES.map((p) => ({ shape: p.shape, channels: p.channels })),
  };
  const script = new URL("./torch_peer.py", import.meta.url).pathname;
  try {
    const out = await new Deno.Command(args.python, { args: [script, JSON.stringify(config)] }).output();
    const stderr = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1);
    if (!out.success) return { skipped: `${args.python} ${script} failed: ${stderr}` };
    return JSON.parse(new TextDecoder().decode(out.stdout)) as TorchResult;
  } catch (e) {
    return { skipped: `${args.python} cannot run (${(e as Error).message})` };
  }
}

if (import.meta.main) {
  const threads = Number(args.threads), batch = Number(args.batch), reps = Number(args.reps);
  const parts = args["classifier-shape"].split(",").map(Number);
  const shape: Vec3 = [parts[0], parts[1], parts[2]];
  if (![threads, batch, reps, ...parts].every((v) => Number.isInteger(v) && v >= 1) || parts.length !== 3) {
    console.error("--threads, --batch, --reps and --classifier-shape take positive integers");
    Deno.exit(2);
  }
  let load = "unknown (run with --allow-sys to print it)";
  try {
    load = Deno.loadavg().map((v) => v.toFixed(2)).join(", ");
  } catch { /* no --allow-sys */ }
  console.log(`PyTorch peer benchmark: batch ${batch}, medians of ${reps}; load average ${load}`);
  await initBackend("wasm");
  const rows: { name: string; wasm: Timing; torch?: Timing; onnxForward?: number }[] = [];
  rows.push({ name: `classifier ${shape.join("x")}`, wasm: await timeClassifier(shape, batch, reps) });
  const onnx = await classifierOnnx(shape, batch, reps, threads);
  if ("skipped" in onnx) console.log(`SKIP onnx: ${onnx.skipped}`);
  else rows[0].onnxForward = onnx.forward;
  for (const p of PRESET_POLICIES) {
    const row: (typeof rows)[number] = {
      name: p.name,
      wasm: await timePolicy(p.shape, p.channels, batch, reps),
    };
    const onnxPolicy = await policyOnnx(p.shape, p.channels, batch, reps, threads);
    if (!("skipped" in onnxPolicy)) row.onnxForward = onnxPolicy.forward;
    rows.push(row);
  }
  const torch = await runTorch(shape, batch, reps, threads);
  if ("skipped" in torch) console.log(`SKIP torch: ${torch.skipped}`);
  else {
    console.log(`PyTorch ${torch.torch} CPU, ${torch.threads} intra-op thread(s)`);
    rows[0].torch = torch.classifier;
    torch.policies.forEach((t, i) => (rows[i + 1].torch = t));
  }
  console.log(
    `threads: tfjs wasm 1, onnxruntime ${threads}, PyTorch ${threads}` +
      (threads === 1 ? " (matched)" : " (NOT matched: run --threads 1 for the matched comparison)"),
  );
  const ms = (s?: number) => (s === undefined ? "-" : (1000 * s).toFixed(2));
  const x = (a?: number, b?: number) => (a === undefined || b === undefined ? "-" : (a / b).toFixed(2) + "x");
  console.log(
    "network                     wasm fwd ms  onnx fwd ms  torch fwd ms  wasm train ms  torch train ms" +
      "  fwd best/torch  train wasm/torch",
  );
  for (const r of rows) {
    const bestForward = Math.min(r.wasm.forward, r.onnxForward ?? Infinity);
    console.log(
      `${r.name.padEnd(27)} ${ms(r.wasm.forward).padStart(11)} ${ms(r.onnxForward).padStart(12)} ` +
        `${ms(r.torch?.forward).padStart(13)} ${ms(r.wasm.train).padStart(14)} ${
          ms(r.torch?.train).padStart(15)
        }  ${x(bestForward, r.torch?.forward).padStart(14)}  ${x(r.wasm.train, r.torch?.train).padStart(16)}`,
    );
  }
  console.log(
    "goals: forward within 1.5x of PyTorch, train step within 2x (ratio = package time / torch time)",
  );
}
