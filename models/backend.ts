/**
 * Selection of the tfjs backend at run time: `cpu` (pure JS, always there), `wasm`
 * (`@tensorflow/tfjs-backend-wasm`, SIMD build; its binaries are read from the installed npm
 * package), `webgpu` (`@tensorflow/tfjs-backend-webgpu` over Deno's `navigator.gpu`) and
 * `tensorflow` (`@tensorflow/tfjs-node-gpu`, else `@tensorflow/tfjs-node`, imported only when asked
 * for). A backend that cannot start is a {@link BackendError} naming what to install: there is never
 * a silent fallback to another backend.
 *
 * On `wasm`, {@link initBackend} also installs this package's conv3d kernels (see
 * `wasm_kernels.ts`): the stock wasm Conv3DBackpropInputV2 is wrong for 'same' padding.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
// tfjs-layers registers the gradients of every core op (tfjs-core alone registers none).
import "@tensorflow/tfjs-layers";
import { SparsGymError } from "../data/errors.ts";
import { installWasmConv3dKernels, uninstallWasmConv3dKernels } from "./wasm_kernels.ts";

/** Names accepted by {@link initBackend}. */
export type BackendName = "cpu" | "wasm" | "webgpu" | "tensorflow";

/** Every accepted backend name, in the order of the CLI help. */
export const BACKEND_NAMES: readonly BackendName[] = ["cpu", "wasm", "webgpu", "tensorflow"];

/** A backend could not be started (missing package, missing GPU, binary that fails to load). */
export class BackendError extends SparsGymError {}

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Do not print the backend line on stderr (default false). */
  quiet?: boolean;
  /**
   * On `wasm`: keep the stock tfjs conv3d kernels instead of this package's (default false).
   * Only benchmarks and the regression tests of the stock defects want this.
   */
  stockWasmConv3d?: boolean;
}

/** What {@link initBackend} started. */
export interface BackendInfo {
  /** The backend name tfjs reports (`tf.getBackend()`). */
  name: BackendName;
  /** Human-readable details (SIMD, threads, adapter, package), printed at start. */
  details: string;
}

/**
 * Location of the wasm binaries of the installed `@tensorflow/tfjs-backend-wasm`: the `dist/`
 * folder beside the module that `import.meta.resolve` finds (with `nodeModulesDir` it lies under
 * `node_modules/.deno/@tensorflow+tfjs-backend-wasm@<version>/node_modules/.../dist/`).
 *
 * @returns a map from binary name to absolute file path
 * @throws {BackendError} when the package or its `.wasm` files cannot be found
 */
export function wasmBinaryPaths(): Record<string, string> {
  let dir: string;
  try {
    dir = new URL("./", import.meta.resolve("@tensorflow/tfjs-backend-wasm")).pathname;
  } catch (e) {
    throw new BackendError(
      "@tensorflow/tfjs-backend-wasm",
      `cannot be resolved (${(e as Error).message})`,
      'the npm package mapped in deno.json ("npm:@tensorflow/tfjs-backend-wasm@4.22.0") and installed',
    );
  }
  const names = [
    "tfjs-backend-wasm.wasm",
    "tfjs-backend-wasm-simd.wasm",
    "tfjs-backend-wasm-threaded-simd.wasm",
  ];
  const paths: Record<string, string> = {};
  for (const name of names) {
    const path = dir + name;
    try {
      Deno.statSync(path);
    } catch {
      throw new BackendError(
        path,
        "is missing",
        "the wasm binaries shipped in the npm package's dist/ folder",
      );
    }
    paths[name] = path;
  }
  return paths;
}

