/**
 * `PatchVectorEnv`: game i plays exactly what a `PatchEnv` seeded `deriveSeed(seed, i)` plays (an
 * independent reference, across autoresets), one batched scorer call per reset however many games,
 * none on plain steps, NEXT_STEP autoreset, errors.
 */
import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import { generatePhantom } from "../data/phantom.ts";
import { deriveSeed, Rng } from "../data/random.ts";
import { EnvStateError } from "../env/errors.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import type { Scorer } from "../env/scorer.ts";
import { PatchEnv } from "../env/patch/patch_env.ts";
import { PatchVectorEnv } from "../env/patch/vector_env.ts";

const cases = [1, 2, 3, 4].map((seed) => generatePhantom({ seed, shape: [1, 24, 24] }));
const oracle = new OracleScorer(cases, { target: 2 });
const base = { grid: [1, 3, 3] as const, observationShape: [1, 12, 12] as const, first: "random" as const };
const game = base;

for (const observeScores of [false, true]) {
  Deno.test(`vector games equal independent PatchEnvs seeded deriveSeed(seed, i), across autoresets (score channel ${observeScores})`, async () => {
    const N = 3, seed = 9, steps = 60;
    const game = { ...base, observeScores };
    const vec = new PatchVectorEnv({ numEnvs: N, cases, scorer: oracle, ...game });
    const singles = Array.from({ length: N }, () => new PatchEnv({ scorer: oracle, cases, ...game }));
    const v0 = await vec.reset({ seed });
    const s0 = await Promise.all(singles.map((e, i) => e.reset({ seed: deriveSeed(seed, i) })));
    const doneSingle = new Array(N).fill(false);
    for (let i = 0; i < N; i++) {
      assert.deepEqual(v0.observations[i], s0[i].observations.a);
      assert.equal(v0.infos[i].to_move, s0[i].infos.a.to_move);
    }
    const rng = new Rng(1);
    let resets = 0;
    for (let t = 0; t < steps; t++) {
      const actions = Int32Array.from({ length: N }, () => rng.int(vec.actionSpace.n));
      const v = await vec.step(actions);
      for (let i = 0; i < N; i++) {
        const e = singles[i];
        if (doneSingle[i]) {
          const r = await e.reset();
          assert.equal(v.autoreset[i], 1);
          assert.deepEqual(v.observations[i], r.observations.a);
          assert.equal(v.rewards.a[i], 0);
          doneSingle[i] = false;
          resets++;
          continue;
        }
        const mover = e.game.toMove === 0 ? "a" : "b";
        const r = await e.step({ [mover]: actions[i] });
        assert.equal(v.autoreset[i], 0);
        assert.deepEqual(v.observations[i], r.observations.a);
        assert.equal(v.rewards.a[i], r.rewards.a);
        assert.equal(v.rewards.b[i], r.rewards.b);
        assert.equal(v.terminations[i], r.terminations.a ? 1 : 0);
        assert.equal(v.truncations[i], r.truncations.a ? 1 : 0);
        assert.deepEqual(v.infos[i].action_mask, r.infos.a.action_mask);
        doneSingle[i] = r.terminations.a || r.truncations.a;
      }
    }
    assert.ok(resets >= 3, `only ${resets} autoresets`);
    assert.equal(v0.observations[0].length, 12 * 12 * (observeScores ? 3 : 2));
  });
}

Deno.test("one batched scorer call per (auto)reset for all games; none on plain steps", async () => {
  let batches = 0, singles = 0;
  const counting: Scorer = {
    id: "counting",
    score: (v, k, s) => (singles++, oracle.score(v, k, s)),
    scoreBatch: (
      requests,
      s,
    ) => (batches++, Promise.all(requests.map((q) => oracle.score(q.volume, q.corners, s)))),
  };
  const vec = new PatchVectorEnv({ numEnvs: 5, cases, scorer: counting, cache: false, ...game, first: "a" });
  await vec.reset({ seed: 0 });
  assert.equal(batches, 1); // 24 / 3 = 8: one patch size
  await vec.step(new Int32Array(5).fill(0)); // every game: a takes patch 0
  assert.equal(batches, 1);
  const end = await vec.step(new Int32Array(5).fill(9)); // b terminates in every game
  assert.deepEqual([...end.terminations], [1, 1, 1, 1, 1]);
  const again = await vec.step(new Int32Array(5).fill(-7)); // ignored: all autoreset
  assert.deepEqual([...again.autoreset], [1, 1, 1, 1, 1]);
  assert.equal(batches, 2);
  assert.equal(singles, 0);
});

Deno.test("vector env errors: step before reset, wrong length, bad action of a live game", async () => {
  const vec = new PatchVectorEnv({ numEnvs: 2, cases, scorer: oracle, ...game });
  await assert.rejects(() => vec.step([0, 0]), EnvStateError);
  await vec.reset({ seed: 1 });
  await assert.rejects(() => vec.step([0]), InvalidArgumentError);
  await assert.rejects(() => vec.step([0, 10]), InvalidArgumentError);
  assert.throws(() => new PatchVectorEnv({ numEnvs: 0, cases, scorer: oracle }), InvalidArgumentError);
});
