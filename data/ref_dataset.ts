/**
 * The dataset over a fixed list of case references and a loader, shared by every layout of
 * `dataset.ts` (files, folders, phantoms): refs in natural id order, seeded stratified splits (or
 * folds) over split units (a patient's cases stay together), cases loaded one at a time.
 *
 * @module
 */
import type { CaseRef, Dataset } from "./dataset.ts";
import { InvalidArgumentError } from "./errors.ts";
import { type FoldSpec, foldSplit, type SplitFractions, splitIds, type SplitName } from "./split.ts";
import { splitUnit, splitUnits } from "./split_units.ts";
import type { Case } from "./types.ts";

/** Natural order: digit runs compare as numbers ("case2" < "case10"), the rest by code units. */
export function naturalCompare(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [], pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i], y = pb[i];
    const nx = /^\d/.test(x) && /^\d/.test(y) ? Number(x) - Number(y) : 0;
    if (nx !== 0) return nx;
    if (x !== y) return x < y ? -1 : 1;
  }
  return pa.length - pb.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Loads the case of a ref. */
export type Loader = (ref: CaseRef) => Promise<Case>;

/** What a {@link RefDataset} is made of; splits copy it with fewer refs. */
export interface DatasetParts {
  /** Dataset name (a split appends `/train`, `/val` or `/test`). */
  name: string;
  /** The case references (any order: the dataset sorts them by id, naturally). */
  refs: readonly CaseRef[];
  /** Label values of the target. */
  target: readonly number[];
  /** Where the target came from (printed at start). */
  targetSource?: string;
  /** Split seed. */
  seed: number;
  /** Split fractions (used unless `folds`). */
  fractions: SplitFractions;
  /** k-fold split instead of fractions. */
  folds?: FoldSpec;
  /** Loads one case. */
  loader: Loader;
}

/** A dataset over a fixed list of refs and a loader; splits share the loader. */
export class RefDataset implements Dataset {
  readonly name: string;
  readonly refs: readonly CaseRef[];
  readonly target: readonly number[];
  readonly targetSource?: string;
  readonly #parts: DatasetParts;

  /** A dataset over `p.refs` (see {@link DatasetParts}). */
  constructor(p: DatasetParts) {
    this.name = p.name;
    this.refs = Object.freeze([...p.refs].sort((a, b) => naturalCompare(a.id, b.id)));
    this.target = Object.freeze([...p.target]);
    if (p.targetSource !== undefined) this.targetSource = p.targetSource;
    this.#parts = p;
  }

  /**
   * The refs of one split, by `splitIds` (or `foldSplit`) over split units with the parts' seed.
   * @throws {InvalidArgumentError} for a name other than train, val, test
   */
  split(name: SplitName): Dataset {
    if (!(name === "train" || name === "val" || name === "test")) {
      throw new InvalidArgumentError("split", `is ${JSON.stringify(name)}`, '"train", "val" or "test"');
    }
    const { seed, fractions, folds } = this.#parts;
    const { ids, strata } = splitUnits(this.refs);
    const split = folds ? foldSplit(ids, seed, folds, strata) : splitIds(ids, seed, fractions, strata);
    const chosen = new Set(split[name]);
    const refs = this.refs.filter((r) => chosen.has(splitUnit(r)));
    return new RefDataset({ ...this.#parts, name: `${this.name}/${name}`, refs });
  }

  /** Loads one case with the parts' loader. */
  load(ref: CaseRef): Promise<Case> {
    return this.#parts.loader(ref);
  }

  /** Every case, in ref order, loaded one at a time. */
  async *cases(): AsyncGenerator<Case> {
    for (const ref of this.refs) yield await this.#parts.loader(ref);
  }
}
