/**
 * `@spars/gym/models`: everything that needs tfjs — backends (`cpu`, `wasm` with corrected conv3d
 * kernels, `webgpu`, optional `tensorflow`), the 3D batch-norm layer, the object-presence classifier,
 * its training (from crops, tiles, images, or by multiple-instance learning on whole volumes with
 * image-level labels only) and checkpoints, and `ClassifierScorer` (the classifier behind env's `Scorer`).
 * Kept out of the main entry point so that `@spars/gym` loads without tfjs.
 *
 * @module
 */
export * from "./backend.ts";
export * from "./batch_norm3d.ts";
export * from "./classifier.ts";
export * from "./classifier_input.ts";
export * from "./classifier_metrics.ts";
export * from "./classifier_training.ts";
export * from "./classifier_data.ts";
export * from "./checkpoint.ts";
export * from "./classifier_scorer.ts";
export * from "./mil_data.ts";
export * from "./mil_training.ts";
export * from "./onnx_export.ts";
export * from "./onnx_runtime.ts";
export * from "./onnx_scorer.ts";
export * from "./pixel_network.ts";
// Types the exports above refer to, defined in other layers (so that the API docs resolve them).
export type { SparsGymError } from "../data/errors.ts";
export type { Rng, RngState } from "../data/random.ts";
export type { SupervisionLevel } from "../data/supervision.ts";
export type { Case, Labels, Vec3, Volume } from "../data/types.ts";
export type { Scorer, ScoreRequest } from "../env/scorer.ts";
