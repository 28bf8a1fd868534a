import assert from "node:assert/strict";
import { make, spec } from "../env/registry.ts";
import type { PatchSelfPlayEnv } from "../env/patch/self_play.ts";
import { phantomPixelSlices } from "../env/pixel/pixel_data.ts";
import { PixelSegEnv } from "../env/pixel/pixel_env.ts";
import {
  PATCH_TASK_ID,
  type PatchTaskOptions,
  PIXEL_TASK_ID,
  PIXEL_TASK_OPTIONS,
  type PixelTaskOptions,
} from "../tasks/game_tasks.ts";

Deno.test("tasks: make('SparsGym/Pixel-Phantom-v0') equals the hand-built pixel env under a seed", async () => {
  const data = { count: 10, seed: 2, shape: [8, 32, 32] as [number, number, number] };
  const made = await make<PixelSegEnv, PixelTaskOptions>(PIXEL_TASK_ID, { data });
  const hand = new PixelSegEnv({ slices: phantomPixelSlices(data).train, tMax: PIXEL_TASK_OPTIONS.tMax });
  for (const seed of [0, 1, 7]) {
    const a = made.reset({ seed }), b = hand.reset({ seed });
    assert.equal(a.info.sliceId, b.info.sliceId);
    assert.deepEqual(a.observation, b.observation);
    const actions = new Int32Array(32 * 32).map((_, i) => i % 2);
    assert.deepEqual(made.step(actions).rewardMap, hand.step(actions).rewardMap);
  }
  assert.equal(made.tMax, 10);
  await assert.rejects(make(PIXEL_TASK_ID, { data, actions: "magic" }), /actions/);
});

Deno.test("tasks: SparsGym/Patch-Oracle-v0 plays the patch game on 2D phantoms with 8x8 patches", async () => {
  assert.deepEqual(spec(PATCH_TASK_ID).defaults.grid, [1, 8, 8]);
  const env = await make<PatchSelfPlayEnv, PatchTaskOptions>(PATCH_TASK_ID, { first: "a" });
  assert.equal(env.actionSpace.n, 65); // 64 patches + terminate
  assert.deepEqual(env.observationSpace.shape, [1, 32, 32, 2]);
  const r = await env.reset({ seed: 0 });
  assert.equal(r.info.action_mask.reduce((s, v) => s + v, 0), 65);
  const s = await env.step(10);
  assert.equal(s.info.action_mask[10], 0);
  env.close();
});
