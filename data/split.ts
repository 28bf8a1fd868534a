/**
 * Deterministic, seeded train/validation/test splits of case ids, optionally stratified by the
 * image-level weak label (presence), so that every split keeps the dataset's share of positives.
 *
 * @module
 */
import { InvalidArgumentError } from "./errors.ts";
import { Rng } from "./random.ts";

/** The three splits of a dataset. */
export type SplitName = "train" | "val" | "test";

/** The order in which splits are filled and ties are broken. */
export const SPLIT_NAMES: readonly SplitName[] = ["train", "val", "test"];

/** Fractions of the cases in each split; each in [0, 1], summing to 1 (within 1e-9). */
export interface SplitFractions {
  /** Share of the training split. */
  readonly train: number;
  /** Share of the validation split. */
  readonly val: number;
  /** Share of the test split. */
  readonly test: number;
}

/** The default fractions: 70% train, 15% validation, 15% test. */
export const DEFAULT_SPLIT_FRACTIONS: SplitFractions = { train: 0.7, val: 0.15, test: 0.15 };

/**
 * Throws {@link InvalidArgumentError} unless each fraction is a finite number in [0, 1] and they
 * sum to 1 within 1e-9.
 */
export function checkSplitFractions(fractions: SplitFractions, source = "fractions"): void {
  let sum = 0;
  for (const name of SPLIT_NAMES) {
    const f = fractions[name];
    if (typeof f !== "number" || !Number.isFinite(f) || f < 0 || f > 1) {
      throw new InvalidArgumentError(`${source}.${name}`, `is ${f}`, "a finite number in [0, 1]");
    }
    sum += f;
  }
  if (Math.abs(sum - 1) > 1e-9) {
    throw new InvalidArgumentError(source, `sums to ${sum}`, "train + val + test = 1 (within 1e-9)");
  }
}

/**
 * Splits `total` items into integer sizes proportional to the fractions by the largest-remainder
 * (Hamilton) method; ties of remainders go to the earlier split in {@link SPLIT_NAMES}.
 */
export function splitSizes(total: number, fractions: SplitFractions): Record<SplitName, number> {
  checkSplitFractions(fractions);
  if (!Number.isInteger(total) || total < 0) {
    throw new InvalidArgumentError("total", `is ${total}`, "a non-negative integer");
  }
  const exact = SPLIT_NAMES.map((n) => total * fractions[n]);
  const sizes = exact.map((e) => Math.floor(e + 1e-9));
  let left = total - sizes.reduce((a, b) => a + b, 0);
  const order = [0, 1, 2].sort((a, b) => (exact[b] - sizes[b]) - (exact[a] - sizes[a]) || a - b);
  for (let k = 0; left > 0; k = (k + 1) % 3) {
    sizes[order[k]]++;
    left--;
  }
  return { train: sizes[0], val: sizes[1], test: sizes[2] };
}

/** Plain code-unit order: unlike localeCompare it is the same on every machine. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Chooses, for every stratum, how many of its items go to each split, so that the split totals
 * equal `totals` exactly and each count stays as close as possible to the stratum's exact share
 * (normally its floor or ceiling). Strata are few (at most 3), so a small exhaustive search over
 * per-stratum rows near the exact shares is both simple and optimal.
 */
function allocateStrata(strataSizes: number[], fractions: SplitFractions, totals: number[]): number[][] {
  const exact = strataSizes.map((n) => SPLIT_NAMES.map((s) => n * fractions[s]));
  for (let width = 0;; width++) {
    const rowOptions = strataSizes.map((n, c) => rowsNear(n, exact[c], width));
    let best: number[][] | undefined;
    let bestCost = Infinity;
    const chosen: number[][] = [];
    const visit = (c: number): void => {
      if (c === strataSizes.length) {
        for (let s = 0; s < 3; s++) {
          if (chosen.reduce((acc, row) => acc + row[s], 0) !== totals[s]) return;
        }
        let cost = 0;
        for (let k = 0; k < chosen.length; k++) {
          for (let s = 0; s < 3; s++) cost += Math.abs(chosen[k][s] - exact[k][s]);
        }
        if (cost < bestCost - 1e-12) {
          bestCost = cost;
          best = chosen.map((row) => row.slice());
        }
        return;
      }
      for (const row of rowOptions[c]) {
        chosen.push(row);
        visit(c + 1);
        chosen.pop();
      }
    };
    visit(0);
    if (best) return best;
  }
}

