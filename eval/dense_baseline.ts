/**
 * The dense sliding-window baseline: score EVERY corner of the stride lattice with the same scorer
 * and accumulate the scores the same way as the agents do (one {@link ProbabilityMap} add per
 * window), with no reinforcement learning. It answers whether the agents beat plain exhaustive
 * search for the compute they spend (compare `windowsScored`).
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3, Volume } from "../data/types.ts";
import { DEFAULT_SPARS_CONFIG } from "../env/config.ts";
import { latticeCorners } from "../env/geometry.ts";
import { isSumMode, type MapMode, ProbabilityMap } from "../env/probability_map.ts";
import { type Scorer, scoreRequests } from "../env/scorer.ts";
import { deconvolvedMap } from "./deconvolved_map.ts";
import { applyMaskRule, checkMaskRule, type MaskRule } from "./mask_rule.ts";
import { checkGate, isGated } from "./presence_gate.ts";
import type { DenseScoreStore } from "./dense_cache.ts";

/** Options of {@link denseBaseline}. */
export interface DenseBaselineOptions {
  /** The scorer (the same reward model the agents use). */
  readonly scorer: Scorer;
  /** Window size z,y,x in voxels (default 24x48x48, as the game). */
  readonly window?: Vec3;
  /** Lattice step in voxels (default 4, the game's stride). */
  readonly stride?: number;
  /** How scores combine per voxel (default `"sum"`, as the game). */
  readonly mapMode?: MapMode;
  /**
   * The mask is `map > threshold`. Default: {@link defaultDenseThreshold} with `tau` (a voxel is
   * foreground when the mean score of the windows covering it exceeds tau).
   */
  readonly threshold?: number;
  /**
   * The mask rule (see mask_rule.ts); wins over `threshold`. Default `{kind: "absolute", value: threshold}`.
   * A `visit` rule reads the mean score of the lattice windows covering each voxel.
   */
  readonly rule?: MaskRule;
  /** Presence gate in [0, 1]: empty mask when the best lattice window score < gate. Default 0 (off). */
  readonly gate?: number;
  /** Also return `meanMap` (the mean-per-visit map) even when the rule does not need it. Default false. */
  readonly keepMeanMap?: boolean;
  /** Also return `deconvMap` (the deconvolved map, built on call) even when the rule does not need it. Default false. */
  readonly keepDeconvMap?: boolean;
  /** Used only for the default threshold (default 0.3, the game's tau). */
  readonly tau?: number;
  /** Windows per scorer call (default 512). */
  readonly batchSize?: number;
  /**
   * Lattice scores stored across evaluations (see dense_cache.ts): read instead of calling the scorer
   * when stored, stored after scoring otherwise. Default none.
   */
  readonly cache?: DenseScoreStore;
  /** Called after each batch with (windows scored, total windows). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Result of {@link denseBaseline}. */
export interface DenseBaselineResult {
  /** The probability map, z,y,x (x fastest). */
  readonly map: Float32Array;
  /** The mask of `rule` (empty when `gated`) as 0/1. */
  readonly mask: Uint8Array;
  /** The rule's value (the threshold of an `absolute` rule). */
  readonly threshold: number;
  /** The mask rule used. */
  readonly rule: MaskRule;
  /** The mean score of the lattice windows covering each voxel (z,y,x), when a `visit` rule or `keepMeanMap` asked for it. */
  readonly meanMap?: Float32Array;
  /**
   * The deconvolved map of the lattice windows (z,y,x; deconvolved_map.ts), built on first call, when
   * a `deconv` rule or `keepDeconvMap` asked for it.
   */
  readonly deconvMap?: () => Float32Array;
  /** The best lattice window score (presence gate rule). */
  readonly bestScore: number;
  /** True when the presence gate emptied the mask. */
  readonly gated: boolean;
  /** Number of lattice windows scored (every one, once). */
  readonly windowsScored: number;
  /** Lattice corners per axis, z,y,x. */
  readonly latticeShape: Vec3;
  /** True when the scores were read from `cache` (no scorer call; `scorerMs` is 0). */
  readonly fromCache: boolean;
  /** Milliseconds: inside scorer calls, map integration + threshold, and everything. */
  readonly timings: { readonly scorerMs: number; readonly mapMs: number; readonly totalMs: number };
}

/**
 * Lattice windows covering an interior voxel: the product over axes of window / stride (exact when
 * the stride divides the window; e.g. 24x48x48 with stride 4 gives 6 * 12 * 12 = 864).
 */
export function denseCoverage(window: Vec3, stride: number): number {
  return (window[0] / stride) * (window[1] / stride) * (window[2] / stride);
}

/**
 * The default dense threshold for termination threshold `tau`: `tau * denseCoverage` in `sum` mode
 * (the mean score of covering windows above tau), `tau` in `mean` and `max` modes.
 */
export function defaultDenseThreshold(tau: number, window: Vec3, stride: number, mode: MapMode): number {
  return isSumMode(mode) ? tau * denseCoverage(window, stride) : tau;
}

/**
 * Scores every lattice corner of `volume` (see `latticeCorners`: corners 0, stride, 2*stride, ... plus
 * the last corner touching the border) in batches of `batchSize` and adds each score into a
 * {@link ProbabilityMap} of `mapMode`.
 *
 * @throws {InvalidArgumentError} for a bad batch size, threshold or stride, a window that does not fit,
 *   or a scorer returning the wrong number of scores or a score outside [0, 1]
 */
export async function denseBaseline(
  volume: Volume,
  options: DenseBaselineOptions,
): Promise<DenseBaselineResult> {
  const t0 = performance.now();
  const window = options.window ?? DEFAULT_SPARS_CONFIG.window;
  const stride = options.stride ?? DEFAULT_SPARS_CONFIG.stride;
  const mode = options.mapMode ?? DEFAULT_SPARS_CONFIG.mapMode;
  const batchSize = options.batchSize ?? 512;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new InvalidArgumentError("batchSize", `is ${batchSize}`, "a positive integer");
  }
  const tau = options.tau ?? DEFAULT_SPARS_CONFIG.tau;
  const threshold = options.threshold ?? defaultDenseThreshold(tau, window, stride, mode);
  if (!Number.isFinite(threshold)) {
    throw new InvalidArgumentError("threshold", `is ${threshold}`, "a finite number");
  }
  const rule = checkMaskRule(options.rule ?? { kind: "absolute", value: threshold }, "rule");
  const gate = checkGate(options.gate ?? 0, "gate");
  const wantMean = rule.kind === "visit" || options.keepMeanMap === true;
  const wantDeconv = rule.kind === "deconv" || options.keepDeconvMap === true;
  const { corners, latticeShape } = latticeCorners(volume.shape, window, stride);
  const map = new ProbabilityMap(volume.shape, window, mode);
  const means = wantMean ? new ProbabilityMap(volume.shape, window, "mean") : undefined;
  let bestScore = 0;
  const total = corners.length / 3;
  let scorerMs = 0;
  const cached = await options.cache?.load(volume, window, stride, total);
  const computed = (options.cache || wantDeconv) && !cached ? new Float32Array(total) : undefined;
  for (let start = 0; start < total; start += batchSize) {
    const end = Math.min(total, start + batchSize);
    const batch = corners.subarray(3 * start, 3 * end);
    const s0 = performance.now();
    const scores = cached
      ? cached.subarray(start, end)
      : (await scoreRequests(options.scorer, [{ volume, corners: batch }], window))[0];
    if (!cached) scorerMs += performance.now() - s0;
    computed?.set(scores, start);
    for (let i = 0; i < scores.length; i++) {
      const corner: Vec3 = [batch[3 * i], batch[3 * i + 1], batch[3 * i + 2]];
      map.add(corner, scores[i]);
      means?.add(corner, scores[i]);
      if (scores[i] > bestScore) bestScore = scores[i];
    }
    options.onProgress?.(start + scores.length, total);
  }
  if (computed && options.cache) await options.cache.save(volume, window, stride, computed);
  const m0 = performance.now();
  const values = map.toArray();
  const meanMap = means ? (mode === "mean" ? values : means.toArray()) : undefined;
  const allScores = wantDeconv ? (cached ?? computed) : undefined;
  let deconvolved: Float32Array | undefined;
  const deconvMap = allScores
    ? (): Float32Array => deconvolved ??= deconvolvedMap({ corners, scores: allScores }, volume.shape, window)
    : undefined;
  const gated = isGated(bestScore, gate);
  const mask = gated ? new Uint8Array(values.length) : applyMaskRule(
    rule,
    values,
    meanMap,
    undefined,
    undefined,
    rule.kind === "deconv" ? deconvMap!() : undefined,
  );
  const end = performance.now();
  return {
    map: values,
    mask,
    threshold: rule.value,
    rule,
    meanMap,
    deconvMap,
    bestScore,
    gated,
    windowsScored: total,
    latticeShape,
    fromCache: cached !== undefined,
    timings: { scorerMs, mapMs: end - m0, totalMs: end - t0 },
  };
}
