/**
 * `@spars/gym/models`: everything that needs tfjs — backends (`cpu`, `wasm` with corrected conv3d
 * kernels, `webgpu`, optional `tensorflow`), the 3D batch-norm layer, the object-presence classifier,
 * its training (from crops, tiles, images, or by multiple-instance learning on whole volumes with
 * image-level labels only) and checkpoints, and `ClassifierScorer` (the classifier behind env's `Scorer`).
 * Kept out of the main entry point so that `@spars/gym` loads without tfjs.
 *
 * @module
 */
export {
  BACKEND_NAMES,
  BackendError,
  type BackendInfo,
  type BackendName,
  initBackend,
  type InitBackendOptions,
} from "./backend.ts";
export { BatchNorm3d, type BatchNorm3dArgs, recalibrateBatchNorm } from "./batch_norm3d.ts";
export {
  buildClassifier,
  type ClassifierArchitecture,
  DEFAULT_ARCHITECTURE,
  resolveArchitecture,
} from "./classifier.ts";
export { DEFAULT_INTENSITY_WINDOW, type IntensityWindow } from "./classifier_input.ts";
export { type BinaryMetrics, binaryMetrics, rocAuc } from "./classifier_metrics.ts";
export {
  type ClassBalance,
  type ClassifierSample,
  type EpochMetrics,
  predictSamples,
  samplesFromCases,
  trainClassifier,
  type TrainClassifierOptions,
  type TrainingHistory,
} from "./classifier_training.ts";
export {
  DEFAULT_CROP_SCALE,
  DEFAULT_CROPS,
  type SampleReport,
  samplesFromDataset,
  type SampleSource,
} from "./classifier_data.ts";
export {
  type PatchLabel,
  patchPresenceLabels,
  type PatchSampleOptions,
  type PatchSampleReport,
  patchSamples,
} from "./patch_samples.ts";
export {
  CHECKPOINT_VERSION,
  CheckpointError,
  type ClassifierMeta,
  type ClassifierMetaInput,
  type ClassifierSupervision,
  loadClassifier,
  type LoadedClassifier,
  saveClassifier,
  type SaveClassifierOptions,
  weightsSha256,
} from "./checkpoint.ts";
export {
  ClassifierScorer,
  type ClassifierScorerModelOptions,
  type ClassifierScorerOptions,
  type ClassifierScorerSpec,
} from "./classifier_scorer.ts";
export { bagsFromCases, type MilBag } from "./mil_data.ts";
export { MIL_POOLINGS, type MilPooling, trainMil, type TrainMilOptions } from "./mil_training.ts";
export {
  exportClassifierToOnnx,
  ONNX_INPUT_NAME,
  ONNX_OPSET,
  ONNX_OUTPUT_NAME,
  type OnnxExportOptions,
  type OnnxLayout,
  saveClassifierOnnx,
} from "./onnx_export.ts";
export { type Attribute, OnnxGraph, type OnnxValueInfo } from "./onnx_graph.ts";
export {
  loadOnnxRuntime,
  type OnnxRuntime,
  type OnnxSession,
  type OnnxSessionOptions,
  type OnnxTensor,
  probeOnnxRuntime,
} from "./onnx_runtime.ts";
export {
  OnnxClassifierScorer,
  type OnnxClassifierScorerOptions,
  type OnnxClassifierSpec,
} from "./onnx_scorer.ts";
export {
  type ConvSpec,
  PAPER_PIXEL_NETWORK,
  PIXEL_NETWORK_PRESETS,
  PixelNetwork,
  type PixelNetworkConfig,
  type PixelNetworkOutput,
  type PixelWeight,
  SMALL_PIXEL_NETWORK,
} from "./pixel_network.ts";

// Types the exports above refer to, defined in other layers (so that the API docs resolve them).
export type { Case, Labels, Vec3, Volume } from "../data/types.ts";
export type { Rng, RngState } from "../data/random.ts";
export type { Scorer, ScoreRequest } from "../env/scorer.ts";
export type { SparsGymError } from "../data/errors.ts";
export type { SupervisionLevel } from "../data/supervision.ts";