async function startWasm(options: InitBackendOptions): Promise<string> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  wasm.setWasmPaths(wasmBinaryPaths());
  // The threaded build needs SharedArrayBuffer workers that do not start under Deno: ask for one thread.
  wasm.setThreadsCount(1);
  if (!(await tf.setBackend("wasm"))) {
    throw new BackendError("wasm", "failed to initialise", "a loadable tfjs-backend-wasm binary");
  }
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  const conv = options.stockWasmConv3d ? "stock conv3d kernels" : "spars conv3d kernels";
  if (options.stockWasmConv3d) uninstallWasmConv3dKernels();
  else installWasmConv3dKernels();
  return `SIMD ${simd ? "yes" : "no"}, 1 thread, ${conv}`;
}

async function startWebgpu(): Promise<string> {
  type AdapterInfo = { vendor?: string; architecture?: string; device?: string; description?: string };
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: AdapterInfo } | null> } })
    .gpu;
  if (!gpu) {
    throw new BackendError(
      "webgpu",
      "navigator.gpu is not available in this Deno",
      "a Deno with WebGPU (run with --unstable-webgpu on older versions) and a GPU or Vulkan driver",
    );
  }
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new BackendError(
      "webgpu",
      "navigator.gpu.requestAdapter() found no adapter",
      "a GPU driver, or on a CPU-only machine Debian's mesa-vulkan-drivers (lavapipe)",
    );
  }
  await import("@tensorflow/tfjs-backend-webgpu");
  if (!(await tf.setBackend("webgpu"))) {
    throw new BackendError("webgpu", "failed to initialise", "a working WebGPU adapter");
  }
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.device, info.description].filter((v) => v).join(" ");
  // Naming the adapter tells a real GPU from a software one (lavapipe on a CPU-only machine).
  return `adapter ${name || "(no info)"}; read tensors with await data(), dataSync() needs a canvas`;
}

async function startTensorflow(): Promise<string> {
  const failures: string[] = [];
  // Variables keep `deno check` from resolving packages that are optional and usually absent.
  for (const name of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      await import(name);
      if (await tf.setBackend("tensorflow")) return `package ${name}`;
      failures.push(`${name}: loaded but the "tensorflow" backend did not initialise`);
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  throw new BackendError(
    "tensorflow",
    `neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node could be loaded (${failures.join("; ")})`,
    'one of them installed: add "@tensorflow/tfjs-node": "npm:@tensorflow/tfjs-node@4.22.0" to the ' +
      "imports of deno.json, run `deno install --allow-scripts=npm:@tensorflow/tfjs-node` (its install " +
      "script downloads libtensorflow, which needs network access) and run with --allow-ffi",
  );
}

/**
 * Starts a tfjs backend and makes it current. Prints `tfjs backend: <name> (<details>)` on stderr
 * unless `quiet`. Calling it again with another name switches backend (tensors of the previous
 * backend stay readable through tfjs' data movement).
 *
 * @param name the backend to start
 * @param options see {@link InitBackendOptions}
 * @returns the backend started and its details
 * @throws {BackendError} when the backend cannot start; nothing falls back to another backend
 */
export async function initBackend(name: BackendName, options: InitBackendOptions = {}): Promise<BackendInfo> {
  if (!BACKEND_NAMES.includes(name)) {
    throw new BackendError("backend", `"${name}" is unknown`, `one of ${BACKEND_NAMES.join(", ")}`);
  }
  // Production mode: hides tfjs' console advice to install tfjs-node (it prints on the first tensor).
  tf.enableProdMode();
  let details: string;
  if (name === "cpu") {
    if (!(await tf.setBackend("cpu"))) throw new BackendError("cpu", "failed to initialise", "tfjs cpu");
    details = "pure JS";
  } else if (name === "wasm") {
    details = await startWasm(options);
  } else if (name === "webgpu") {
    details = await startWebgpu();
  } else {
    details = await startTensorflow();
  }
  await tf.ready();
  if (tf.getBackend() !== name) {
    throw new BackendError(name, `tfjs reports backend "${tf.getBackend()}" after starting`, `"${name}"`);
  }
  if (!options.quiet) console.error(`tfjs backend: ${name} (${details})`);
  return { name, details };
}
