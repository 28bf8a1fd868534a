/**
 * The real-data task ids (tasks/real_tasks.ts): `data` is required (typed error naming it, with an
 * example); made on generated folders in the BraTS and STS layouts, the env equals a hand-built one
 * (same trajectory under a seed), reads the recipe's channels, target and normalisation (checked by
 * hand: z-scores over non-zero voxels, HU kept, window scores counted by brute force from the
 * fixtures' label rules); and on the shared BraTS folder when it exists.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { openDataset } from "../data/dataset.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import type { Vec3 } from "../data/types.ts";
import { RandomAgent } from "../env/baseline_agents.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { make } from "../env/registry.ts";
import { SelfPlayEnv } from "../env/self_play_env.ts";
import { BRATS_FLAIR_TASK_ID, STS_CT_TASK_ID } from "../tasks/real_tasks.ts";
import { build } from "./_nifti_build.ts";
import { REAL_DATA, scratchDir } from "./_helpers.ts";

const SHAPE: Vec3 = [16, 28, 28]; // z,y,x: the task's 12x24x24 window fits
const VOXELS = SHAPE[0] * SHAPE[1] * SHAPE[2];
const SIZE_XYZ: [number, number, number] = [SHAPE[2], SHAPE[1], SHAPE[0]];
const coords = (i: number): Vec3 => [
  Math.floor(i / (SHAPE[1] * SHAPE[2])),
  Math.floor(i / SHAPE[2]) % SHAPE[1],
  i % SHAPE[2],
];
/** Label of voxel i of case k: a 6x8x8 box whose sub-boxes hold 1, 2 and 4, shifted by k along x. */
const bratsLabel = (k: number, i: number): number => {
  const [z, y, x] = coords(i);
  if (!(z >= 5 && z < 11 && y >= 10 && y < 18 && x >= 4 + 2 * k && x < 12 + 2 * k)) return 0;
  return z < 7 ? 1 : z < 9 ? 2 : 4;
};
/** FLAIR voxel i of case k: 0 outside a "brain" (x >= 2), tumour bright, brain varying. */
const bratsFlair = (k: number, i: number): number => {
  const [, , x] = coords(i);
  if (x < 2) return 0;
  return bratsLabel(k, i) ? 400 + k : 100 + (i % 17);
};
/** CT mask of STS case k: a 6x6x6 cube of 1 shifted by 3k along x. */
const stsMask = (k: number, i: number): number => {
  const [z, y, x] = coords(i);
  return z >= 4 && z < 10 && y >= 8 && y < 14 && x >= 3 + 3 * k && x < 9 + 3 * k ? 1 : 0;
};
const stsCt = (k: number, i: number): number => (stsMask(k, i) ? 40 + k : [-1000, -100, 300][i % 3]);

async function bratsFolder(dir: string): Promise<string> {
  const data = join(dir, "brats");
  for (let k = 0; k < 6; k++) {
    const id = `B_${k}`;
    await Deno.mkdir(join(data, id), { recursive: true });
    const flair = Array.from({ length: VOXELS }, (_, i) => bratsFlair(k, i));
    const seg = Array.from({ length: VOXELS }, (_, i) => bratsLabel(k, i));
    await Deno.writeFile(
      join(data, id, `${id}_flair.nii`),
      build({ type: "int16", values: flair, size: SIZE_XYZ }),
    );
    await Deno.writeFile(
      join(data, id, `${id}_seg.nii`),
      build({ type: "uint8", values: seg, size: SIZE_XYZ }),
    );
  }
  return data;
}

async function stsFolder(dir: string): Promise<string> {
  const data = join(dir, "sts");
  for (let k = 0; k < 3; k++) {
    const d = join(data, `STS_00${k + 1}`);
    await Deno.mkdir(d, { recursive: true });
    const ct = Array.from({ length: VOXELS }, (_, i) => stsCt(k, i));
    const mask = Array.from({ length: VOXELS }, (_, i) => stsMask(k, i));
    await Deno.writeFile(join(d, "CT_image.nii"), build({ type: "float32", values: ct, size: SIZE_XYZ }));
    await Deno.writeFile(join(d, "CT_mask.nii"), build({ type: "uint8", values: mask, size: SIZE_XYZ }));
  }
  return data;
}

/** Share of voxels of the 12x24x24 window at `corner` whose label is in `target`, by brute force. */
function windowShare(label: (i: number) => number, corner: Vec3, target: readonly number[]): number {
  let n = 0;
  for (let z = 0; z < 12; z++) {
    for (let y = 0; y < 24; y++) {
      for (let x = 0; x < 24; x++) {
        const i = ((corner[0] + z) * SHAPE[1] + corner[1] + y) * SHAPE[2] + corner[2] + x;
        if (target.includes(label(i))) n++;
      }
    }
  }
  return n / (12 * 24 * 24);
}

for (const id of [BRATS_FLAIR_TASK_ID, STS_CT_TASK_ID]) {
  Deno.test(`tasks: ${id} without \`data\` is a typed error naming it, with an example`, async () => {
    await assert.rejects(
      () => make<SelfPlayEnv>(id),
      (e: Error) =>
        e instanceof InvalidArgumentError && /data/.test(e.message) && /is missing/.test(e.message) &&
        /\.\.\/shared\/data\/real\//.test(e.message) && e.message.includes(id),
    );
    await assert.rejects(
      () => make<SelfPlayEnv>(id, { data: "" }),
      (e: Error) => e instanceof InvalidArgumentError && /data/.test(e.message),
    );
  });
}

