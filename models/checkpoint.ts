/**
 * Classifier checkpoints on the file system: a directory holding
 *
 * - `model.json`: tfjs layers-model format (topology + weights manifest), loadable by
 *   `tf.loadLayersModel` anywhere once `BatchNorm3d` is registered (import `batch_norm3d.ts`);
 * - `weights.bin`: the weights, float32 little-endian, in manifest order;
 * - `classifier.json`: what the network needs around it (input shape z,y,x, intensity window,
 *   architecture, weight size and SHA-256, version) and the supervision level of its training data
 *   (`supervision`, see {@link ClassifierSupervision}).
 *
 * Written atomically: the files go into a temporary sibling directory which is then renamed into
 * place. `loadClassifier` checks everything it reads and throws {@link CheckpointError} naming the
 * file at fault.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { SparsGymError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";
import "./batch_norm3d.ts";
import { type ClassifierArchitecture, modelInputShape, resolveArchitecture } from "./classifier.ts";
import { checkIntensityWindow, type IntensityWindow } from "./classifier_input.ts";
import { exists } from "../data/dataset_files.ts";
import { isSupervisionLevel, type SupervisionLevel } from "../data/supervision.ts";

/** A checkpoint is missing, corrupt, or does not match what the caller expects. */
export class CheckpointError extends SparsGymError {}

/** Version of the `classifier.json` format written by this module. */
export const CHECKPOINT_VERSION = 1;

/**
 * The supervision level a classifier was trained with, or `"unknown"` when nobody recorded it (a
 * checkpoint written before the field existed and without `training.samples`, or a model saved
 * without saying).
 */
export type ClassifierSupervision = SupervisionLevel | "unknown";

/**
 * The supervision level of a checkpoint written before `supervision` existed, from the sample mode
 * its writer recorded in `training.samples` (the classifier CLI and the pipeline always did): `crops`
 * were placed and labelled from voxel masks, `tiles` had labels derived from masks, `images` read the
 * presence label only. Anything else is `"unknown"`: the default mode changed over time (tiles, then
 * crops), so no default is assumed.
 */
export function legacySupervision(training: unknown): ClassifierSupervision {
  const samples = (training as { samples?: unknown } | null | undefined)?.samples;
  if (samples === "crops") return "crops labelled from voxel masks";
  if (samples === "tiles") return "tile-level (derived from masks)";
  if (samples === "images") return "image-level";
  return "unknown";
}

/** What the caller supplies to {@link saveClassifier} besides the model. */
export interface ClassifierMetaInput {
  /** Intensity window applied to inputs before the network (null: inputs already in [0, 1]). */
  intensityWindow: IntensityWindow;
  /** Architecture the model was built with (input shape is checked against the model). */
  architecture: ClassifierArchitecture;
  /** Free-form training summary (epochs, metrics, data); stored as given. */
  training?: Record<string, unknown>;
  /**
   * How the training examples were labelled (what the data builder reports, e.g.
   * `SampleReport.supervision`). Written as `"unknown"` when absent.
   */
  supervision?: ClassifierSupervision;
}

/** Contents of `classifier.json`. */
export interface ClassifierMeta extends ClassifierMetaInput {
  /**
   * Supervision level of the training data. Checkpoints written before the field existed read as
   * {@link legacySupervision} of their `training`.
   */
  supervision: ClassifierSupervision;
  /** Always "spars-gym-classifier". */
  format: "spars-gym-classifier";
  /** {@link CHECKPOINT_VERSION} at writing time. */
  version: number;
  /** Network input shape z,y,x (equals `architecture.inputShape`). */
  inputShape: Vec3;
  /** The weights file: name, byte size and SHA-256 (hex). */
  weights: { file: "weights.bin"; bytes: number; sha256: string };
  /** ISO date of writing. */
  createdAt: string;
}

/** A loaded checkpoint. */
export interface LoadedClassifier {
  /** The model, ready for `predict`. */
  model: tfl.LayersModel;
  /** The checkpoint's `classifier.json`. */
  meta: ClassifierMeta;
}

/** Options of {@link saveClassifier}. */
export interface SaveClassifierOptions {
  /** Replace an existing checkpoint at `dir` (default false: an existing `dir` is an error). */
  overwrite?: boolean;
}

/** SHA-256 of bytes, lowercase hex. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** SHA-256 (hex) of a model's weights in layer order: an identity for scorers built from memory. */
export async function weightsSha256(model: tfl.LayersModel): Promise<string> {
  const parts = await Promise.all(model.getWeights().map((w) => w.data()));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    bytes.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), offset);
    offset += p.byteLength;
  }
  return await sha256Hex(bytes);
}

