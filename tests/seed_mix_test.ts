/**
 * Issue 11 (seeds): per-game and per-start seeds derived with 32-bit integer hashing. The former
 * float mixing `(seed * 0x9e3779b1 + i * 0x85ebca6b) >>> 0` dropped low bits above 2^53: large
 * seeds shared streams.
 */
import assert from "node:assert/strict";
import { deriveSeed, fmix32, Rng } from "../data/random.ts";
import type { Vec3 } from "../data/types.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { VectorEnv } from "../env/vector_env.ts";
import { startRng } from "../eval/segment.ts";
import { boxCase } from "./_cases.ts";

const N = 200_000;
/** Expected colliding values among N random uint32 (birthday): N(N-1)/2 / 2^32, about 4.66. */
const BIRTHDAY = (N * (N - 1)) / 2 / 2 ** 32;

/** N distinct random safe integers spread over [0, 2^53), from a fixed generator. */
function largeSeeds(): number[] {
  const rng = new Rng(2024);
  const seen = new Set<number>();
  while (seen.size < N) seen.add((rng.nextUint32() & 0x1fffff) * 2 ** 32 + rng.nextUint32());
  return [...seen];
}

/** Chi-square of the low 10 bits of `values` against uniform (1023 degrees of freedom). */
function lowBitsChiSquare(values: readonly number[]): number {
  const counts = new Float64Array(1024);
  for (const v of values) counts[v & 1023]++;
  const expected = values.length / 1024;
  let chi = 0;
  for (const c of counts) chi += (c - expected) ** 2 / expected;
  return chi;
}

/** Values minus distinct values: how many collided. */
function collisions(values: readonly number[]): number {
  return values.length - new Set(values).size;
}

/** murmur3's finaliser recomputed with exact BigInt products (xorshift 16, *0x85ebca6b, 13, *0xc2b2ae35, 16). */
function fmix32BigInt(x: number): number {
  let h = BigInt(x);
  h ^= h >> 16n;
  h = (h * 0x85ebca6bn) & 0xffffffffn;
  h ^= h >> 13n;
  h = (h * 0xc2b2ae35n) & 0xffffffffn;
  return Number(h ^ (h >> 16n));
}

Deno.test("fmix32 equals murmur3's finaliser computed with exact integers, and is a bijection on a sample", () => {
  for (const x of [0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff, 123456789]) {
    assert.equal(fmix32(x), fmix32BigInt(x));
  }
  const sample = Array.from({ length: 1 << 16 }, (_, i) => fmix32(i * 65537));
  assert.equal(collisions(sample), 0);
});

Deno.test("deriveSeed on 200k large seeds: uniform low bits, collisions at the birthday rate", () => {
  const seeds = largeSeeds();
  for (const index of [0, 1, 7]) {
    const derived = seeds.map((s) => deriveSeed(s, index));
    assert.ok(derived.every((d) => Number.isInteger(d) && d >= 0 && d < 2 ** 32));
    // Chi-square, 1023 df: mean 1023, sd 45.2; 6 sd above the mean.
    const chi = lowBitsChiSquare(derived);
    assert.ok(chi < 1023 + 6 * 45.2, `index ${index}: low-10-bit chi-square ${chi.toFixed(0)}`);
    const zeros = derived.filter((d) => (d & 1023) === 0).length;
    assert.ok(zeros < (3 * N) / 1024, `index ${index}: ${zeros} seeds with low 10 bits zero`);
    // Poisson(4.66): sd 2.16; 5 sd above.
    const c = collisions(derived);
    assert.ok(
      c <= BIRTHDAY + 5 * Math.sqrt(BIRTHDAY),
      `index ${index}: ${c} collisions (birthday ${BIRTHDAY})`,
    );
  }
  // The old float mixing, for contrast: most large seeds lose their low bits.
  const old = seeds.map((s) => (s * 0x9e3779b1 + 0x85ebca6b) >>> 0);
  assert.ok(lowBitsChiSquare(old) > 100_000 && collisions(old) > 1000);
});

Deno.test("deriveSeed: consecutive seeds never collide within a stream; streams of one seed differ", () => {
  for (const index of [0, 3]) {
    const derived = Array.from({ length: N }, (_, s) => deriveSeed(s, index));
    assert.equal(collisions(derived), 0); // a bijection for seeds below 2^32
    assert.ok(lowBitsChiSquare(derived) < 1023 + 6 * 45.2);
  }
  // Seeds that differ only above bit 32 or only in the lowest bit differ.
  const big = 2 ** 52 + 12345;
  assert.notEqual(deriveSeed(big, 0), deriveSeed(big + 1, 0));
  assert.notEqual(deriveSeed(big, 0), deriveSeed(big + 2 ** 32, 0));
  // 64 streams of 1,000 seeds: 64,000 values, birthday 0.48.
  const pairs: number[] = [];
  for (let s = 0; s < 1000; s++) for (let i = 0; i < 64; i++) pairs.push(deriveSeed(s, i));
  assert.ok(collisions(pairs) <= 5, `${collisions(pairs)} collisions among (seed, index) pairs`);
});

Deno.test("VectorEnv and segment's random starts use deriveSeed: large consecutive seeds give different games", async () => {
  const cases = [
    boxCase("c0", [10, 16, 16], [2, 4, 8], [5, 6, 6], 2),
    boxCase("c1", [12, 16, 20], [6, 2, 2], [4, 8, 8], 2),
  ];
  const options = {
    numEnvs: 3,
    cases,
    scorer: new OracleScorer(cases, { target: 2 }),
    window: [4, 6, 6] as Vec3,
    observationShape: [2, 3, 3] as Vec3,
    start: "random" as const,
  };
  const vec = new VectorEnv(options);
  const byArray = new VectorEnv(options);
  const starts = new Set<string>();
  for (let k = 0; k < 64; k++) {
    const seed = 2 ** 52 + k;
    const r = await vec.reset({ seed });
    const expected = await byArray.reset({ seed: [0, 1, 2].map((i) => deriveSeed(seed, i)) });
    assert.deepEqual(r.infos, expected.infos);
    starts.add(JSON.stringify(r.infos.a.map((info, i) => [info.caseId, info.corner, r.infos.b[i].corner])));
    const segmentDraw = startRng(seed, 1).nextUint32();
    assert.equal(segmentDraw, new Rng(deriveSeed(seed, 1)).nextUint32());
  }
  // Old mixing: seeds 2^52 + k all mapped to one or two streams.
  assert.ok(starts.size >= 60, `${starts.size} distinct starts of 64 seeds`);
  const draws = new Set(Array.from({ length: 64 }, (_, k) => startRng(2 ** 52 + k, 1).nextUint32()));
  assert.equal(draws.size, 64);
});
