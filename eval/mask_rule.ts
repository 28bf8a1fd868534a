/**
 * Mask rules: how a probability map becomes a segmentation.
 * - `absolute` t: `map > t` (the paper; t on the map's own scale, which for a `sum` map grows with
 *   the number of visits and the tumour size);
 * - `peak` a: `map > a * max(map)`, a in (0, 1): relative to the map's peak, so scale-free; an
 *   all-zero map gives an empty mask;
 * - `visit` t: `mean > t`, where `mean` is the per-voxel mean score over the window additions that
 *   covered the voxel (the `mean` map of the same windows, whatever the map mode; revisits count once
 *   per addition); voxels never covered are 0, so for t >= 0 they are never in the mask;
 * - `deconv` a: `deconvolved > a * max(deconvolved)`, a in (0, 1), where `deconvolved` is the voxel
 *   map whose window means match the scores of the same distinct windows (deconvolved_map.ts); an
 *   all-zero map gives an empty mask.
 *
 * Text form (CLI): `kind:value`, e.g. `peak:0.5`, `visit:0.3`, `deconv:0.4`, `absolute:2`; a bare number is `absolute`.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";
import { isSumMode, type MapMode } from "../env/probability_map.ts";

/** The kinds of mask rule (see the module doc). */
export type MaskRuleKind = "absolute" | "peak" | "visit" | "deconv";

/** Every mask rule kind, in report order. */
export const MASK_RULE_KINDS: readonly MaskRuleKind[] = ["absolute", "peak", "visit", "deconv"];

/**
 * The kinds a validation sweep chooses among by default: every kind but `deconv`, which is opt-in
 * (`--rule-kinds absolute,peak,visit,deconv`). Measured on the default phantoms (issue 10): it lifts
 * the DENSE oracle map from 72-78% Dice (`peak`) to 80-84%, but with the windows agents visit (a walk
 * and a +/-2-stride refinement) the oracle reached 65.7% on validation against 69.7% for `peak`, and
 * with the classifier (a presence score, not a share) 29-35% against 40-60%; it also costs about
 * 0.2 s per map.
 */
export const DEFAULT_SWEPT_RULE_KINDS: readonly MaskRuleKind[] = ["absolute", "peak", "visit"];

/**
 * The kinds the sweep chooses among for the evaluation's `oracle` row: all four. The oracle's score IS
 * the target share of the window, the model `deconv` inverts; with the oracle row's wider refinement
 * (`DEFAULT_ORACLE_REFINE_RADIUS`) the sweep picks it on validation.
 */
export const DEFAULT_ORACLE_RULE_KINDS: readonly MaskRuleKind[] = MASK_RULE_KINDS;

/** True for the kinds whose value is a fraction in (0, 1) of their map's peak (`peak`, `deconv`). */
export function isPeakRelative(kind: MaskRuleKind): boolean {
  return kind === "peak" || kind === "deconv";
}

/** A mask rule: a kind and its value (threshold t, or peak fraction a). */
export interface MaskRule {
  /** The kind. */
  readonly kind: MaskRuleKind;
  /** `absolute`/`visit`: the threshold t (finite); `peak`/`deconv`: the fraction a of the peak, in (0, 1). */
  readonly value: number;
}

/**
 * Checks a rule's kind and value.
 * @param rule the rule
 * @param source the option or CLI flag named in the error
 * @returns the rule
 * @throws {InvalidArgumentError} for an unknown kind, a non-finite value, or a peak fraction outside (0, 1)
 */
export function checkMaskRule(rule: MaskRule, source = "rule"): MaskRule {
  if (!rule || !MASK_RULE_KINDS.includes(rule.kind)) {
    throw new InvalidArgumentError(source, `has kind '${rule?.kind}'`, MASK_RULE_KINDS.join(" | "));
  }
  if (!Number.isFinite(rule.value)) {
    throw new InvalidArgumentError(source, `has value ${rule.value}`, "a finite number");
  }
  if (isPeakRelative(rule.kind) && !(rule.value > 0 && rule.value < 1)) {
    throw new InvalidArgumentError(source, `is ${rule.kind}:${rule.value}`, "a peak fraction in (0, 1)");
  }
  return rule;
}

/**
 * Parses `kind:value` (or a bare number, meaning `absolute`).
 * @param text e.g. `peak:0.5`
 * @param source the option or CLI flag named in the error
 * @throws {InvalidArgumentError} naming `source` for malformed text or a bad value
 */
export function parseMaskRule(text: string, source = "--mask-rule"): MaskRule {
  const parts = text.trim().split(":");
  const kind = parts.length === 2 ? parts[0].trim() : "absolute";
  const valueText = (parts.length === 2 ? parts[1] : parts[0]).trim();
  const value = Number(valueText);
  if (parts.length > 2 || valueText === "" || !Number.isFinite(value)) {
    throw new InvalidArgumentError(
      source,
      `is '${text}'`,
      "kind:value, e.g. peak:0.5, visit:0.3, deconv:0.4, absolute:2",
    );
  }
  return checkMaskRule({ kind: kind as MaskRuleKind, value }, source);
}

/** The text form `kind:value` (round-trips through {@link parseMaskRule}). */
export function formatMaskRule(rule: MaskRule): string {
  return `${rule.kind}:${Number(rule.value.toPrecision(6))}`;
}

/**
 * A short human form for reports: `map > 2`, `map > 0.5 x peak`, `mean per visit > 0.3`,
 * `deconvolved map > 0.4 x peak`.
 */