function parentOf(dir: string): string {
  const trimmed = dir.replace(/\/+$/, "");
  const slash = trimmed.lastIndexOf("/");
  return slash < 0 ? "." : slash === 0 ? "/" : trimmed.slice(0, slash);
}

/**
 * Saves a classifier checkpoint into `dir` (created; its parent must exist or is created).
 *
 * @param model the classifier
 * @param dir checkpoint directory
 * @param meta intensity window, architecture, supervision level and optional training summary
 * @returns the `classifier.json` written
 * @throws {CheckpointError} when `dir` exists and `overwrite` is not set, when the model's input
 *   shape differs from `meta.architecture.inputShape`, or when `meta.supervision` is not a level
 */
export async function saveClassifier(
  model: tfl.LayersModel,
  dir: string,
  meta: ClassifierMetaInput,
  options: SaveClassifierOptions = {},
): Promise<ClassifierMeta> {
  const architecture = resolveArchitecture(meta.architecture);
  checkIntensityWindow(meta.intensityWindow, "meta.intensityWindow");
  const supervision = meta.supervision ?? "unknown";
  if (supervision !== "unknown" && !isSupervisionLevel(supervision)) {
    throw new CheckpointError(
      "meta.supervision",
      `is ${JSON.stringify(supervision)}`,
      'a SupervisionLevel (data/supervision.ts) or "unknown"',
    );
  }
  const inputShape = modelInputShape(model);
  if (inputShape.join("x") !== architecture.inputShape.join("x")) {
    throw new CheckpointError(
      "meta.architecture.inputShape",
      `is ${architecture.inputShape.join("x")} but the model takes ${inputShape.join("x")}`,
      "the model's input shape",
    );
  }
  if (!options.overwrite && await exists(dir)) {
    throw new CheckpointError(dir, "already exists", "a new directory, or overwrite: true");
  }
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((a) => {
    artifacts = a;
    return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } });
  }));
  const weightData = artifacts!.weightData;
  const weights = new Uint8Array(
    weightData instanceof ArrayBuffer ? weightData : tf.io.CompositeArrayBuffer.join(weightData!),
  );
  const full: ClassifierMeta = {
    format: "spars-gym-classifier",
    version: CHECKPOINT_VERSION,
    inputShape: architecture.inputShape,
    intensityWindow: meta.intensityWindow,
    architecture,
    supervision,
    weights: { file: "weights.bin", bytes: weights.byteLength, sha256: await sha256Hex(weights) },
    createdAt: new Date().toISOString(),
    ...(meta.training ? { training: meta.training } : {}),
  };
  const modelJson = {
    format: "layers-model",
    generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
    convertedBy: null,
    modelTopology: artifacts!.modelTopology,
    weightsManifest: [{ paths: ["weights.bin"], weights: artifacts!.weightSpecs }],
  };
  const parent = parentOf(dir);
  await Deno.mkdir(parent, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: parent, prefix: ".checkpoint-tmp-" });
  try {
    await Deno.writeFile(`${tmp}/weights.bin`, weights);
    await Deno.writeTextFile(`${tmp}/model.json`, JSON.stringify(modelJson));
    await Deno.writeTextFile(`${tmp}/classifier.json`, JSON.stringify(full, null, 2) + "\n");
    if (await exists(dir)) {
      // A directory cannot be renamed onto a non-empty one: move the old one aside first.
      const old = `${tmp}-old`;
      await Deno.rename(dir, old);
      await Deno.rename(tmp, dir);
      await Deno.remove(old, { recursive: true });
    } else {
      await Deno.rename(tmp, dir);
    }
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
  return full;
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new CheckpointError(path, `cannot be read (${(e as Error).message})`, "a checkpoint file");
  }
  try {
    const value = JSON.parse(text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not an object");
    return value;
  } catch (e) {
    throw new CheckpointError(path, `is not a JSON object (${(e as Error).message})`, "valid JSON");
  }
}

function isShape(v: unknown): v is Vec3 {
  return Array.isArray(v) && v.length === 3 && v.every((n) => Number.isInteger(n) && n >= 1);
}

