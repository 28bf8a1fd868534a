import assert from "node:assert/strict";
import type { Vec3 } from "../data/types.ts";
import { RandomAgent } from "../env/baseline_agents.ts";
import { EnvStateError } from "../env/errors.ts";
import { AGENT_COLORS } from "../env/frame.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { decodePng, encodePng, type RgbaFrame, rgbaToRgb, type RgbFrame, rgbToRgba } from "../env/png.ts";
import { SelfPlayEnv } from "../env/self_play_env.ts";
import { SparsEnv } from "../env/spars_env.ts";
import { VectorEnv } from "../env/vector_env.ts";
import { boxCase } from "./_cases.ts";

const cases = [boxCase("c0", [10, 16, 16], [2, 4, 8], [5, 6, 6], 2)];
const oracle = new OracleScorer(cases, { target: 2 });
const game = {
  window: [4, 6, 6] as Vec3,
  stride: 2,
  tau: 0.6,
  maxSteps: 25,
  observationShape: [2, 3, 3] as Vec3,
};

Deno.test("render rgb_array: an H x W x 3 frame equal to the RGBA frame without alpha", async () => {
  const make = (renderMode: "rgb_array" | "rgba_array") =>
    new SparsEnv({ scorer: oracle, cases, ...game, start: [0, 0, 0], renderMode, render: { scale: 1 } });
  const rgb = make("rgb_array"), rgba = make("rgba_array");
  assert.deepEqual(rgb.metadata.renderModes, ["ansi", "rgb_array", "rgba_array"]);
  for (const env of [rgb, rgba]) {
    await env.reset({ options: { case: cases[0] } });
  }
  const f = rgb.render() as RgbFrame, g = rgba.render() as RgbaFrame;
  // Two 16x16 slices side by side with a 4-pixel gap: H = 16, W = 36.
  assert.deepEqual([f.height, f.width, f.channels, f.data.length], [16, 36, 3, 16 * 36 * 3]);
  assert.ok(f.data instanceof Uint8Array);
  for (let p = 0; p < 16 * 36; p++) {
    assert.equal(g.data[p * 4 + 3], 255);
    for (let c = 0; c < 3; c++) assert.equal(f.data[p * 3 + c], g.data[p * 4 + c]);
  }
  // Both windows start at (0,0,0): pixel (0,0) of either panel (x = 0, x = 20) is b's outline (drawn last).
  assert.deepEqual(Array.from(f.data.subarray(0, 3)), [...AGENT_COLORS.b]);
  assert.deepEqual(Array.from(f.data.subarray(20 * 3, 20 * 3 + 3)), [...AGENT_COLORS.b]);
  // An RGB frame encodes to a PNG that decodes to the opaque RGBA picture.
  assert.deepEqual(decodePng(encodePng(f)).data, g.data);
});

Deno.test("rgbaToRgb composites over black; rgbToRgba is opaque (hand-computed pixels)", () => {
  const rgba: RgbaFrame = {
    width: 2,
    height: 1,
    data: Uint8ClampedArray.of(200, 100, 50, 255, 200, 100, 51, 128),
  };
  const rgb = rgbaToRgb(rgba);
  // 200*128/255 = 100.39 -> 100, 100*128/255 = 50.2 -> 50, 51*128/255 = 25.6 -> 26
  assert.deepEqual(Array.from(rgb.data), [200, 100, 50, 100, 50, 26]);
  assert.deepEqual(Array.from(rgbToRgba(rgb).data), [200, 100, 50, 255, 100, 50, 26, 255]);
  assert.throws(
    () => rgbaToRgb({ width: 2, height: 2, data: new Uint8ClampedArray(4) }),
    /width \* height \* 4/,
  );
});

Deno.test("close(): step and reset then throw EnvStateError in SparsEnv, SelfPlayEnv and VectorEnv", async () => {
  const env = new SparsEnv({ scorer: oracle, cases, ...game });
  await env.reset({ seed: 0 });
  env.close();
  env.close(); // idempotent
  assert.deepEqual(env.agents, []);
  await assert.rejects(() => env.step({ a: 0, b: 0 }), EnvStateError);
  await assert.rejects(() => env.reset(), EnvStateError);
  const single = new SelfPlayEnv({ scorer: oracle, cases, ...game, opponent: new RandomAgent(0) });
  await single.reset({ seed: 0 });
  single.close();
  await assert.rejects(() => single.step(0), EnvStateError);
  await assert.rejects(() => single.reset(), EnvStateError);
  const vec = new VectorEnv({ scorer: oracle, cases, ...game, numEnvs: 2 });
  await vec.reset({ seed: 0 });
  vec.close();
  await assert.rejects(() => vec.step({ a: Int32Array.of(0, 0), b: Int32Array.of(0, 0) }), EnvStateError);
  await assert.rejects(() => vec.reset(), EnvStateError);
});
