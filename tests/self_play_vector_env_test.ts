import assert from "node:assert/strict";
import type { Vec3 } from "../data/types.ts";
import { RandomAgent } from "../env/baseline_agents.ts";
import { EnvStateError } from "../env/errors.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { SelfPlayVectorEnv } from "../env/self_play_vector_env.ts";
import { VectorEnv } from "../env/vector_env.ts";
import { boxCase } from "./_cases.ts";

const cases = [
  boxCase("c0", [10, 16, 16], [2, 4, 8], [5, 6, 6], 2),
  boxCase("c1", [12, 16, 20], [6, 2, 2], [4, 8, 8], 2),
];
const scorer = new OracleScorer(cases, { target: 2 });
const game = {
  window: [4, 6, 6] as Vec3,
  stride: 2,
  tau: 0.6,
  maxSteps: 5,
  observationShape: [2, 3, 3] as Vec3,
};

for (const learner of ["a", "b"] as const) {
  Deno.test(`SelfPlayVectorEnv (learner ${learner}) equals a VectorEnv driven by hand with the same opponent`, async () => {
    const other = learner === "a" ? "b" : "a";
    const env = new SelfPlayVectorEnv({
      numEnvs: 3,
      cases,
      scorer,
      ...game,
      learner,
      opponent: new RandomAgent(3),
    });
    const vec = new VectorEnv({ numEnvs: 3, cases, scorer, ...game });
    const opponent = new RandomAgent(3);
    assert.equal(env.metadata.autoresetMode, "next_step");
    const r0 = await env.reset({ seed: 4 });
    let h = await vec.reset({ seed: 4 });
    assert.deepEqual(r0.observations, h.observations[learner]);
    assert.ok(env.observationSpace.contains(r0.observations));
    let sawAutoreset = false;
    for (let t = 0; t < 14; t++) {
      const mine = Int32Array.of(t % 6, (t + 2) % 6, (t * 5) % 6);
      assert.ok(env.actionSpace.contains(mine));
      const theirs = await opponent.act(h.observations[other], vec.contexts(other));
      const s = await env.step(mine);
      const hs = await vec.step(learner === "a" ? { a: mine, b: theirs } : { a: theirs, b: mine });
      h = hs;
      assert.deepEqual(s.rewards, hs.rewards[learner]);
      assert.deepEqual(s.terminations, hs.terminations[learner]);
      assert.deepEqual(s.truncations, hs.truncations[learner]);
      assert.deepEqual(s.autoreset, hs.autoreset);
      assert.deepEqual(s.observations, hs.observations[learner]);
      assert.deepEqual(s.infos, hs.infos[learner]);
      sawAutoreset ||= s.autoreset.includes(1);
    }
    assert.ok(sawAutoreset, "maxSteps 5 over 14 steps: some game was autoreset");
    env.close();
    await assert.rejects(() => env.step(Int32Array.of(0, 0, 0)), EnvStateError);
  });
}

Deno.test("SelfPlayVectorEnv: spaces batch the single spaces; bad input is rejected before anything moves", async () => {
  const env = new SelfPlayVectorEnv({ numEnvs: 2, cases, scorer, ...game, opponent: new RandomAgent(0) });
  assert.deepEqual(Array.from(env.actionSpace.nvec), [6, 6]);
  assert.equal(env.observationSpace.spaces.length, 2);
  await assert.rejects(() => env.step(Int32Array.of(0, 0)), EnvStateError); // before reset
  await env.reset({ seed: 0 });
  await assert.rejects(() => env.step(Int32Array.of(0)), /numEnvs/);
  await assert.rejects(() => env.step(Int32Array.of(0, 6)), /actions/);
  const s = await env.step(env.actionSpace.sample());
  assert.equal(s.rewards.length, 2);
});
