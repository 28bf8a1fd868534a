/**
 * What follows the episodes of one case, shared by `segment` and the sweeps: the optional local dense
 * refinement (refine.ts), the probability map of the trajectories (cut at tau) plus the refinement
 * windows, the mean-per-visit map that `visit` mask rules read and the deconvolved map that `deconv`
 * rules read (deconvolved_map.ts; each built on first use), the best window
 * score that the presence gate reads (presence_gate.ts), and the mask of a rule and gate.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3, Volume } from "../data/types.ts";
import type { MapMode } from "../env/probability_map.ts";
import type { Scorer } from "../env/scorer.ts";
import { deconvolvedMap } from "./deconvolved_map.ts";
import { applyMaskRule, type MaskRule } from "./mask_rule.ts";
import { bestWindowScore, isGated } from "./presence_gate.ts";
import { checkRefine, refineWindows } from "./refine.ts";
import {
  mapWindows,
  type Trajectory,
  trajectoryMapArray,
  visitedBox,
  type WindowScores,
} from "./trajectory_map.ts";

/** Options of {@link episodeMap}. */
export interface EpisodeMapOptions {
  /** Window size z,y,x. */
  readonly window: Vec3;
  /** The game's stride (voxels), for refinement. */
  readonly stride: number;
  /** Map mode. */
  readonly mapMode: MapMode;
  /** Cut the trajectories at this tau (see `stepsUnderTau`); none: whole trajectories. */
  readonly tau?: number;
  /** Refinement radius in strides per axis (0 = off). Default 0. */
  readonly refineRadius?: number;
  /** Number of best windows refined around (0 = off). Default 0. */
  readonly refineTop?: number;
  /** Scores the refinement windows (required when refinement is on). */
  readonly scorer?: Scorer;
}

/** A case's map after the episodes (see the module doc). */
export interface EpisodeMap {
  /** The probability map, z,y,x (x fastest), shape of the volume. */
  readonly map: Float32Array;
  /** The box (first voxel, size; z,y,x) outside which the map is 0; undefined when nothing was added. */
  readonly box?: { readonly lo: Vec3; readonly size: Vec3 };
  /** The refinement windows added (empty when off). */
  readonly refined: WindowScores;
  /** The best window score (presence gate rule). */
  readonly bestScore: number;
  /** The mean-per-visit map of the same windows (z,y,x), built on first call. */
  meanMap(): Float32Array;
  /** The deconvolved map of the same distinct windows (z,y,x; deconvolved_map.ts), built on first call. */
  deconvMap(): Float32Array;
  /** The mask of `rule`, emptied when the gate closes (`bestScore < gate`). */
  mask(rule: MaskRule, gate?: number): { readonly mask: Uint8Array; readonly gated: boolean };
}

/**
 * Refines (when asked), integrates the map over the visited box, and returns the {@link EpisodeMap}.
 * @throws {InvalidArgumentError} for bad refinement options or refinement without a scorer, plus the
 *   scorer's errors
 */
export async function episodeMap(
  volume: Volume,
  trajectories: readonly Trajectory[],
  options: EpisodeMapOptions,
): Promise<EpisodeMap> {
  const { window, mapMode, tau } = options;
  const shape = volume.shape;
  const radius = options.refineRadius ?? 0, top = options.refineTop ?? 0;
  checkRefine(radius, top);
  let refined: WindowScores = { corners: new Int32Array(0), scores: new Float32Array(0) };
  if (radius > 0 && top > 0) {
    if (!options.scorer) {
      throw new InvalidArgumentError("scorer", "is missing", "a scorer for the refinement windows");
    }
    refined = await refineWindows(volume, trajectories, {
      scorer: options.scorer,
      window,
      stride: options.stride,
      radius,
      top,
      tau,
    });
  }
  const map = trajectoryMapArray(trajectories, shape, window, mapMode, tau, refined);
  const box = visitedBox(trajectories, window, tau, refined);
  const bestScore = bestWindowScore(trajectories, tau, refined);
  let mean: Float32Array | undefined;
  const meanMap = (): Float32Array =>
    mean ??= mapMode === "mean" ? map : trajectoryMapArray(trajectories, shape, window, "mean", tau, refined);
  let deconvolved: Float32Array | undefined;
  const deconvMap = (): Float32Array =>
    deconvolved ??= deconvolvedMap(mapWindows(trajectories, tau, refined), shape, window);
  return {
    map,
    box,
    refined,
    bestScore,
    meanMap,
    deconvMap,
    mask(rule: MaskRule, gate = 0) {
      if (isGated(bestScore, gate)) return { mask: new Uint8Array(map.length), gated: true };
      const mean = rule.kind === "visit" ? meanMap() : undefined;
      const deconv = rule.kind === "deconv" ? deconvMap() : undefined;
      return { mask: applyMaskRule(rule, map, mean, shape, box, deconv), gated: false };
    },
  };
}
