/**
 * Issue 11 (env robustness): bad seeds, start rules and scorer results raise typed errors; a
 * closed envs refuse to run; extra agent keys are rejected; masked Discrete samples; per-game
 * vector seeds. Fault recovery is in `env_recovery_test.ts`.
 */
import assert from "node:assert/strict";
import { InvalidArgumentError, SparsGymError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";
import { EnvStateError } from "../env/errors.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import type { Scorer } from "../env/scorer.ts";
import { SelfPlayEnv } from "../env/self_play_env.ts";
import { Discrete } from "../env/spaces.ts";
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

Deno.test("close() is final: step and reset after close raise EnvStateError (SparsEnv, SelfPlayEnv, VectorEnv)", async () => {
  const isClosedError = (e: unknown) => e instanceof EnvStateError && /close/.test(e.message);
  const env = new SparsEnv({ scorer: oracle, cases, ...game });
  await env.reset({ seed: 1 });
  env.close();
  assert.deepEqual(env.agents, []);
  await assert.rejects(() => env.step({ a: 0, b: 0 }), isClosedError);
  await assert.rejects(() => env.reset({ seed: 1 }), isClosedError);
  env.close(); // idempotent

  let opponentCalls = 0;
  const single = new SelfPlayEnv({ scorer: oracle, cases, ...game, opponent: () => (opponentCalls++, 0) });
  await single.reset({ seed: 1 });
  single.close();
  await assert.rejects(() => single.step(0), isClosedError);
  await assert.rejects(() => single.reset(), isClosedError);
  assert.equal(opponentCalls, 0);

  const vec = new VectorEnv({ numEnvs: 2, scorer: oracle, cases, ...game });
  await vec.reset({ seed: 1 });
  vec.close();
  assert.ok(vec.closed);
  await assert.rejects(() => vec.step({ a: new Int32Array(2), b: new Int32Array(2) }), isClosedError);
  await assert.rejects(() => vec.reset(), isClosedError);
});

Deno.test("an action for an agent besides a and b is rejected, naming the key, and nothing moves", async () => {
  const env = new SparsEnv({ scorer: oracle, cases, ...game });
  await env.reset({ seed: 2 });
  const corners = env.game.corners;
  await rejectsNaming(
    () => env.step({ a: 0, b: 1, c: 2 } as unknown as { a: number; b: number }),
    "actions.c",
  );
  assert.equal(env.game.corners, corners);
  assert.equal(env.game.step, 0);
  const vec = new VectorEnv({ numEnvs: 2, scorer: oracle, cases, ...game });
  await vec.reset({ seed: 2 });
  const extra = { a: new Int32Array(2), b: new Int32Array(2), c: new Int32Array(2) };
  await rejectsNaming(() => vec.step(extra), "actions.c");
  assert.deepEqual(vec.games.map((g) => g.step), [0, 0]);
});

Deno.test("Discrete.sample(mask) follows Gymnasium: allowed values only, start when none, typed errors", () => {
  const d = new Discrete(6, 10);
  d.seed(4);
  for (let i = 0; i < 50; i++) assert.equal(d.sample(Uint8Array.of(0, 0, 0, 1, 0, 0)), 13);
  const counts = new Map<number, number>();
  for (let i = 0; i < 2000; i++) {
    const v = d.sample(Int8Array.of(0, 1, 0, 0, 1, 0));
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  assert.deepEqual([...counts.keys()].sort(), [11, 14]);
  // Binomial(2000, 1/2): sd 22.4; 5 sd either side.
  assert.ok(Math.abs(counts.get(11)! - 1000) < 112, `11 drawn ${counts.get(11)} times of 2000`);
  assert.equal(d.sample(new Uint8Array(6)), 10); // nothing allowed: start, as Gymnasium
  // An all-ones mask draws the same values as no mask from the same seed.
  d.seed(9);
  const plain = Array.from({ length: 30 }, () => d.sample());
  d.seed(9);
  assert.deepEqual(Array.from({ length: 30 }, () => d.sample(new Uint8Array(6).fill(1))), plain);
  const bad: unknown[] = [
    new Uint8Array(5),
    new Float32Array(6),
    [1, 1, 1, 1, 1, 1],
    Uint8Array.of(1, 2, 0, 0, 0, 0),
    null,
  ];
  for (const mask of bad) {
    assert.throws(
      () => d.sample(mask as Uint8Array),
      (e: unknown) => e instanceof InvalidArgumentError && e.source === "mask",
      `mask ${mask}`,
    );
  }
});

Deno.test("VectorEnv.reset({seed: [...]}) seeds game i as SparsEnv.reset({seed: seed[i]}); bad arrays are rejected", async () => {
  const random = { ...game, start: "random" as const };
  const vec = new VectorEnv({ numEnvs: 4, scorer: oracle, cases, ...random });
  const seeds = [1, 2, 3, 4];
  const r = await vec.reset({ seed: seeds });
  const single = new SparsEnv({ scorer: oracle, cases, ...random });
  for (let i = 0; i < 4; i++) {
    const s = await single.reset({ seed: seeds[i] });
    assert.deepEqual(
      [r.infos.a[i].caseId, r.infos.a[i].corner, r.infos.b[i].corner],
      [s.infos.a.caseId, s.infos.a.corner, s.infos.b.corner],
      `game ${i}`,
    );
  }
  const starts = new Set(r.infos.a.map((info, i) => `${info.caseId}:${info.corner}:${r.infos.b[i].corner}`));
  assert.equal(starts.size, 4, "four seeds, four different starts");
  // An undefined entry continues that game's stream.
  await vec.reset({ seed: 5 });
  const partial = await vec.reset({ seed: [undefined, 7, undefined, undefined] });
  await vec.reset({ seed: 5 });
  const continued = await vec.reset();
  const seven = await single.reset({ seed: 7 });
  for (const i of [0, 2, 3]) assert.deepEqual(partial.infos.a[i].corner, continued.infos.a[i].corner);
  assert.deepEqual(partial.infos.b[1].corner, seven.infos.b.corner);
  await rejectsNaming(() => vec.reset({ seed: [1, 2, 3] }), "seed");
  await rejectsNaming(() => vec.reset({ seed: [1, 2, NaN, 4] }), "seed[2]");
  await rejectsNaming(() => vec.reset({ seed: [1, 2, 3, -4] }), "seed[3]");
});

Deno.test("maskThreshold is the default threshold of env.map.mask()", async () => {
  const constant: Scorer = {
    id: "constant",
    score: (_v, corners) => Promise.resolve(new Float32Array(corners.length / 3).fill(0.3)),
  };
  const start = { a: [0, 0, 0] as Vec3, b: [2, 2, 2] as Vec3 };
  const play = async (maskThreshold?: number) => {
    const env = new SparsEnv({ scorer: constant, cases, ...game, start, maskThreshold });
    await env.reset({ options: { case: cases[0] } });
    await env.step({ a: 0, b: 0 }); // a to z=2, b to z=4: windows overlap
    return env;
  };
  // Independently: a voxel holds 0.3 per window covering it; mask = value > threshold.
  const env = await play(0.25);
  const [nz, ny, nx] = cases[0].image.shape, [wz, wy, wx] = game.window;
  const [ca, cb] = env.game.corners;
  const covered = (c: Vec3, z: number, y: number, x: number) =>
    z >= c[0] && z < c[0] + wz && y >= c[1] && y < c[1] + wy && x >= c[2] && x < c[2] + wx ? 1 : 0;
  const either = new Uint8Array(nz * ny * nx), both = new Uint8Array(nz * ny * nx);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const n = covered(ca, z, y, x) + covered(cb, z, y, x);
        either[(z * ny + y) * nx + x] = n >= 1 ? 1 : 0;
        both[(z * ny + y) * nx + x] = n === 2 ? 1 : 0;
      }
    }
  }
  assert.ok(both.some((v) => v) && either.reduce((s, v) => s + v, 0) > both.reduce((s, v) => s + v, 0));
  assert.deepEqual(env.map.mask(), either); // 0.3 > 0.25
  assert.deepEqual(env.map.mask(0.5), both); // an explicit threshold still wins
  assert.deepEqual((await play()).map.mask(), both); // default 0.5
  assert.throws(
    () => new SparsEnv({ scorer: constant, cases, ...game, maskThreshold: NaN }),
    (e: unknown) => e instanceof InvalidArgumentError && e.source === "maskThreshold",
  );
});
