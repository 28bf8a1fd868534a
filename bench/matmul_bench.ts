/**
 * The wasm `BatchMatMul` with a transposed operand: the stock tfjs-backend-wasm 4.22.0 kernel
 * (a naive loop whenever an operand is transposed) beside this package's replacement
 * (`models/wasm_matmul.ts`: transpose copy, then XNNPACK), in one run, with the ratio printed, on
 * the products of the policies' dense-layer gradients and of a strided convolution's.
 *
 *     deno run --allow-read --allow-env bench/matmul_bench.ts [--reps 200]
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../models/backend.ts";
import { installWasmConv3dKernels, uninstallWasmConv3dKernels } from "../models/wasm_kernels.ts";
import { benchArgs, type BenchCli } from "./_cli.ts";
import { median } from "./network_timing.ts";

/** The command line (`--help` prints it). */
export const CLI: BenchCli = {
  usage: "deno task bench:matmul [options]",
  about: `Transposed matrix products on tfjs wasm: the stock BatchMatMul beside this package's, side by
side, with the ratio.`,
  options: { reps: { default: "200", help: "products per timing (medians of 5 timings)" } },
};
// Imported (by tests) the module reads no arguments and measures nothing.
const args = benchArgs(CLI, import.meta.main ? Deno.args : []);

/** [m, k, n, transposeA, transposeB, what]: the product op(A)[m, k] @ op(B)[k, n]. */
const PRODUCTS: [number, number, number, boolean, boolean, string][] = [
  [576, 8, 64, true, false, "paper policy hidden layer dW (batch 8)"],
  [8, 64, 576, false, true, "paper policy hidden layer dX (batch 8)"],
  [128, 64, 64, true, false, "default policy hidden layer dW (minibatch 64)"],
  [64, 64, 128, false, true, "default policy hidden layer dX (minibatch 64)"],
  [6912, 8, 8, false, true, "a strided conv's patch gradient (6912 positions)"],
];

function microseconds(f: () => tf.Tensor, reps: number): number {
  for (let i = 0; i < reps / 4; i++) f().dispose();
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) f().dispose();
    times.push((1000 * (performance.now() - t)) / reps);
  }
  return median(times);
}

if (import.meta.main) {
  const reps = Number(args.reps);
  if (!(Number.isInteger(reps) && reps >= 1)) {
    console.error(`--reps is ${args.reps}; expected a positive integer`);
    Deno.exit(2);
  }
  await initBackend("wasm");
  console.log("product                                            stock us  package us  stock/package");
  for (const [m, k, n, ta, tb, what] of PRODUCTS) {
    const a = tf.randomUniform(ta ? [k, m] : [m, k]), b = tf.randomUniform(tb ? [n, k] : [k, n]);
    const f = () => tf.matMul(a, b, ta, tb);
    uninstallWasmConv3dKernels();
    const stock = microseconds(f, reps);
    installWasmConv3dKernels();
    const fast = microseconds(f, reps);
    tf.dispose([a, b]);
    const name = `${what}: ${m}x${k}${ta ? "^T" : ""} @ ${k}x${n}${tb ? "^T" : ""}`;
    console.log(
      `${name.padEnd(50)} ${stock.toFixed(1).padStart(8)} ${fast.toFixed(1).padStart(11)} ${
        (stock / fast).toFixed(2).padStart(13)
      }x`,
    );
  }
}
