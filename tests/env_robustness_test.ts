/**
 * Issue 11 (env robustness): bad seeds, start rules and scorer results raise typed errors; a
 * failed scorer call or a bad action leaves every env in its previous state; closed envs refuse
 * to run; extra agent keys are rejected; per-game vector seeds.
 */
import assert from "node:assert/strict";
import { InvalidArgumentError, SparsGymError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import type { Scorer } from "../env/scorer.ts";
import { SparsEnv } from "../env/spars_env.ts";
import { VectorEnv } from "../env/vector_env.ts";
import { boxCase } from "./_cases.ts";

const cases = [
  boxCase("c0", [10, 16, 16], [2, 4, 8], [5, 6, 6], 2),
  boxCase("c1", [12, 16, 20], [6, 2, 2], [4, 8, 8], 2),
];
const oracle = new OracleScorer(cases, { target: 2 });
const game = {
  window: [4, 6, 6] as Vec3,
  stride: 2,
  tau: 0.6,
  maxSteps: 25,
  observationShape: [2, 3, 3] as Vec3,
};

/** Asserts that `f` rejects with an InvalidArgumentError whose source is `source`. */
async function rejectsNaming(f: () => Promise<unknown>, source: string | RegExp): Promise<void> {
  await assert.rejects(f, (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${e}`);
    if (typeof source === "string") assert.equal(e.source, source);
    else assert.match(e.source, source);
    return true;
  });
}

Deno.test("reset({seed}) rejects null, NaN, strings, negatives, fractions and unsafe integers by name", async () => {
  const env = new SparsEnv({ scorer: oracle, cases, ...game });
  const vec = new VectorEnv({ numEnvs: 2, scorer: oracle, cases, ...game });
  for (const seed of [null, NaN, "5", -1, 1.5, Infinity, 2 ** 53]) {
    await rejectsNaming(() => env.reset({ seed: seed as number }), "seed");
    await rejectsNaming(() => vec.reset({ seed: seed as number }), "seed");
  }
  // Accepted: undefined (unseeded), 0 and the largest safe integer.
  await env.reset();
  await env.reset({ seed: 0 });
  await env.reset({ seed: Number.MAX_SAFE_INTEGER });
  await vec.reset({ seed: Number.MAX_SAFE_INTEGER });
});

Deno.test("an unknown start rule raises a typed error naming start (not 'rule.join is not a function')", () => {
  for (const start of ["bogus", 3, [1, 2], [1, -2, 3], [0, 0.5, 0], null]) {
    assert.throws(
      () => new SparsEnv({ scorer: oracle, cases, ...game, start: start as "center" }),
      (e: unknown) => e instanceof InvalidArgumentError && e.source === "start",
    );
  }
  assert.throws(
    () => new SparsEnv({ scorer: oracle, cases, ...game, start: { a: "center", b: "bogus" as "center" } }),
    (e: unknown) => e instanceof InvalidArgumentError && e.source === "start.b",
  );
  assert.throws(
    () => new VectorEnv({ numEnvs: 1, scorer: oracle, cases, ...game, start: "bogus" as "center" }),
    (e: unknown) => e instanceof InvalidArgumentError && e.source === "start",
  );
  // Valid rules still construct.
  new SparsEnv({ scorer: oracle, cases, ...game, start: { a: [0, 0, 0], b: "random" } });
});

Deno.test("a scorer returning undefined, null, a wrong length or non-finite scores raises a typed error", async () => {
  const outputs: unknown[] = [undefined, null, "0.5", 0.5, [0.5], new Float32Array(3), [NaN, 0.5], [
    0.5,
    Infinity,
  ]];
  for (const out of outputs) {
    const bad: Scorer = { id: "bad", score: () => Promise.resolve(out as Float32Array) };
    for (const cache of [false, true]) {
      // Distinct start windows: even the cached scorer asks the inner one for 2 scores per volume.
      const start = { a: [0, 0, 0] as Vec3, b: [2, 2, 2] as Vec3 };
      const env = new SparsEnv({ scorer: bad, cases, ...game, start, cache });
      await rejectsNaming(() => env.reset({ seed: 1 }), "scorer bad");
      const vec = new VectorEnv({ numEnvs: 2, scorer: bad, cases, ...game, start, cache });
      await rejectsNaming(() => vec.reset({ seed: 1 }), "scorer bad");
    }
  }
  const badBatch: Scorer = {
    id: "batch",
    score: (v, c, s) => oracle.score(v, c, s),
    scoreBatch: () => Promise.resolve(undefined as unknown as Float32Array[]),
  };
  const vec = new VectorEnv({ numEnvs: 2, scorer: badBatch, cases, ...game, cache: false });
  await rejectsNaming(() => vec.reset({ seed: 1 }), "scorer batch");
  await assert.rejects(() => vec.reset({ seed: 1 }), SparsGymError);
});
