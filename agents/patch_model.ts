/**
 * The learned patch player's networks by name, so that training and a run's re-evaluation build the
 * same model from a run's config: `fcn`, the fully convolutional {@link PatchPolicyNetwork} (one
 * logit per patch from that patch's features), or `dense`, the window game's {@link PolicyNetwork}
 * (a dense head over the flattened trunk).
 *
 * @module
 */
import type { Vec3 } from "../data/types.ts";
import { patchChannels } from "../env/patch/observation.ts";
import { PatchPolicyNetwork } from "./patch_network.ts";
import type { PatchPolicyModel } from "./patch_policy.ts";
import { PolicyNetwork } from "./policy_network.ts";

/** The learned agent's networks: `fcn` ({@link PatchPolicyNetwork}) or `dense` ({@link PolicyNetwork}). */
export type PatchNetworkKind = "fcn" | "dense";

/** The accepted {@link PatchNetworkKind} values. */
export const PATCH_NETWORK_KINDS: readonly PatchNetworkKind[] = ["fcn", "dense"];

/** What {@link createPatchModel} needs: the network kind and the game's geometry. */
export interface PatchModelSettings {
  /** Which network. */
  readonly network: PatchNetworkKind;
  /** Observation shape z,y,x (cells). */
  readonly observationShape: Vec3;
  /** True when the observation has the score channel (3 channels, else 2). */
  readonly observeScores: boolean;
  /** Patch grid z,y,x (n = gz * gy * gx patches; n + 1 actions). */
  readonly grid: Vec3;
}

/**
 * A freshly initialised network of `settings.network` for the game's observation and grid.
 * @param seed initialisation seed
 * @throws {InvalidArgumentError} for an observation smaller than the grid
 */
export function createPatchModel(settings: PatchModelSettings, seed: number): PatchPolicyModel {
  const { observationShape, grid } = settings;
  const channels = patchChannels(settings.observeScores);
  if (settings.network === "dense") {
    const actions = grid[0] * grid[1] * grid[2] + 1;
    return new PolicyNetwork({ observationShape, channels, actions, intensityWindow: null }, seed);
  }
  return new PatchPolicyNetwork({ observationShape, channels, grid }, seed);
}
