/**
 * The real-data pixel tasks: `data` is required (a typed error naming it, with an example); on a
 * generated JPEG image/mask folder `make` returns an env equal to the hand-built one (same slices and
 * game: the same observations and rewards under one seed and one action sequence); on the shared
 * liver slices (skipped visibly when absent) make + reset + step run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { InvalidArgumentError } from "../data/errors.ts";
import { make } from "../env/registry.ts";
import { PAPER_ACTIONS, PixelSegEnv } from "../env/pixel/pixel_env.ts";
import { folderPixelSlices } from "../env/pixel/pixel_volume_slices.ts";
import { PIXEL_BRATS_TASK_ID, PIXEL_LIVER_TASK_ID } from "../tasks/pixel_real_tasks.ts";
import { HAS_REAL_DATA, REAL_DATA, scratchDir } from "./_helpers.ts";
import { encodeGreyJpeg } from "./_jpeg.ts";

const W = 32, H = 32;

const encodeGrey = (grey: (x: number, y: number) => number): Uint8Array => encodeGreyJpeg(W, H, grey);

/** 12 slices of 6 patients: a bright square (the tumour) on a dimmer background, shifted per slice. */
async function liverFolder(): Promise<string> {
  const dir = await scratchDir("pixel-liver-task");
  await Deno.mkdir(join(dir, "images"), { recursive: true });
  await Deno.mkdir(join(dir, "masks"), { recursive: true });
  for (let k = 0; k < 12; k++) {
    const name = `flipped_${1000 + Math.floor(k / 2)}_${k}.jpg`;
    const inside = (x: number, y: number) => x >= 4 + k && x < 14 + k && y >= 8 && y < 20;
    await Deno.writeFile(join(dir, "images", name), encodeGrey((x, y) => (inside(x, y) ? 200 : 60)));
    await Deno.writeFile(join(dir, "masks", name), encodeGrey((x, y) => (inside(x, y) ? 255 : 0)));
  }
  return dir;
}

Deno.test("real-data pixel tasks: data is required, the error names it with an example", async () => {
  for (const id of [PIXEL_LIVER_TASK_ID, PIXEL_BRATS_TASK_ID]) {
    await assert.rejects(
      () => make(id),
      (e: unknown) =>
        e instanceof InvalidArgumentError && /data/.test(e.message) && /make\('/.test(e.message),
    );
    await assert.rejects(() => make(id, { data: "" }), InvalidArgumentError);
  }
});

Deno.test("Pixel-Liver2D-v0 on a generated JPEG folder equals the hand-built env (same trajectory)", async () => {
  const dir = await liverFolder();
  const made = await make<PixelSegEnv>(PIXEL_LIVER_TASK_ID, { data: dir, split: "test", size: 16 });
  const slices = await folderPixelSlices(dir, { target: [1], size: 16, seed: 0 });
  const hand = new PixelSegEnv({
    slices: slices.test,
    tMax: 10,
    actions: PAPER_ACTIONS,
    initialMask: "foreground",
  });
  const a = made.reset({ seed: 3 }), b = hand.reset({ seed: 3 });
  assert.deepEqual(a.observation, b.observation);
  assert.equal(a.info.sliceId, b.info.sliceId);
  // The task's mask is the JPEG mask (>= 128) resampled: a 10x12 square of 32x32 -> some pixels of 16x16.
  assert.ok(slices.test.every((s) => s.truth.some((v) => v === 1)));
  const actions = new Int32Array(16 * 16);
  for (let t = 0; t < 10; t++) {
    for (let i = 0; i < actions.length; i++) actions[i] = (i * 7 + t) % 2;
    const x = made.step(actions), y = hand.step(actions);
    assert.deepEqual(x.observation, y.observation);
    assert.deepEqual(x.rewardMap, y.rewardMap);
    assert.equal(x.reward, y.reward);
    assert.equal(x.truncated, y.truncated);
  }
});

Deno.test(`real-data pixel tasks on the shared folders${HAS_REAL_DATA ? "" : " (SKIPPED: folder absent)"}`, async () => {
  if (!HAS_REAL_DATA) return;
  // The liver slices only: the BraTS folder's 6 volumes take tens of seconds to slice (its reader is
  // tested on the shared folder in pixel_volume_slices_test.ts).
  for (const [id, folder] of [[PIXEL_LIVER_TASK_ID, "liver_tumour_2d"]]) {
    const env = await make<PixelSegEnv>(id, { data: join(REAL_DATA, folder), split: "test" });
    const r = env.reset({ seed: 0 });
    assert.equal(r.observation.length, 64 * 64 * 2);
    const step = env.step(new Int32Array(64 * 64).fill(1));
    assert.equal(step.rewardMap.length, 64 * 64);
  }
});
