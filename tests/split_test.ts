import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import { splitIds, type SplitName, splitSizes } from "../data/split.ts";

const ids = (n: number, prefix = "case"): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const NAMES: SplitName[] = ["train", "val", "test"];

function assertPartition(parts: Record<SplitName, string[]>, all: readonly string[]): void {
  const joined = [...parts.train, ...parts.val, ...parts.test];
  assert.equal(joined.length, all.length, "every id exactly once");
  assert.deepEqual(new Set(joined), new Set(all));
}

Deno.test("splitSizes: largest remainder, hand-computed", () => {
  // 10 * (0.7, 0.15, 0.15) = 7, 1.5, 1.5: one seat left, tie of remainders goes to val.
  assert.deepEqual(splitSizes(10, { train: 0.7, val: 0.15, test: 0.15 }), { train: 7, val: 2, test: 1 });
  // 7 * (0.5, 0.3, 0.2) = 3.5, 2.1, 1.4: floors 3, 2, 1, the one left goes to train (0.5 largest).
  assert.deepEqual(splitSizes(7, { train: 0.5, val: 0.3, test: 0.2 }), { train: 4, val: 2, test: 1 });
  // 3 * (1/3 each), fractions summing to 1 only within rounding.
  assert.deepEqual(splitSizes(3, { train: 1 / 3, val: 1 / 3, test: 1 / 3 }), { train: 1, val: 1, test: 1 });
  assert.deepEqual(splitSizes(0, { train: 0.7, val: 0.15, test: 0.15 }), { train: 0, val: 0, test: 0 });
  assert.deepEqual(splitSizes(1, { train: 0.7, val: 0.15, test: 0.15 }), { train: 1, val: 0, test: 0 });
});

Deno.test("splitIds: deterministic, disjoint, covering, sizes as splitSizes", () => {
  const all = ids(23);
  const a = splitIds(all, 5);
  assertPartition(a, all);
  assert.deepEqual(a, splitIds(all, 5));
  const sizes = splitSizes(23, { train: 0.7, val: 0.15, test: 0.15 }); // 16.1, 3.45, 3.45 -> 16, 4, 3
  assert.deepEqual(sizes, { train: 16, val: 4, test: 3 });
  for (const n of NAMES) assert.equal(a[n].length, sizes[n]);
  // Another seed gives another split (of the same sizes).
  const b = splitIds(all, 6);
  assert.notDeepEqual(a, b);
  for (const n of NAMES) assert.equal(b[n].length, sizes[n]);
  // Each list is sorted.
  for (const n of NAMES) assert.deepEqual(a[n], [...a[n]].sort());
});

Deno.test("splitIds: independent of the input order", () => {
  const all = ids(17);
  const reversed = [...all].reverse();
  const rotated = [...all.slice(5), ...all.slice(0, 5)];
  const a = splitIds(all, 11);
  assert.deepEqual(splitIds(reversed, 11), a);
  assert.deepEqual(splitIds(rotated, 11), a);
});

Deno.test("splitIds: seeds spread ids over splits (not a fixed prefix)", () => {
  // Over many seeds every id lands in test at least once: the shuffle is real.
  const all = ids(10);
  const seen = new Set<string>();
  for (let seed = 0; seed < 60; seed++) for (const id of splitIds(all, seed).test) seen.add(id);
  assert.equal(seen.size, 10);
});

Deno.test("splitIds: custom fractions, zero-size splits, empty input", () => {
  const all = ids(9);
  const s = splitIds(all, 1, { train: 1, val: 0, test: 0 });
  assert.deepEqual(s, { train: [...all].sort(), val: [], test: [] });
  const h = splitIds(all, 1, { train: 0.5, val: 0, test: 0.5 }); // 4.5 / 0 / 4.5 -> 5 / 0 / 4
  assert.deepEqual([h.train.length, h.val.length, h.test.length], [5, 0, 4]);
  assert.deepEqual(splitIds([], 1), { train: [], val: [], test: [] });
});

