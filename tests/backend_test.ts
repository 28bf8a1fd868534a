import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { BackendError, type BackendName, initBackend, wasmBinaryPaths } from "../models/backend.ts";
import { wasmConv3dKernelsInstalled } from "../models/wasm_kernels.ts";
import { SparsGymError } from "../data/errors.ts";

Deno.test("initBackend starts cpu and wasm (with the replacement conv3d kernels) and reports them", async () => {
  const cpu = await initBackend("cpu", { quiet: true });
  assert.equal(cpu.name, "cpu");
  assert.equal(tf.getBackend(), "cpu");
  const wasm = await initBackend("wasm", { quiet: true });
  assert.equal(wasm.name, "wasm");
  assert.equal(tf.getBackend(), "wasm");
  assert.match(wasm.details, /SIMD (yes|no), 1 thread, spars conv3d kernels/);
  assert.ok(wasmConv3dKernelsInstalled());
  const sum = tf.tidy(() => tf.sum(tf.tensor1d([1, 2, 3])).dataSync()[0]);
  assert.equal(sum, 6);
  await initBackend("cpu", { quiet: true });
});

Deno.test("wasm binaries are found in the installed npm package", () => {
  const paths = wasmBinaryPaths();
  assert.deepEqual(Object.keys(paths).sort(), [
    "tfjs-backend-wasm-simd.wasm",
    "tfjs-backend-wasm-threaded-simd.wasm",
    "tfjs-backend-wasm.wasm",
  ]);
  for (const path of Object.values(paths)) {
    assert.match(path, /@tensorflow\/tfjs-backend-wasm\/.*\.wasm$/);
    assert.ok(Deno.statSync(path).size > 100_000);
  }
});

Deno.test("initBackend never falls back: unknown, missing tensorflow and missing webgpu are BackendErrors", async () => {
  await initBackend("cpu", { quiet: true });
  await assert.rejects(initBackend("gpu" as BackendName, { quiet: true }), (e: unknown) => {
    assert.ok(e instanceof BackendError && e instanceof SparsGymError);
    assert.match(e.message, /one of cpu, wasm, webgpu, tensorflow/);
    return true;
  });
  // tfjs-node is not installed here: the error says how to install it and that it downloads libtensorflow.
  await assert.rejects(initBackend("tensorflow", { quiet: true }), (e: unknown) => {
    assert.ok(e instanceof BackendError);
    assert.match(e.message, /tfjs-node/);
    assert.match(e.message, /downloads libtensorflow/);
    return true;
  });
  assert.equal(tf.getBackend(), "cpu", "the failed start left the backend unchanged");
  // WebGPU: either it starts for real, or it fails with a BackendError (no navigator.gpu / no adapter).
  try {
    const info = await initBackend("webgpu", { quiet: true });
    assert.equal(info.name, "webgpu");
  } catch (e) {
    assert.ok(e instanceof BackendError, `webgpu failed with ${e}`);
    assert.match((e as Error).message, /navigator\.gpu|adapter|WebGPU/);
  }
  await initBackend("cpu", { quiet: true });
});

Deno.test("initBackend prints the backend in use on stderr", async () => {
  const original = console.error;
  const lines: string[] = [];
  console.error = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    await initBackend("cpu");
  } finally {
    console.error = original;
  }
  assert.deepEqual(lines, ["tfjs backend: cpu (pure JS)"]);
});
