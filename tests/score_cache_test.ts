/**
 * Issue 11 (score cache bound): `CachedScorer` keeps at most `maxEntries` scores and evicts the
 * least recently used; the envs take the bound from the game option `scoreCacheEntries`, which the
 * training config records.
 */
import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import { diagonalAffine, type Vec3, type Volume } from "../data/types.ts";
import { CachedScorer, DEFAULT_SCORE_CACHE_ENTRIES } from "../env/cached_scorer.ts";
import { DEFAULT_SPARS_CONFIG, resolveConfig } from "../env/config.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import type { Scorer } from "../env/scorer.ts";
import { SparsEnv } from "../env/spars_env.ts";
import { VectorEnv } from "../env/vector_env.ts";
import { parseTrainArgs } from "../train/train_options.ts";
import { PRESETS } from "../train/train_config.ts";
import { boxCase } from "./_cases.ts";

const SIZE: Vec3 = [2, 2, 2];
const volume = (id: string): Volume => ({
  id,
  shape: [8, 8, 8],
  spacing: [1, 1, 1],
  affine: diagonalAffine([1, 1, 1]),
  data: new Float32Array(512),
});

/** Scores (z + 2y + 4x) / 100 and logs the corners of every inner call as "z,y,x" strings. */
class LoggingScorer implements Scorer {
  readonly id = "logging";
  readonly log: string[][] = [];
  score(_v: Volume, corners: Int32Array, _size: Vec3): Promise<Float32Array> {
    const names: string[] = [];
    const out = new Float32Array(corners.length / 3);
    for (let i = 0; i < out.length; i++) {
      const [z, y, x] = corners.subarray(3 * i, 3 * i + 3);
      names.push(`${z},${y},${x}`);
      out[i] = (z + 2 * y + 4 * x) / 100;
    }
    this.log.push(names);
    return Promise.resolve(out);
  }
}

const A = [1, 0, 0], B = [0, 1, 0], C = [0, 0, 1], D = [1, 1, 1];
const expected = (corners: number[][]): number[] =>
  corners.map(([z, y, x]) => Math.fround((z + 2 * y + 4 * x) / 100));

async function ask(cache: CachedScorer, v: Volume, corners: number[][]): Promise<void> {
  const scores = await cache.score(v, Int32Array.from(corners.flat()), SIZE);
  assert.deepEqual(Array.from(scores), expected(corners));
}

Deno.test("CachedScorer evicts the least recently used score (order worked out by hand)", async () => {
  const inner = new LoggingScorer();
  const cache = new CachedScorer(inner, { maxEntries: 3 });
  const v = volume("v");
  await ask(cache, v, [A, B, C]); // order (oldest first): A B C
  await ask(cache, v, [A]); // hit: B C A
  await ask(cache, v, [D]); // miss, evicts B: C A D
  await ask(cache, v, [B]); // miss, evicts C: A D B
  await ask(cache, v, [A]); // hit: D B A
  await ask(cache, v, [C]); // miss, evicts D: B A C
  await ask(cache, v, [D]); // miss, evicts B: A C D
  await ask(cache, v, [A, C, D]); // hits: A C D
  assert.deepEqual(inner.log, [["1,0,0", "0,1,0", "0,0,1"], ["1,1,1"], ["0,1,0"], ["0,0,1"], ["1,1,1"]]);
  const s = cache.stats;
  assert.deepEqual(
    { hits: s.hits, misses: s.misses, evictions: s.evictions, entries: s.entries },
    { hits: 5, misses: 7, evictions: 4, entries: 3 },
  );
});

Deno.test("CachedScorer: one bound across volumes; a call with more misses than the bound is still right", async () => {
  const inner = new LoggingScorer();
  const cache = new CachedScorer(inner, { maxEntries: 2 });
  const v1 = volume("v1"), v2 = volume("v2");
  await ask(cache, v1, [A]);
  await ask(cache, v2, [A]);
  await ask(cache, v1, [B]); // evicts v1's A (the oldest), keeps v2's A
  await ask(cache, v2, [A]); // hit
  await ask(cache, v1, [A]); // miss
  assert.deepEqual(inner.log, [["1,0,0"], ["1,0,0"], ["0,1,0"], ["1,0,0"]]);
  // Five distinct misses in one call with room for two: every output is the inner score.
  const wide = new CachedScorer(new LoggingScorer(), { maxEntries: 2 });
  await ask(wide, v1, [A, B, C, D, [2, 2, 2]]);
  assert.equal(wide.stats.entries, 2);
  assert.equal(wide.stats.evictions, 3);
});

Deno.test("the bound is the game option scoreCacheEntries (default 2^20), validated and recorded in the train config", () => {
  assert.equal(DEFAULT_SCORE_CACHE_ENTRIES, 2 ** 20);
  assert.equal(DEFAULT_SPARS_CONFIG.scoreCacheEntries, 2 ** 20);
  assert.equal(new CachedScorer(new LoggingScorer()).maxEntries, 2 ** 20);
  const cases = [boxCase("c0", [10, 16, 16], [2, 4, 8], [5, 6, 6], 2)];
  const scorer = new OracleScorer(cases, { target: 2 });
  const env = new SparsEnv({ scorer, cases, window: [4, 6, 6], scoreCacheEntries: 77 });
  assert.equal((env.scorer as CachedScorer).maxEntries, 77);
  const vec = new VectorEnv({ numEnvs: 2, scorer, cases, window: [4, 6, 6], scoreCacheEntries: 78 });
  assert.equal((vec.scorer as CachedScorer).maxEntries, 78);
  for (const bad of [0, -1, 1.5, NaN, Infinity, "5"]) {
    assert.throws(
      () => resolveConfig({ scoreCacheEntries: bad as number }),
      (e: unknown) => e instanceof InvalidArgumentError && e.source === "scoreCacheEntries",
    );
    assert.throws(
      () => new CachedScorer(new LoggingScorer(), { maxEntries: bad as number }),
      (e: unknown) => e instanceof InvalidArgumentError && e.source === "maxEntries",
    );
  }
  // config.json of a run holds it (env section), and the CLI sets it.
  assert.equal(PRESETS.default.env.scoreCacheEntries, 2 ** 20);
  assert.equal(PRESETS.paper.env.scoreCacheEntries, 2 ** 20);
  const request = parseTrainArgs(["--score-cache-entries", "5000"], "runs/x");
  assert.equal(request.kind, "train");
  if (request.kind === "train") assert.equal(request.config.env.scoreCacheEntries, 5000);
});

Deno.test("an env playing many steps keeps at most scoreCacheEntries scores", async () => {
  // Label 3 but target 2: every score is 0, so no episode terminates before maxSteps.
  const cases = [boxCase("c0", [10, 16, 16], [2, 4, 8], [5, 6, 6], 3)];
  const scorer = new OracleScorer(cases, { target: 2 });
  const env = new SparsEnv({
    scorer,
    cases,
    window: [4, 6, 6],
    stride: 1,
    maxSteps: 200,
    scoreCacheEntries: 10,
  });
  await env.reset({ seed: 0 });
  const rng = new Rng(1);
  while (env.agents.length) await env.step({ a: rng.int(6), b: rng.int(6) });
  assert.equal(env.game.step, 200);
  const stats = (env.scorer as CachedScorer).stats;
  assert.ok(stats.misses > 10, `${stats.misses} distinct windows scored`);
  assert.equal(stats.entries, 10);
  assert.equal(stats.evictions, stats.misses - 10);
});