Deno.test("splitIds: stratified keeps each class's share in every split and the total sizes", () => {
  // 20 ids, 6 positives. Exact shares: positives 4.2 / 0.9 / 0.9, negatives 9.8 / 2.1 / 2.1.
  const all = ids(20);
  const strata = new Map<string, 0 | 1>(all.map((id, i) => [id, i % 10 < 3 ? 1 : 0]));
  for (let seed = 0; seed < 20; seed++) {
    const s = splitIds(all, seed, undefined, strata);
    assertPartition(s, all);
    assert.deepEqual(NAMES.map((n) => s[n].length), [14, 3, 3]);
    const pos = NAMES.map((n) => s[n].filter((id) => strata.get(id) === 1).length);
    const exact = [4.2, 0.9, 0.9];
    // Each count is the floor or the ceiling of the exact share.
    pos.forEach((p, k) => assert.ok(Math.abs(p - exact[k]) < 1, `seed ${seed}: positives ${pos}`));
    assert.equal(pos.reduce((a, b) => a + b, 0), 6);
  }
  // Stratified, val and test always get a positive here: 0.9 rounds up in both, since 4 + 1 + 1 = 6.
  for (let seed = 0; seed < 20; seed++) {
    const s = splitIds(all, seed, undefined, strata);
    assert.equal(s.val.filter((id) => strata.get(id) === 1).length, 1);
    assert.equal(s.test.filter((id) => strata.get(id) === 1).length, 1);
  }
});

Deno.test("splitIds: stratified rounding that conflicts with the totals still meets both", () => {
  // 5 positives + 5 negatives at 0.7/0.15/0.15: each class wants 3.5 / 0.75 / 0.75 while the totals
  // are 7 / 2 / 1, so one class gets 4/1/0 and the other 3/1/1.
  const all = ids(10);
  const strata = new Map<string, 0 | 1>(all.map((id, i) => [id, (i % 2) as 0 | 1]));
  const s = splitIds(all, 9, undefined, strata);
  assert.deepEqual(NAMES.map((n) => s[n].length), [7, 2, 1]);
  const perClass = [0, 1].map((k) => NAMES.map((n) => s[n].filter((id) => strata.get(id) === k).length));
  assert.deepEqual(perClass.map((row) => row.join("/")).sort(), ["3/1/1", "4/1/0"]);
});

Deno.test("splitIds: stratified with unknown presence, order independence, determinism", () => {
  const all = ids(12);
  const strata = new Map<string, 0 | 1>([["case0", 1], ["case1", 1], ["case2", 0], ["case3", 0], [
    "case4",
    0,
  ]]);
  const a = splitIds(all, 3, { train: 0.5, val: 0.25, test: 0.25 }, strata);
  assertPartition(a, all);
  assert.deepEqual(NAMES.map((n) => a[n].length), [6, 3, 3]);
  assert.deepEqual(splitIds([...all].reverse(), 3, { train: 0.5, val: 0.25, test: 0.25 }, strata), a);
  // 2 positives at 0.5/0.25/0.25 = 1 / 0.5 / 0.5: one in train, one in val or test.
  const pos = NAMES.map((n) => a[n].filter((id) => strata.get(id) === 1).length);
  assert.equal(pos[0], 1);
  assert.equal(pos[1] + pos[2], 1);
});

Deno.test("splitIds: bad input is a typed error", () => {
  assert.throws(() => splitIds(ids(4), 1, { train: 0.7, val: 0.2, test: 0.2 }), InvalidArgumentError);
  assert.throws(() => splitIds(ids(4), 1, { train: 1.2, val: -0.1, test: -0.1 }), InvalidArgumentError);
  assert.throws(() => splitIds(ids(4), 1, { train: NaN, val: 0.5, test: 0.5 }), InvalidArgumentError);
  assert.throws(() => splitIds(["a", "b", "a"], 1), /"a" twice/);
  assert.throws(() => splitIds(ids(4), NaN), InvalidArgumentError);
  const bad = new Map([["case0", 2 as unknown as 0 | 1]]);
  assert.throws(() => splitIds(ids(4), 1, undefined, bad), InvalidArgumentError);
  // Within 1e-9 of 1 is accepted.
  assert.doesNotThrow(() => splitIds(ids(4), 1, { train: 0.7 + 1e-12, val: 0.15, test: 0.15 }));
});
