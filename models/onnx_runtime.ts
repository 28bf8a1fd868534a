/**
 * Optional onnxruntime (`onnxruntime-node`, CPU execution provider) for exported classifiers (see
 * `onnx_export.ts`). The npm package is imported dynamically, only when {@link loadOnnxRuntime} is
 * called, from a pinned `npm:` specifier: nothing else in the package depends on it, and neither
 * `deno check` nor a user who never asks for it downloads it.
 *
 * Getting it: Deno fetches the package from the npm registry on first use (about 290 MB unpacked:
 * binaries for every platform; the linux x64 CPU library ships inside it). Its install script only
 * downloads CUDA parts and is not needed; Deno does not run it (it prints "Ignored build scripts").
 * The native addon needs `--allow-ffi` (with `--allow-read` and `--allow-env`).
 *
 * @module
 */
import { BackendError } from "./backend.ts";

/** The pinned onnxruntime package: an exact version, so results do not move under us. */
export const ONNXRUNTIME_NODE_SPECIFIER = "npm:onnxruntime-node@1.30.0";

const HOW_TO_GET = `${ONNXRUNTIME_NODE_SPECIFIER}: Deno downloads it from the npm registry on first ` +
  "use (no install script needed); run with --allow-ffi --allow-read --allow-env";

/** A float32 tensor as onnxruntime returns it. */
export interface OnnxTensor {
  /** Element type ("float32" for every tensor used here). */
  readonly type: string;
  /** Shape. */
  readonly dims: readonly number[];
  /** Values, row-major. */
  readonly data: unknown;
}

/** An onnxruntime inference session (one loaded model). */
export interface OnnxSession {
  /** Graph input names. */
  readonly inputNames: readonly string[];
  /** Graph output names. */
  readonly outputNames: readonly string[];
  /** Runs the graph; resolves to one tensor per output name. Runs on the calling thread. */
  run(feeds: Record<string, OnnxTensor>): Promise<Record<string, OnnxTensor>>;
  /** Frees the session's native memory. */
  release(): Promise<void>;
}

/** Options of {@link OnnxRuntime.createSession}. */
export interface OnnxSessionOptions {
  /** Threads of one operator (default: onnxruntime's, the physical cores). */
  intraOpThreads?: number;
}

/** The loaded runtime: sessions and tensors. */
export interface OnnxRuntime {
  /** The package's version (e.g. "1.30.0"). */
  readonly version: string;
  /**
   * Loads a model from its bytes (a `.onnx` file) with every graph optimisation on.
   * @throws {BackendError} when onnxruntime rejects the model (the message says why)
   */
  createSession(model: Uint8Array, options?: OnnxSessionOptions): Promise<OnnxSession>;
  /** A float32 tensor over `data` (not copied): `data.length` must equal the product of `dims`. */
  tensor(data: Float32Array, dims: readonly number[]): OnnxTensor;
}

/** The parts of the `onnxruntime-node` module used here (typed locally: the import is dynamic). */
interface OrtModule {
  env?: { versions?: { node?: string } };
  InferenceSession: {
    create(model: Uint8Array, options: Record<string, unknown>): Promise<OnnxSession>;
  };
  Tensor: new (type: "float32", data: Float32Array, dims: readonly number[]) => OnnxTensor;
}

const loaded = new Map<string, Promise<OnnxRuntime>>();

function ffiGranted(): boolean {
  return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
}

async function importRuntime(specifier: string): Promise<OnnxRuntime> {
  let ort: OrtModule;
  try {
    // A variable specifier: `deno check` does not resolve (download) the optional package.
    ort = await import(specifier) as OrtModule;
  } catch (e) {
    const reason = (e as Error).message.split("\n")[0];
    const ffi = e instanceof Deno.errors.NotCapable || /allow-ffi/.test(reason);
    throw new BackendError(
      specifier,
      ffi ? `needs the --allow-ffi permission (${reason})` : `cannot be loaded (${reason})`,
      HOW_TO_GET,
    );
  }
  if (typeof ort?.InferenceSession?.create !== "function" || typeof ort?.Tensor !== "function") {
    throw new BackendError(
      specifier,
      "loaded but exports no InferenceSession.create and Tensor",
      `the onnxruntime-node package (${HOW_TO_GET})`,
    );
  }
  return {
    version: ort.env?.versions?.node ?? "unknown",
    async createSession(model: Uint8Array, options: OnnxSessionOptions = {}): Promise<OnnxSession> {
      const threads = options.intraOpThreads;
      if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
        throw new BackendError("intraOpThreads", `is ${threads}`, "an integer >= 1");
      }
      try {
        return await ort.InferenceSession.create(model, {
          executionProviders: ["cpu"],
          graphOptimizationLevel: "all",
          ...(threads !== undefined ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
        });
      } catch (e) {
        throw new BackendError(
          "onnx model",
          `is rejected by onnxruntime ${ort.env?.versions?.node ?? ""} (${(e as Error).message})`,
          "a valid ONNX model",
        );
      }
    },
    tensor(data: Float32Array, dims: readonly number[]): OnnxTensor {
      return new ort.Tensor("float32", data, dims);
    },
  };
}

/**
 * Loads onnxruntime (once per specifier; later calls share the first load).
 *
 * @param specifier module to import (default {@link ONNXRUNTIME_NODE_SPECIFIER}; tests pass others)
 * @returns the runtime
 * @throws {BackendError} saying how to get it: when `--allow-ffi` is not granted (checked first,
 *   on every call), when the package cannot be downloaded or loaded, or when the module is not
 *   onnxruntime
 */
export function loadOnnxRuntime(specifier: string = ONNXRUNTIME_NODE_SPECIFIER): Promise<OnnxRuntime> {
  if (!ffiGranted()) {
    return Promise.reject(
      new BackendError(specifier, "needs the --allow-ffi permission, which is not granted", HOW_TO_GET),
    );
  }
  let runtime = loaded.get(specifier);
  if (!runtime) {
    runtime = importRuntime(specifier);
    // A failed load may be retried (for example after granting a permission).
    runtime.catch(() => loaded.delete(specifier));
    loaded.set(specifier, runtime);
  }
  return runtime;
}

/**
 * Tries {@link loadOnnxRuntime} and reports instead of throwing: for tests and benchmarks that skip
 * the onnx path visibly when it is unavailable.
 *
 * @returns the runtime, or the reason (a {@link BackendError} message) it could not be loaded
 */
export async function probeOnnxRuntime(
  specifier: string = ONNXRUNTIME_NODE_SPECIFIER,
): Promise<{ runtime: OnnxRuntime } | { reason: string }> {
  try {
    return { runtime: await loadOnnxRuntime(specifier) };
  } catch (e) {
    if (e instanceof BackendError) return { reason: e.message };
    throw e;
  }
}