export function describeMaskRule(rule: MaskRule): string {
  const v = Number(rule.value.toPrecision(4));
  return rule.kind === "absolute"
    ? `map > ${v}`
    : rule.kind === "peak"
    ? `map > ${v} x peak`
    : rule.kind === "deconv"
    ? `deconvolved map > ${v} x peak`
    : `mean per visit > ${v}`;
}

/**
 * Default values swept per rule kind. `absolute`: the grid of the map mode (`sum`/`distinct` maps: 2^(k/2),
 * k = -6..14 (0.125 .. 128), times `scale`; `mean`/`max`: {@link SCORE_THRESHOLDS}); `peak`, `deconv`: 0.1 .. 0.9, 0.95; `visit`:
 * {@link SCORE_THRESHOLDS} (scores are in [0, 1]).
 * @param kind the rule kind
 * @param mode the map mode (for `absolute` only)
 * @param scale multiplies the `absolute` grid (the dense `sum` map uses its window coverage)
 */
export function defaultRuleValues(kind: MaskRuleKind, mode: MapMode, scale = 1): number[] {
  const scoreGrid = [...SCORE_THRESHOLDS];
  if (isPeakRelative(kind)) return [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];
  if (kind === "visit") return scoreGrid;
  const base = isSumMode(mode) && scale === 1
    ? Array.from({ length: 21 }, (_, k) => 2 ** ((k - 6) / 2))
    : scoreGrid;
  return base.map((t) => Number((t * scale).toPrecision(4)));
}

/**
 * Thresholds on the score scale [0, 1]: 0.05, 0.1 .. 0.9, then 0.95, 0.98, 0.99, because a confident
 * classifier puts most windows near a tumour above 0.9 (a sweep ending at 0.9 then picks its edge).
 */
export const SCORE_THRESHOLDS: readonly number[] = [
  0.05,
  0.1,
  0.2,
  0.3,
  0.4,
  0.5,
  0.6,
  0.7,
  0.8,
  0.9,
  0.95,
  0.98,
  0.99,
];

/** The largest value of a map (0 for an empty or all-negative map). */
export function mapPeak(map: Float32Array): number {
  let peak = 0;
  for (let i = 0; i < map.length; i++) if (map[i] > peak) peak = map[i];
  return peak;
}

/**
 * The map a rule thresholds and its cut-offs for `values`: `absolute` -> (map, values); `peak` ->
 * (map, a * peak); `visit` -> (meanMap, values); `deconv` -> (deconvMap, a * its peak).
 * @throws {InvalidArgumentError} for `visit` without `meanMap`, `deconv` without `deconvMap`
 */
export function ruleCutoffs(
  kind: MaskRuleKind,
  values: readonly number[],
  map: Float32Array,
  meanMap?: Float32Array,
  deconvMap?: Float32Array,
): { source: Float32Array; cutoffs: number[] } {
  if (kind === "visit") {
    if (!meanMap) throw new InvalidArgumentError("meanMap", "is missing", "the mean map for a visit rule");
    return { source: meanMap, cutoffs: [...values] };
  }
  if (kind === "deconv") {
    if (!deconvMap) {
      throw new InvalidArgumentError("deconvMap", "is missing", "the deconvolved map for a deconv rule");
    }
    const peak = mapPeak(deconvMap);
    return { source: deconvMap, cutoffs: values.map((a) => a * peak) };
  }
  if (kind === "peak") {
    const peak = mapPeak(map);
    return { source: map, cutoffs: values.map((a) => a * peak) };
  }
  return { source: map, cutoffs: [...values] };
}

/**
 * The mask of a rule: 1 where the rule's source map is strictly above its cut-off (see the module
 * doc). With `box` (first voxel and size, z,y,x, of the region outside which both maps are 0) and a
 * cut-off >= 0, only the box is visited; the result is the same.
 * @param rule the rule (checked)
 * @param map the probability map, z,y,x
 * @param meanMap the mean-per-visit map of the same windows (required by `visit`)
 * @param shape volume shape z,y,x (needed with `box`)
 * @param box the region where the maps may be non-zero
 * @param deconvMap the deconvolved map of the same windows (required by `deconv`)
 * @throws {InvalidArgumentError} for a bad rule, `visit` without `meanMap`, `deconv` without `deconvMap`
 */
export function applyMaskRule(
  rule: MaskRule,
  map: Float32Array,
  meanMap?: Float32Array,
  shape?: Vec3,
  box?: { readonly lo: Vec3; readonly size: Vec3 },
  deconvMap?: Float32Array,
): Uint8Array {
  checkMaskRule(rule);
  const { source, cutoffs } = ruleCutoffs(rule.kind, [rule.value], map, meanMap, deconvMap);
  const cut = cutoffs[0];
  const out = new Uint8Array(source.length);
  if (!(shape && box && cut >= 0)) {
    for (let i = 0; i < source.length; i++) out[i] = source[i] > cut ? 1 : 0;
    return out;
  }
  const { lo, size } = box;
  for (let z = lo[0]; z < lo[0] + size[0]; z++) {
    for (let y = lo[1]; y < lo[1] + size[1]; y++) {
      const row = (z * shape[1] + y) * shape[2];
      for (let i = row + lo[2]; i < row + lo[2] + size[2]; i++) out[i] = source[i] > cut ? 1 : 0;
    }
  }
  return out;
}