/** Every split of `n` items into 3 counts, each within `width` of [floor, ceil] of its exact share. */
function rowsNear(n: number, exact: number[], width: number): number[][] {
  const lo = exact.map((e) => Math.max(0, Math.floor(e + 1e-9) - width));
  const hi = exact.map((e) => Math.min(n, Math.ceil(e - 1e-9) + width));
  const rows: number[][] = [];
  for (let a = lo[0]; a <= hi[0]; a++) {
    for (let b = lo[1]; b <= hi[1]; b++) {
      const c = n - a - b;
      if (c >= lo[2] && c <= hi[2]) rows.push([a, b, c]);
    }
  }
  return rows;
}

/**
 * Splits case ids into disjoint train/val/test lists that together cover every id.
 *
 * - Deterministic for a seed and independent of the input order: ids are sorted (code-unit order)
 *   before a seeded shuffle ({@link Rng}).
 * - Split sizes follow the fractions by the largest-remainder method ({@link splitSizes}): 10 ids at
 *   0.7/0.15/0.15 give 7/2/1 (tied remainders go to the earlier split).
 * - With `strata` (id -> presence 0/1), ids are stratified: each class keeps (to within rounding) its
 *   share in every split while the split sizes stay exactly as without strata. Ids absent from the map
 *   form a third stratum ("unknown"); map entries for ids not in `ids` are ignored.
 * - Each returned list is sorted (code-unit order), so the result does not reveal the shuffle.
 *
 * @param ids case ids; must be unique (else {@link InvalidArgumentError})
 * @param seed any finite number
 * @param fractions shares of the splits (default {@link DEFAULT_SPLIT_FRACTIONS}); must sum to 1
 * @param strata optional presence per id, to stratify by
 */
export function splitIds(
  ids: readonly string[],
  seed: number,
  fractions: SplitFractions = DEFAULT_SPLIT_FRACTIONS,
  strata?: ReadonlyMap<string, 0 | 1>,
): Record<SplitName, string[]> {
  checkSplitFractions(fractions);
  if (!Number.isFinite(seed)) throw new InvalidArgumentError("seed", `is ${seed}`, "a finite number");
  const sorted = [...ids].sort(compareCodeUnits);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) {
      throw new InvalidArgumentError("ids", `contain "${sorted[i]}" twice`, "unique case ids");
    }
  }
  if (strata) {
    for (const id of sorted) {
      const v = strata.get(id);
      if (v !== undefined && v !== 0 && v !== 1) {
        throw new InvalidArgumentError(`strata["${id}"]`, `is ${v}`, "presence 0 or 1");
      }
    }
  }
  // One stream for all strata, consumed in a fixed order (0, 1, unknown): deterministic.
  const rng = new Rng(seed);
  const groups: string[][] = strata
    ? [
      sorted.filter((id) => strata.get(id) === 0),
      sorted.filter((id) => strata.get(id) === 1),
      sorted.filter((id) => !strata.has(id)),
    ].filter((g) => g.length > 0)
    : [sorted];
  for (const g of groups) rng.shuffle(g);
  const totals = splitSizes(sorted.length, fractions);
  const counts = allocateStrata(groups.map((g) => g.length), fractions, SPLIT_NAMES.map((s) => totals[s]));
  const out: Record<SplitName, string[]> = { train: [], val: [], test: [] };
  groups.forEach((g, c) => {
    let start = 0;
    SPLIT_NAMES.forEach((s, k) => {
      out[s].push(...g.slice(start, start + counts[c][k]));
      start += counts[c][k];
    });
  });
  for (const s of SPLIT_NAMES) out[s].sort(compareCodeUnits);
  return out;
}
