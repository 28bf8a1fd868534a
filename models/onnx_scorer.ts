/**
 * `OnnxClassifierScorer`: the presence classifier exported to ONNX (`onnx_export.ts`) and run by
 * onnxruntime (`onnx_runtime.ts`) behind env's `Scorer` contract. Windows are prepared by the very
 * function `ClassifierScorer` and training use (`writeClassifierInput`: crop, trilinear resampling to
 * the input shape, intensity window), so only the network evaluation differs; `tests/onnx_test.ts`
 * proves it equal to the tfjs model within 1e-4.
 *
 * @module
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { InvalidArgumentError } from "../data/errors.ts";
import { assertFiniteWindows } from "../data/finite.ts";
import type { Vec3, Volume } from "../data/types.ts";
import type { Scorer, ScoreRequest } from "../env/scorer.ts";
import { modelInputChannels, modelInputShape } from "./classifier.ts";
import { checkIntensityWindow, type IntensityWindow, writeClassifierInput } from "./classifier_input.ts";
import type { ClassifierScorerSpec } from "./classifier_scorer.ts";
import {
  type ClassifierMeta,
  type ClassifierSupervision,
  loadClassifier,
  weightsSha256,
} from "./checkpoint.ts";
import { exportClassifierToOnnx, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME, type OnnxLayout } from "./onnx_export.ts";
import { BackendError } from "./backend.ts";
import { loadOnnxRuntime, type OnnxRuntime, type OnnxSession, type OnnxTensor } from "./onnx_runtime.ts";

/** Options of {@link OnnxClassifierScorer}. */
export interface OnnxClassifierScorerOptions {
  /** Windows per network call (default 16). */
  batchSize?: number;
  /** onnxruntime threads per operator (default: onnxruntime's choice, the physical cores). */
  intraOpThreads?: number;
  /** The runtime (default: {@link loadOnnxRuntime}()). */
  runtime?: OnnxRuntime;
  /** Graph layout when exporting a tfjs model (default "depthFolded"; see `OnnxExportOptions`). */
  layout?: OnnxLayout;
}

/** What an ONNX scorer needs besides the model: {@link ClassifierScorerSpec} plus the input shape. */
export interface OnnxClassifierSpec extends ClassifierScorerSpec {
  /** Network input shape z,y,x (the exported graph's [D, H, W]). */
  inputShape: Vec3;
  /** Image channels C of the input (default 1: graph input [N, 1, D, H, W]; else [N, D, H, W, C]). */
  inputChannels?: number;
}

/** SHA-256 (hex) of a model's weights in `getWeights()` order, as `ClassifierScorer.fromModel` computes. */
/**
 * Scores windows with an exported classifier on onnxruntime. As for `ClassifierScorer`, a window's
 * score depends only on the volume, the corner and the size (inference uses the running batch-norm
 * statistics). Its id, `classifier-onnx:<12 hex of the weights id>`, differs from the tfjs scorer's:
 * the scores agree within 1e-4, not bit for bit, so caches of the two are kept apart.
 *
 * Calls are serialised (one batch buffer; onnxruntime runs on the calling thread).
 */