function checkMeta(path: string, raw: Record<string, unknown>): ClassifierMeta {
  const fail = (problem: string, expected: string): never => {
    throw new CheckpointError(path, problem, expected);
  };
  if (raw.format !== "spars-gym-classifier") {
    fail(`has format ${JSON.stringify(raw.format)}`, '"spars-gym-classifier"');
  }
  if (raw.version !== CHECKPOINT_VERSION) fail(`has version ${raw.version}`, `version ${CHECKPOINT_VERSION}`);
  if (!isShape(raw.inputShape)) {
    fail(`has inputShape ${JSON.stringify(raw.inputShape)}`, "three positive integers");
  }
  try {
    checkIntensityWindow(raw.intensityWindow as IntensityWindow);
    resolveArchitecture(raw.architecture as ClassifierArchitecture);
  } catch (e) {
    fail(`is invalid: ${(e as Error).message}`, "a valid intensityWindow and architecture");
  }
  const arch = raw.architecture as ClassifierArchitecture;
  if ((raw.inputShape as Vec3).join("x") !== arch.inputShape.join("x")) {
    fail("has inputShape different from architecture.inputShape", "equal shapes");
  }
  const w = raw.weights as ClassifierMeta["weights"] | undefined;
  if (
    !w || w.file !== "weights.bin" || !Number.isInteger(w.bytes) || !/^[0-9a-f]{64}$/.test(w.sha256 ?? "")
  ) {
    fail(`has weights ${JSON.stringify(w)}`, '{file: "weights.bin", bytes, sha256}');
  }
  if (raw.supervision === undefined) {
    return { ...raw, supervision: legacySupervision(raw.training) } as ClassifierMeta;
  }
  if (raw.supervision !== "unknown" && !isSupervisionLevel(raw.supervision)) {
    fail(`has supervision ${JSON.stringify(raw.supervision)}`, 'a supervision level or "unknown"');
  }
  return raw as unknown as ClassifierMeta;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/**
 * Loads and validates a checkpoint written by {@link saveClassifier}.
 *
 * Checks: `classifier.json` (format, version, input shape, window, architecture, supervision level;
 * a checkpoint without `supervision` reads as {@link legacySupervision}), `model.json`
 * (one weights group in `weights.bin`), the size of `weights.bin` against the manifest and
 * `classifier.json`, its SHA-256, and that the model's input shape equals `classifier.json`'s
 * (and `expectedInputShape` when given).
 *
 * @param dir checkpoint directory
 * @param expectedInputShape optional input shape z,y,x the caller needs
 * @throws {CheckpointError} on any missing, corrupt or mismatched part
 */
export async function loadClassifier(dir: string, expectedInputShape?: Vec3): Promise<LoadedClassifier> {
  const meta = checkMeta(`${dir}/classifier.json`, await readJson(`${dir}/classifier.json`));
  const modelPath = `${dir}/model.json`, weightsPath = `${dir}/weights.bin`;
  const modelJson = await readJson(modelPath);
  const manifest = modelJson.weightsManifest as tf.io.WeightsManifestConfig | undefined;
  if (
    !Array.isArray(manifest) || manifest.length !== 1 || manifest[0].paths?.length !== 1 ||
    manifest[0].paths[0] !== "weights.bin" || !Array.isArray(manifest[0].weights) || !modelJson.modelTopology
  ) {
    throw new CheckpointError(
      modelPath,
      "has no single weights group in weights.bin",
      "a layers-model model.json",
    );
  }
  const specs = manifest[0].weights;
  const manifestBytes = specs.reduce(
    (sum, s) => sum + (DTYPE_BYTES[s.dtype] ?? NaN) * s.shape.reduce((a, b) => a * b, 1),
    0,
  );
  let weights: Uint8Array;
  try {
    weights = await Deno.readFile(weightsPath);
  } catch (e) {
    throw new CheckpointError(weightsPath, `cannot be read (${(e as Error).message})`, "the weights file");
  }
  if (weights.byteLength !== manifestBytes || weights.byteLength !== meta.weights.bytes) {
    throw new CheckpointError(
      weightsPath,
      `has ${weights.byteLength} bytes`,
      `${meta.weights.bytes} bytes (classifier.json) = ${manifestBytes} bytes (model.json manifest)`,
    );
  }
  const sha = await sha256Hex(weights);
  if (sha !== meta.weights.sha256) {
    throw new CheckpointError(
      weightsPath,
      `has SHA-256 ${sha}`,
      `${meta.weights.sha256} (classifier.json): corrupt`,
    );
  }
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(tf.io.fromMemory({
      modelTopology: modelJson.modelTopology as tf.io.ModelArtifacts["modelTopology"],
      weightSpecs: specs,
      weightData: weights.buffer.slice(
        weights.byteOffset,
        weights.byteOffset + weights.byteLength,
      ) as ArrayBuffer,
    }));
  } catch (e) {
    throw new CheckpointError(
      modelPath,
      `cannot be loaded by tfjs (${(e as Error).message})`,
      "a valid model",
    );
  }
  const actual = modelInputShape(model);
  for (
    const [what, shape] of [["classifier.json", meta.inputShape], ["the caller", expectedInputShape]] as const
  ) {
    if (shape && actual.join("x") !== shape.join("x")) {
      model.dispose();
      throw new CheckpointError(
        modelPath,
        `has input shape ${actual.join("x")}`,
        `${shape.join("x")} (${what})`,
      );
    }
  }
  return { model, meta };
}
