/**
 * The classifier and the policies timed on several tfjs backends in one run (default `wasm` and
 * `webgpu`), forward and train step at one batch size, with each backend's ratio to the first
 * printed. A backend that cannot start is reported and skipped (never replaced by another).
 *
 *     deno run --allow-read --allow-env --allow-sys bench/gpu_bench.ts [--backends wasm,webgpu]
 *
 * @module
 */
import type { Vec3 } from "../data/types.ts";
import { BACKEND_NAMES, BackendError, type BackendName, initBackend } from "../models/backend.ts";
import { benchArgs, type BenchCli } from "./_cli.ts";
import { PRESET_POLICIES, timeClassifier, timePolicy, type Timing } from "./network_timing.ts";

/** The command line (`--help` prints it). */
export const CLI: BenchCli = {
  usage: "deno task bench:gpu [options]",
  about: `The classifier and the policies (default and paper presets) on several tfjs backends in one
run, forward and train step, with the ratio of each backend to the first.`,
  options: {
    backends: { default: "wasm,webgpu", help: `comma-separated, of ${BACKEND_NAMES.join(", ")}` },
    batch: { default: "8", help: "batch size" },
    reps: { default: "5", help: "timed repetitions (medians are printed)" },
    "classifier-shape": { default: "24,48,48", help: "classifier input z,y,x" },
  },
};
// Imported (by tests) the module reads no arguments and measures nothing.
const args = benchArgs(CLI, import.meta.main ? Deno.args : []);

const NETWORKS: { name: string; time: (batch: number, reps: number) => Promise<Timing> }[] = [
  {
    name: `classifier ${args["classifier-shape"].replaceAll(",", "x")}`,
    time: (b, r) => {
      const s = args["classifier-shape"].split(",").map(Number);
      return timeClassifier([s[0], s[1], s[2]] as Vec3, b, r);
    },
  },
  ...PRESET_POLICIES.map((p) => ({
    name: p.name,
    time: (b: number, r: number) => timePolicy(p.shape, p.channels, b, r),
  })),
];

if (import.meta.main) {
  const batch = Number(args.batch), reps = Number(args.reps);
  const backends = args.backends.split(",") as BackendName[];
  for (const b of backends) {
    if (!BACKEND_NAMES.includes(b)) {
      console.error(`--backends: "${b}" is not one of ${BACKEND_NAMES.join(", ")}`);
      Deno.exit(2);
    }
  }
  let load = "unknown (run with --allow-sys)";
  try {
    load = Deno.loadavg().map((v) => v.toFixed(2)).join(", ");
  } catch { /* no --allow-sys */ }
  console.log(`network timing per backend: batch ${batch}, medians of ${reps}; load average ${load}`);
  const results = new Map<BackendName, Timing[]>();
  for (const backend of backends) {
    try {
      const info = await initBackend(backend, { quiet: true });
      console.log(`${backend}: ${info.details}`);
    } catch (e) {
      if (!(e instanceof BackendError)) throw e;
      console.log(`SKIP ${backend}: ${e.message}`);
      continue;
    }
    const timings: Timing[] = [];
    for (const n of NETWORKS) timings.push(await n.time(batch, reps));
    results.set(backend, timings);
  }
  const first = [...results.keys()][0];
  console.log("network                     backend   forward ms   train ms   fwd x first   train x first");
  NETWORKS.forEach((n, i) => {
    for (const [backend, t] of results) {
      const ref = results.get(first)![i];
      console.log(
        `${n.name.padEnd(27)} ${backend.padEnd(9)} ${(1000 * t[i].forward).toFixed(2).padStart(10)} ` +
          `${(1000 * t[i].train).toFixed(2).padStart(10)} ${
            (ref.forward / t[i].forward).toFixed(2).padStart(12)
          }x ` +
          `${(ref.train / t[i].train).toFixed(2).padStart(14)}x`,
      );
    }
  });
  console.log(`ratios > 1: faster than ${first}`);
}
