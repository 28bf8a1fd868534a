/**
 * Random starts (the default benchmark trains and evaluates from them): seeded, uniform over every
 * valid corner (so they cover the stride lattice and the corners between), never outside.
 */
import assert from "node:assert/strict";
import { Rng } from "../data/random.ts";
import { latticeAxis, WindowGeometry } from "../env/geometry.ts";
import { SparsEnv } from "../env/spars_env.ts";
import { MapScorer } from "../env/map_scorer.ts";
import { boxCase } from "./_cases.ts";

Deno.test("random starts: every valid corner drawn, uniformly (chi-square), lattice covered", () => {
  // shape 6x7x8, window 2x3x4: corners 0..4 on every axis, 125 in all.
  const g = new WindowGeometry([6, 7, 8], [2, 3, 4], 2);
  const rng = new Rng(11);
  const counts = new Map<string, number>();
  const draws = 25_000;
  for (let i = 0; i < draws; i++) {
    const c = g.start("random", rng);
    assert.ok(g.isValidCorner(c), `corner ${c}`);
    counts.set(c.join(), (counts.get(c.join()) ?? 0) + 1);
  }
  assert.equal(counts.size, 125);
  const expected = draws / 125;
  let chi2 = 0;
  for (const n of counts.values()) chi2 += (n - expected) ** 2 / expected;
  // 124 degrees of freedom: the 0.999 quantile is about 179.
  assert.ok(chi2 < 179, `chi-square ${chi2.toFixed(1)}`);
  const lattice = [0, 1, 2].map((a) => latticeAxis([6, 7, 8][a], [2, 3, 4][a], 2));
  for (const z of lattice[0]) {
    for (const y of lattice[1]) for (const x of lattice[2]) assert.ok(counts.has([z, y, x].join()));
  }
});

Deno.test("random starts are seeded: the same reset seed gives the same starts, another seed others", async () => {
  const c = boxCase("box", [8, 16, 16], [2, 4, 4], [3, 5, 5]);
  const scorer = new MapScorer("mean").set(c.image, new Float32Array(8 * 16 * 16).fill(0.25));
  const env = new SparsEnv({ scorer, cases: [c], window: [4, 8, 8], stride: 2, start: "random" });
  const starts = async (seed: number) => {
    const r = await env.reset({ seed });
    return [r.infos.a.corner, r.infos.b.corner];
  };
  assert.deepEqual(await starts(5), await starts(5));
  const seen = new Set<string>();
  for (let s = 0; s < 20; s++) seen.add(JSON.stringify(await starts(s)));
  assert.ok(seen.size >= 15, `${seen.size} distinct start pairs over 20 seeds`);
});
