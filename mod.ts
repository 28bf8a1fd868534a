/**
 * SPARS Gym: a reinforcement-learning gym for weakly-supervised 3D medical segmentation by
 * self-play adversarial agents (SPARS). Volumes are z,y,x with x fastest; spacings in mm.
 *
 * @module
 */
export * from "./data/types.ts";
export * from "./data/errors.ts";
export * from "./data/random.ts";
export * from "./data/resample.ts";
export type { Scorer } from "./env/scorer.ts";
