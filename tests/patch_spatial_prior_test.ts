/**
 * The spatial-prior baseline of the patch game (`env/patch/spatial_prior.ts`): frequency, order,
 * patch count and fit Dice on hand-made cases computed by hand; play (first untaken of the first K,
 * then terminate) and its self-play segmentation in a real env; refused inputs.
 */
import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";
import { fitSpatialPrior, SpatialPriorPatchAgent } from "../env/patch/spatial_prior.ts";
import type { PatchAgentContext } from "../env/patch/agents.ts";
import { PatchGrid } from "../env/patch/grid.ts";
import { playPatchGame } from "../eval/patch_eval.ts";
import { envOn, handCase } from "./_patch_cases.ts";

const shape: Vec3 = [1, 4, 4];
const block = (
  y0: number,
  x0: number,
): Vec3[] => [[0, y0, x0], [0, y0, x0 + 1], [0, y0 + 1, x0], [0, y0 + 1, x0 + 1]];
// a: all of patch 0 (4 voxels); b: 1 voxel of patch 0 and all of patch 3; c: none (label 1 = object)
const a = handCase("a", shape, block(0, 0));
const b = handCase("b", shape, [[0, 0, 0], ...block(2, 2)]);
const c = handCase("c", shape, []);

Deno.test("fitSpatialPrior: frequency, order, K and fit Dice by hand", () => {
  const prior = fitSpatialPrior([a, b, c], [1, 2, 2], [1]);
  assert.deepEqual([...prior.frequency], [2 / 3, 0, 0, 1 / 3]);
  assert.deepEqual([...prior.order], [0, 3, 1, 2]);
  // mean Dice over a and b of the first K patches (4 voxels each):
  // K=1: (8/8 + 2/9) / 2 = 0.611; K=2: (8/12 + 10/13) / 2 = 0.718; K=3: (8/16 + 10/17) / 2 = 0.544
  assert.equal(prior.count, 2);
  assert.ok(Math.abs(prior.fitDice - (8 / 12 + 10 / 13) / 2) < 1e-12);
  // no case holds the object: nothing to take
  const empty = fitSpatialPrior([c], [1, 2, 2], [1]);
  assert.equal(empty.count, 0);
  assert.ok(Number.isNaN(empty.fitDice));
});

Deno.test("SpatialPriorPatchAgent: first untaken of the first K whatever the image, then terminate", async () => {
  const prior = fitSpatialPrior([a, b, c], [1, 2, 2], [1]);
  const agent = new SpatialPriorPatchAgent(prior);
  const grid = new PatchGrid(shape, [1, 2, 2]);
  const context = (mask: number[]): PatchAgentContext => ({
    volume: c.image,
    grid,
    scorer: { id: "unused", score: () => Promise.reject(new Error("not called")) } as never,
    actionMask: Uint8Array.from(mask),
    presenceThreshold: 0.5,
  });
  const acts = await agent.act([new Float32Array(0), new Float32Array(0), new Float32Array(0)], [
    context([1, 1, 1, 1, 1]),
    context([0, 1, 1, 1, 1]),
    context([0, 1, 1, 0, 1]),
  ]);
  assert.deepEqual([...acts], [0, 3, 4]);
  const wrong = { ...context([1, 1, 1, 1, 1]), grid: new PatchGrid(shape, [1, 4, 4]) };
  await assert.rejects(async () => await agent.act([new Float32Array(0)], [wrong]), InvalidArgumentError);
});

Deno.test("self-play segmentation of the spatial prior = its first K patches, on every image", async () => {
  const prior = fitSpatialPrior([a, b, c], [1, 2, 2], [1]);
  const agent = new SpatialPriorPatchAgent(prior);
  for (const k of [a, b, c]) {
    const env = envOn(k, { grid: [1, 2, 2], observationShape: [1, 4, 4] });
    const { mask } = await playPatchGame(env, agent, k);
    // patches 0 (y 0..1, x 0..1) and 3 (y 2..3, x 2..3)
    const expected = Array.from({ length: 16 }, (_, i) => {
      const [y, x] = [Math.floor(i / 4), i % 4];
      return (y < 2 && x < 2) || (y >= 2 && x >= 2) ? 1 : 0;
    });
    assert.deepEqual([...mask], expected, k.id);
  }
});

Deno.test("fitSpatialPrior refuses no cases, unlabelled cases and a grid finer than a case", () => {
  assert.throws(() => fitSpatialPrior([], [1, 2, 2]), /cases/);
  const { labels: _, ...bare } = a;
  assert.throws(() => fitSpatialPrior([bare], [1, 2, 2]), /case a/);
  assert.throws(() => fitSpatialPrior([a], [1, 8, 8]), InvalidArgumentError);
});