Deno.test("tasks: Spars-BraTS2018-Flair-v0 on a BraTS-layout folder equals the hand-built env", async () => {
  const dir = await scratchDir("real-task");
  try {
    const data = await bratsFolder(dir);
    const env = await make<SelfPlayEnv>(BRATS_FLAIR_TASK_ID, { data });
    // Hand-built from the README recipe: flair, target 1,2,4, zscore-nonzero, fold 1/6, seed 0.
    const ds = await openDataset(data, {
      seed: 0,
      folds: { k: 6, fold: 1 },
      target: [1, 2, 4],
      channels: ["flair"],
      intensity: { mode: "zscore-nonzero", clipPercentiles: null },
    });
    const cases = [];
    for await (const c of ds.split("train").cases()) cases.push(c);
    assert.equal(cases.length, 4); // 6 cases: one test fold, one val fold, 4 train
    const hand = new SelfPlayEnv({
      scorer: new OracleScorer(cases, { target: [1, 2, 4] }),
      cases,
      opponent: new RandomAgent(0),
      window: [12, 24, 24],
      stride: 4,
      tau: 0.3,
      termination: "none",
      maxSteps: 32,
      reward: "novelty",
      ties: "zero",
      terminationBonus: 0,
      observation: "window+context",
      observationShape: [8, 16, 16],
      start: "random",
      mapMode: "distinct",
      imageChannels: 1,
    });
    assert.deepEqual(env.observationSpace.shape, [8, 16, 16, 5]); // 2 x 1 image channel + 3 position
    const r = await env.reset({ seed: 5 }), h = await hand.reset({ seed: 5 });
    assert.deepEqual(r.info, h.info);
    assert.deepEqual(r.observation, h.observation);
    // The case's FLAIR is z-scored over its non-zero voxels (by hand from the fixture's values).
    const k = Number(r.info.caseId.slice(2));
    const raw = Array.from({ length: VOXELS }, (_, i) => bratsFlair(k, i)).filter((v) => v !== 0);
    const mean = raw.reduce((s, v) => s + v, 0) / raw.length;
    const sd = Math.sqrt(raw.reduce((s, v) => s + (v - mean) ** 2, 0) / raw.length);
    const image = env.env.game.case!.image.data;
    const i = VOXELS - 1; // x = 27: inside the brain
    assert.ok(Math.abs(image[i] - (bratsFlair(k, i) - mean) / sd) < 1e-4);
    // The score is the share of whole-tumour voxels in the window (labels 1, 2 and 4 all count).
    assert.ok(Math.abs(r.info.score - windowShare((j) => bratsLabel(k, j), r.info.corner, [1, 2, 4])) < 1e-6);
    const rng = new Rng(9);
    for (let t = 0; t < 12; t++) {
      const action = rng.int(6);
      const s = await env.step(action), hs = await hand.step(action);
      assert.deepEqual(
        [s.reward, s.terminated, s.truncated, s.info],
        [hs.reward, hs.terminated, hs.truncated, hs.info],
      );
      assert.deepEqual(s.observation, hs.observation);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tasks: Spars-STS-CT-v0 on a case-folder layout keeps HU and scores the CT mask", async () => {
  const dir = await scratchDir("real-task");
  try {
    const env = await make<SelfPlayEnv>(STS_CT_TASK_ID, { data: await stsFolder(dir) });
    const r = await env.reset({ seed: 1 });
    assert.match(r.info.caseId, /^STS_00[123]$/);
    const k = Number(r.info.caseId.slice(-1)) - 1;
    const image = env.env.game.case!.image.data;
    for (const i of [0, 1, 2, 777]) assert.equal(image[i], stsCt(k, i)); // HU, not normalised
    assert.ok(Math.abs(r.info.score - windowShare((j) => stsMask(k, j), r.info.corner, [1])) < 1e-6);
    assert.equal(r.observation.length, 8 * 16 * 16 * 5);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const BRATS = join(REAL_DATA, "brats2018");
Deno.test({
  name: `tasks: Spars-BraTS2018-Flair-v0 on ${BRATS}` +
    (existsSync(BRATS) ? "" : " (SKIPPED: folder absent)"),
  ignore: !existsSync(BRATS),
  fn: async () => {
    const env = await make<SelfPlayEnv>(BRATS_FLAIR_TASK_ID, { data: BRATS });
    const r = await env.reset({ seed: 0 });
    const c = env.env.game.case!;
    assert.deepEqual(c.image.shape, [155, 240, 240]);
    assert.equal(r.observation.length, 8 * 16 * 16 * 5);
    // The oracle score, counted by brute force over the loaded labels (whole tumour 1, 2, 4).
    const [z0, y0, x0] = r.info.corner, labels = c.labels!.data;
    let n = 0;
    for (let z = 0; z < 12; z++) {
      for (let y = 0; y < 24; y++) {
        for (let x = 0; x < 24; x++) {
          const v = labels[((z0 + z) * 240 + y0 + y) * 240 + x0 + x];
          if (v === 1 || v === 2 || v === 4) n++;
        }
      }
    }
    assert.ok(Math.abs(r.info.score - n / (12 * 24 * 24)) < 1e-6);
    const s = await env.step(0);
    assert.equal(s.info.step, 1);
  },
});
