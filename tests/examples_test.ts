import assert from "node:assert/strict";
import createAgent, { DarkSideAgent } from "../examples/my_agent.ts";
import { evaluateAgents } from "../examples/evaluate_agent.ts";
import { RandomAgent } from "../env/baseline_agents.ts";
import { type SelfPlayEnv, type SparsTaskOptions, spec, taskCases } from "../mod.ts";

Deno.test("examples/my_agent: moves towards the darker half along the axis of largest contrast", async () => {
  const agent = new DarkSideAgent([2, 2, 2], 0, 0);
  // z,y,x with x fastest: voxel (z,y,x) at 4z + 2y + x.
  const darkPlusX = Float32Array.of(5, 0, 5, 0, 5, 0, 5, 0); // x = 1 darker: contrast 20 on x, 0 elsewhere
  const darkMinusZ = Float32Array.of(0, 0, 0, 0, 9, 9, 9, 9); // z = 0 darker
  const darkPlusY = Float32Array.of(3, 3, 1, 1, 3, 3, 1, 1); // y = 1 darker
  assert.deepEqual(Array.from(await agent.act([darkPlusX, darkMinusZ, darkPlusY])), [4, 1, 2]);
  const factory = createAgent({ observationShape: [2, 2, 2], seed: 1 });
  assert.equal(factory.name, "dark-side");
});

Deno.test("examples/evaluate_agent: one row per agent over the task's test split", async () => {
  const rows = await evaluateAgents([new RandomAgent(0)], "SparsGym/Spars-Oracle-v0", 1);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].name, "random");
  assert.equal(rows[0].n, 18); // 72 phantoms, 25% test
  assert.ok(rows[0].mean >= 0 && rows[0].mean <= 1);
  // Dice is averaged over the test cases with tumour voxels (label 2), counted here from the labels.
  const test = await taskCases(
    spec<SelfPlayEnv, SparsTaskOptions>("SparsGym/Spars-Oracle-v0").defaults.data!,
    "test",
  );
  assert.equal(rows[0].positives, test.filter((c) => c.labels!.data.includes(2)).length);
  assert.ok(rows[0].positives < 18 && rows[0].windows > 0);
  assert.deepEqual(rows[0].meanByRule, [rows[0].mean]); // default: the one rule map > 0.5
});
