import assert from "node:assert/strict";
import {
  normalCdf,
  OpponentPool,
  pfspProbabilities,
  resolvePoolOptions,
  samplingProbabilities,
} from "../agents/opponent_pool.ts";
import type { NamedWeight } from "../agents/snapshot.ts";

const weights = (v: number): NamedWeight[] => [{ name: "w", shape: [2], values: Float32Array.of(v, -v) }];

/** Chi-square statistic of observed counts against probabilities (cells with p = 0 must be empty). */
function chiSquare(counts: number[], p: ArrayLike<number>, n: number): number {
  let chi2 = 0;
  counts.forEach((c, i) => {
    if (p[i] === 0) assert.equal(c, 0, `cell ${i} has probability 0 but ${c} draws`);
    else chi2 += (c - n * p[i]) ** 2 / (n * p[i]);
  });
  return chi2;
}

function draw(pool: OpponentPool, n: number): number[] {
  const counts = new Array(pool.snapshots.length).fill(0);
  for (let i = 0; i < n; i++) counts[pool.snapshots.indexOf(pool.sample())]++;
  return counts;
}

Deno.test("normal CDF matches tabulated values", () => {
  assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7);
  assert.ok(Math.abs(normalCdf(1) - 0.8413447) < 2e-7);
  assert.ok(Math.abs(normalCdf(-1.96) - 0.0249979) < 2e-7);
});

Deno.test("PFSP probabilities: discretised normal over distance from the newest, truncated to the pool", () => {
  // mean 0, sd 1, 3 snapshots: masses d=0 0.382925, d=1 0.241730, d=2 0.060598 (sum 0.685253)
  const p = pfspProbabilities(3, 0, 1);
  const expected = [0.060598 / 0.685253, 0.241730 / 0.685253, 0.382925 / 0.685253]; // oldest first
  expected.forEach((e, i) => assert.ok(Math.abs(p[i] - e) < 2e-6, `index ${i}: ${p[i]} vs ${e}`));
  // A mean far beyond the history puts everything on the snapshot nearest to it (the oldest).
  assert.deepEqual(Array.from(pfspProbabilities(3, 80, 0.1)), [1, 0, 0]);
  // latestRatio mixes in the newest: P(newest) = r + (1 - r) p_newest
  const mixed = samplingProbabilities(
    3,
    resolvePoolOptions({ rule: "pfsp", pfspMean: 0, pfspSd: 1, latestRatio: 0.5 }),
  );
  assert.ok(Math.abs(mixed[2] - (0.5 + 0.5 * expected[2])) < 2e-6);
  assert.ok(Math.abs(mixed.reduce((a, b) => a + b, 0) - 1) < 1e-12);
});

Deno.test("PFSP sampling frequencies match the stated distribution (chi-square, fixed seed)", () => {
  const pool = new OpponentPool({ window: 8, rule: "pfsp", pfspMean: 2, pfspSd: 2, latestRatio: 0.25 }, 11);
  for (let u = 0; u < 8; u++) pool.add(u * 32, weights(u));
  const n = 20000;
  const counts = draw(pool, n);
  const chi2 = chiSquare(counts, pool.probabilities(), n);
  // 7 degrees of freedom: 24.32 is the 0.001 critical value
  assert.ok(chi2 < 24.32, `chi2 ${chi2.toFixed(2)}, counts ${counts}`);
  // The mode sits 2 snapshots behind the newest, plus the latestRatio mass on the newest.
  const p = pool.probabilities();
  assert.ok(p[7] > p[5] && p[5] > p[6] && p[6] > p[4] && p[4] > p[0], `probabilities ${Array.from(p)}`);
});

Deno.test("uniform and latest rules sample as stated", () => {
  const uniform = new OpponentPool({ window: 5, rule: "uniform", latestRatio: 0 }, 3);
  for (let u = 0; u < 5; u++) uniform.add(u, weights(u));
  const n = 10000;
  const chi2 = chiSquare(draw(uniform, n), [0.2, 0.2, 0.2, 0.2, 0.2], n);
  assert.ok(chi2 < 18.47, `chi2 ${chi2}`); // 4 d.o.f., p = 0.001
  const latest = new OpponentPool({ window: 5, rule: "latest", latestRatio: 0 }, 3);
  for (let u = 0; u < 5; u++) latest.add(u, weights(u));
  assert.deepEqual(draw(latest, 100), [0, 0, 0, 0, 100]);
});

Deno.test("the pool keeps the last `window` snapshots as private copies", () => {
  const pool = new OpponentPool({ window: 3 }, 0);
  const source = weights(1);
  pool.add(0, source);
  source[0].values[0] = 42; // the learner keeps training: the snapshot must not follow
  assert.equal(pool.snapshots[0].weights[0].values[0], 1);
  for (let u = 1; u <= 5; u++) pool.add(u, weights(u));
  assert.deepEqual(pool.snapshots.map((s) => s.update), [3, 4, 5]);
  assert.equal(pool.latest!.update, 5);
});

Deno.test("the sampling generator state round-trips (checkpoints)", () => {
  const make = () => {
    const p = new OpponentPool({ window: 4, rule: "uniform", latestRatio: 0.1 }, 9);
    for (let u = 0; u < 4; u++) p.add(u, weights(u));
    return p;
  };
  const a = make();
  for (let i = 0; i < 7; i++) a.sample();
  const b = make();
  b.setRngState(a.getRngState());
  b.restore(a.snapshots);
  const seqA = Array.from({ length: 50 }, () => a.sample().update);
  const seqB = Array.from({ length: 50 }, () => b.sample().update);
  assert.deepEqual(seqB, seqA);
});

Deno.test("pool options are validated and an empty pool cannot be sampled", () => {
  assert.throws(() => resolvePoolOptions({ window: 0 }), /window/);
  assert.throws(() => resolvePoolOptions({ rule: "best" as never }), /rule/);
  assert.throws(() => resolvePoolOptions({ latestRatio: 1.5 }), /latestRatio/);
  assert.throws(() => resolvePoolOptions({ pfspSd: 0 }), /pfspSd/);
  assert.throws(() => new OpponentPool().sample(), /empty/);
});
