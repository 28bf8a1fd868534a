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

/** One fold of a k-fold protocol: `fold` (1..k) is the test split. */
export interface FoldSpec {
  /** Number of folds, >= 3 (test, val and at least one training fold). */
  readonly k: number;
  /** The fold held out as the test split, 1..k. */
  readonly fold: number;
}

/**
 * Throws {@link InvalidArgumentError} unless `k` is an integer >= 3 and `fold` an integer in 1..k.
 * @param source the name errors give, e.g. `--fold`
 */
export function checkFoldSpec(spec: FoldSpec, source = "folds"): void {
  const { k, fold } = spec;
  if (!(Number.isInteger(k) && k >= 3 && Number.isInteger(fold) && fold >= 1 && fold <= k)) {
    throw new InvalidArgumentError(
      source,
      `is fold ${fold} of ${k}`,
      "k >= 3 folds (test, val, train) and a fold from 1 to k, e.g. 1/6",
    );
  }
}

/**
 * The k folds of case ids: ids sorted (code-unit order), shuffled with `seed`, and dealt in turn
 * to folds 1..k, positives first then negatives then unknowns when `strata` is given (so every fold
 * keeps about the dataset's share of positives). Every id is in exactly one fold; fold sizes differ
 * by at most one per stratum. Each fold is sorted.
 *
 * @throws {InvalidArgumentError} on duplicate ids, a non-finite seed, or k < 1 or k > the id count
 */
export function foldIds(
  ids: readonly string[],
  seed: number,
  k: number,
  strata?: ReadonlyMap<string, 0 | 1>,
): string[][] {
  if (!Number.isFinite(seed)) throw new InvalidArgumentError("seed", `is ${seed}`, "a finite number");
  if (!(Number.isInteger(k) && k >= 1 && k <= ids.length)) {
    throw new InvalidArgumentError("folds", `is ${k} for ${ids.length} cases`, `1 to ${ids.length} folds`);
  }
  const sorted = [...ids].sort(compareCodeUnits);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) {
      throw new InvalidArgumentError("ids", `contain "${sorted[i]}" twice`, "unique case ids");
    }
  }
  const rng = new Rng(seed);
  const groups = strata
    ? [
      sorted.filter((id) => strata.get(id) === 1),
      sorted.filter((id) => strata.get(id) === 0),
      sorted.filter((id) => !strata.has(id)),
    ]
    : [sorted];
  const folds: string[][] = Array.from({ length: k }, () => []);
  let next = 0;
  for (const g of groups) {
    rng.shuffle(g);
    for (const id of g) {
      folds[next].push(id);
      next = (next + 1) % k;
    }
  }
  return folds.map((f) => f.sort(compareCodeUnits));
}

/**
 * The train/val/test split of one fold: test is fold `spec.fold`, val the next fold (cyclically),
 * train every other fold; thresholds tuned on val are thus tuned on training folds only.
 * @throws {InvalidArgumentError} as {@link checkFoldSpec} and {@link foldIds} do
 */
export function foldSplit(
  ids: readonly string[],
  seed: number,
  spec: FoldSpec,
  strata?: ReadonlyMap<string, 0 | 1>,
): Record<SplitName, string[]> {
  checkFoldSpec(spec);
  const folds = foldIds(ids, seed, spec.k, strata);
  const test = spec.fold - 1, val = spec.fold % spec.k;
  const train = folds.filter((_, i) => i !== test && i !== val).flat().sort(compareCodeUnits);
  return { train, val: folds[val], test: folds[test] };
}
