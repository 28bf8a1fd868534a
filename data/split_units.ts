/**
 * The units a dataset is split by: case ids, or groups of cases (the slices of one patient) when
 * refs carry a `group`, so that no group is cut across train, val and test.
 *
 * @module
 */
import type { CaseRef } from "./dataset.ts";

/** The unit a ref is split with: its group when it has one (prefixed, apart from ids), else its id. */
export function splitUnit(ref: CaseRef): string {
  return ref.group === undefined ? ref.id : `group:${ref.group}`;
}

/**
 * The split units of `refs` and their presence strata: per case id, or per group when refs have
 * groups (a group's presence is 1 when any of its refs has presence 1, 0 when all known are 0).
 */
export function splitUnits(refs: readonly CaseRef[]): { ids: string[]; strata?: Map<string, 0 | 1> } {
  const ids = [...new Set(refs.map(splitUnit))];
  const known = refs.filter((r) => r.presence !== undefined);
  if (known.length === 0) return { ids };
  const strata = new Map<string, 0 | 1>();
  for (const r of known) {
    strata.set(splitUnit(r), Math.max(strata.get(splitUnit(r)) ?? 0, r.presence!) as 0 | 1);
  }
  return { ids, strata };
}