export class OnnxClassifierScorer implements Scorer {
  /** `classifier-onnx:<first 12 characters of the weights id>`. */
  readonly id: string;
  /** Network input shape z,y,x every window is resampled to. */
  readonly inputShape: Vec3;
  /** Intensity window applied after resampling. */
  readonly intensityWindow: IntensityWindow;
  /** Windows per network call. */
  readonly batchSize: number;
  /** Supervision level of the model's training data (the checkpoint's, or "unknown"). */
  readonly supervision: ClassifierSupervision;
  readonly #runtime: OnnxRuntime;
  readonly #session: OnnxSession;
  readonly #buffer: Float32Array;
  /** Values per network input: input voxels times channels. */
  readonly #voxels: number;
  readonly #channels: number;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    runtime: OnnxRuntime,
    session: OnnxSession,
    spec: OnnxClassifierSpec,
    batchSize: number,
  ) {
    this.#runtime = runtime;
    this.#session = session;
    this.inputShape = [spec.inputShape[0], spec.inputShape[1], spec.inputShape[2]];
    this.intensityWindow = spec.intensityWindow;
    this.batchSize = batchSize;
    this.supervision = spec.supervision ?? "unknown";
    this.id = `classifier-onnx:${spec.weightsId.slice(0, 12)}`;
    this.#channels = spec.inputChannels ?? 1;
    this.#voxels = this.inputShape[0] * this.inputShape[1] * this.inputShape[2] * this.#channels;
    this.#buffer = new Float32Array(batchSize * this.#voxels);
  }

  /**
   * A scorer over an ONNX model written by `exportClassifierToOnnx`.
   *
   * @param onnx the model's bytes
   * @param spec input shape z,y,x, intensity window and weights id
   * @param options batch size, threads, runtime
   * @throws {InvalidArgumentError} on a bad batch size, window, input shape or empty weights id,
   *   or when the model's input/output names are not those of an exported classifier
   * @throws {BackendError} when onnxruntime is unavailable or rejects the model
   */
  static async fromOnnx(
    onnx: Uint8Array,
    spec: OnnxClassifierSpec,
    options: OnnxClassifierScorerOptions = {},
  ): Promise<OnnxClassifierScorer> {
    const batchSize = options.batchSize ?? 16;
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
      throw new InvalidArgumentError("batchSize", `is ${batchSize}`, "an integer >= 1");
    }
    checkIntensityWindow(spec.intensityWindow);
    if (!spec.weightsId) {
      throw new InvalidArgumentError("weightsId", "is empty", "an identifier of the weights");
    }
    const channels = spec.inputChannels ?? 1;
    if (
      spec.inputShape.length !== 3 || !spec.inputShape.every((n) => Number.isInteger(n) && n >= 1) ||
      !(Number.isInteger(channels) && channels >= 1)
    ) {
      throw new InvalidArgumentError(
        "inputShape",
        `is ${JSON.stringify(spec.inputShape)}`,
        "3 positive integers",
      );
    }
    const runtime = options.runtime ?? await loadOnnxRuntime();
    const session = await runtime.createSession(onnx, { intraOpThreads: options.intraOpThreads });
    if (session.inputNames.join() !== ONNX_INPUT_NAME || session.outputNames.join() !== ONNX_OUTPUT_NAME) {
      await session.release();
      throw new InvalidArgumentError(
        "onnx model",
        `has inputs [${session.inputNames.join(", ")}] and outputs [${session.outputNames.join(", ")}]`,
        `input "${ONNX_INPUT_NAME}" and output "${ONNX_OUTPUT_NAME}" (an exported classifier)`,
      );
    }
    return new OnnxClassifierScorer(runtime, session, spec, batchSize);
  }

  /** A scorer over a tfjs classifier, exported now; weights id as `ClassifierScorer.fromModel`'s. */
  static async fromModel(
    model: tfl.LayersModel,
    intensityWindow: IntensityWindow,
    options: OnnxClassifierScorerOptions = {},
  ): Promise<OnnxClassifierScorer> {
    const spec = {
      inputShape: modelInputShape(model),
      inputChannels: modelInputChannels(model),
      intensityWindow,
      weightsId: await weightsSha256(model),
    };
    return await OnnxClassifierScorer.fromOnnx(
      await exportClassifierToOnnx(model, { layout: options.layout }),
      spec,
      options,
    );
  }

  /** A scorer over a model and its checkpoint meta (weights id: the checkpoint's SHA-256). */
  static async fromMeta(
    model: tfl.LayersModel,
    meta: ClassifierMeta,
    options: OnnxClassifierScorerOptions = {},
  ): Promise<OnnxClassifierScorer> {
    const spec = {
      inputShape: meta.inputShape,
      inputChannels: modelInputChannels(model),
      intensityWindow: meta.intensityWindow,
      weightsId: meta.weights.sha256,
      supervision: meta.supervision,
    };
    return await OnnxClassifierScorer.fromOnnx(
      await exportClassifierToOnnx(model, { layout: options.layout }),
      spec,
      options,
    );
  }

  /**
   * A scorer over a checkpoint directory (validated by `loadClassifier`); the tfjs model is
   * disposed once exported.
   * @throws {CheckpointError} on a bad checkpoint; see {@link OnnxClassifierScorer.fromOnnx}
   */
  static async load(dir: string, options: OnnxClassifierScorerOptions = {}): Promise<OnnxClassifierScorer> {
    const { model, meta } = await loadClassifier(dir);
    try {
      return await OnnxClassifierScorer.fromMeta(model, meta, options);
    } finally {
      model.dispose();
    }
  }

  /**
   * Scores `corners.length / 3` windows of `size` (z,y,x) at `corners` (z,y,x triples) of `volume`.
   *
   * @returns probabilities in [0, 1], one per corner, in order
   * @throws {InvalidArgumentError} when `corners.length` is not a multiple of 3 or a window does
   *   not fit inside the volume
   */
  async score(volume: Volume, corners: Int32Array, size: Vec3): Promise<Float32Array> {
    return (await this.scoreBatch([{ volume, corners }], size))[0];
  }

  /**
   * Scores the windows of several volumes, filling network batches across volumes.
   *
   * @returns one array of probabilities per request, in order
   * @throws {InvalidArgumentError} as {@link OnnxClassifierScorer.score}, naming the request
   * @throws {NonFiniteVoxelError} naming the case id when a window holds NaN/Inf voxels
   */
  async scoreBatch(requests: readonly ScoreRequest[], size: Vec3): Promise<Float32Array[]> {
    requests.forEach((r, i) => {
      if (r.corners.length % 3 !== 0) {
        throw new InvalidArgumentError(
          `requests[${i}].corners`,
          `has length ${r.corners.length}`,
          "a multiple of 3 (z,y,x triples)",
        );
      }
      assertFiniteWindows(r.volume, r.corners, size, this.id);
    });
    const result = this.#queue.then(() => this.#scoreAll(requests, size));
    this.#queue = result.catch(() => {});
    return await result;
  }

  async #scoreAll(requests: readonly ScoreRequest[], size: Vec3): Promise<Float32Array[]> {
    const out = requests.map((r) => new Float32Array(r.corners.length / 3));
    // Owner of each batch slot: request index and window index.
    const owners = new Int32Array(2 * this.batchSize);
    let filled = 0;
    for (let r = 0; r < requests.length; r++) {
      const { volume, corners } = requests[r];
      for (let i = 0; i < corners.length / 3; i++) {
        const corner: Vec3 = [corners[3 * i], corners[3 * i + 1], corners[3 * i + 2]];
        const slot = this.#buffer.subarray(filled * this.#voxels, (filled + 1) * this.#voxels);
        writeClassifierInput(volume, corner, size, this.inputShape, this.intensityWindow, slot);
        owners[2 * filled] = r;
        owners[2 * filled + 1] = i;
        if (++filled === this.batchSize) {
          await this.#run(filled, owners, out);
          filled = 0;
        }
      }
    }
    if (filled > 0) await this.#run(filled, owners, out);
    return out;
  }

  async #run(n: number, owners: Int32Array, out: Float32Array[]): Promise<void> {
    const [d, h, w] = this.inputShape, c = this.#channels;
    // One channel: [N, 1, D, H, W] is the buffer's memory; several: the graph takes channels last.
    const dims = c === 1 ? [n, 1, d, h, w] : [n, d, h, w, c];
    const x = this.#runtime.tensor(this.#buffer.subarray(0, n * this.#voxels), dims);
    let y: OnnxTensor;
    try {
      y = (await this.#session.run({ [ONNX_INPUT_NAME]: x }))[ONNX_OUTPUT_NAME];
    } catch (e) {
      throw new BackendError(
        `scorer ${this.id}`,
        `onnxruntime failed on a batch [${dims.join(", ")}] (${(e as Error).message})`,
        `a model whose input is [N, ${dims.slice(1).join(", ")}]`,
      );
    }
    const p = y.data as Float32Array;
    if (!(p instanceof Float32Array) || p.length !== n) {
      throw new BackendError(
        `scorer ${this.id}`,
        `onnx model returned ${y.type} [${y.dims.join(", ")}]`,
        `float32 [${n}, 1]`,
      );
    }
    for (let k = 0; k < n; k++) out[owners[2 * k]][owners[2 * k + 1]] = p[k];
  }

  /** Releases the onnxruntime session. The scorer is unusable afterwards. */
  async dispose(): Promise<void> {
    await this.#queue;
    await this.#session.release();
  }
}
