/**
 * Real-data layouts (issue 12): BraTS-style per-case folders read with `channels` in the order
 * asked for, the typed error without them, target labels with their source (never a silent subset
 * of an MSD dataset.json), and single-channel folders unchanged. Fixtures are hand-built NIfTI files
 * (tests/_nifti_build.ts), each channel filled with its own constant so order is visible.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openDataset } from "../data/dataset.ts";
import { describeDataSource, openDataSource } from "../data/data_source.ts";
import { msdDefaultTarget } from "../data/dataset_layouts.ts";
import { DatasetError, InvalidArgumentError } from "../data/errors.ts";
import { build } from "./_nifti_build.ts";
import { HAS_REAL_DATA, REAL_DATA, scratchDir } from "./_helpers.ts";

const SIZE: [number, number, number] = [4, 3, 2]; // x,y,z
const N = 24;
const MODALITY_VALUE: Record<string, number> = { flair: 10, t1: 20, t1ce: 30, t2: 40 };

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** `<dir>/<case>/<case>_{flair,t1,t1ce,t2,seg}.nii.gz`, channel m filled with MODALITY_VALUE[m] + case index. */
async function makeBrats(dir: string, cases: string[]): Promise<void> {
  for (const [k, id] of cases.entries()) {
    await Deno.mkdir(join(dir, id), { recursive: true });
    for (const [m, v] of Object.entries(MODALITY_VALUE)) {
      const values = Array.from({ length: N }, (_, i) => (i === 0 ? 0 : v + k));
      const bytes = build({ type: "int16", values, size: SIZE, pixdim: [1, 1, 1, 1] });
      await Deno.writeFile(join(dir, id, `${id}_${m}.nii.gz`), await gzip(bytes));
    }
    const seg = Array.from({ length: N }, (_, i) => [0, 1, 2, 4][i % 4]);
    const bytes = build({ type: "uint8", values: seg, size: SIZE, pixdim: [1, 1, 1, 1] });
    await Deno.writeFile(join(dir, id, `${id}_seg.nii.gz`), await gzip(bytes));
  }
}

Deno.test("BraTS folders: --channels reads every case's modalities in the order given", async () => {
  const dir = await scratchDir("brats");
  await makeBrats(dir, ["Brats_A_1", "Brats_B_1"]);
  const d = await openDataSource({
    spec: dir,
    seed: 0,
    target: [1, 2, 4],
    channels: ["t2", "flair", "t1ce"],
  });
  assert.deepEqual(d.refs.map((r) => r.id), ["Brats_A_1", "Brats_B_1"]);
  for (const [k, ref] of d.refs.entries()) {
    const c = await d.load(ref);
    assert.equal(c.channels?.length, 3);
    // Voxel 1 of channel m holds MODALITY_VALUE[m] + case index: t2, flair, t1ce in that order.
    assert.deepEqual(c.channels!.map((v) => v.data[1]), [40 + k, 10 + k, 30 + k]);
    assert.equal(c.image, c.channels![0]);
    assert.deepEqual([...c.image.shape], [2, 3, 4]);
    assert.equal(c.presence, 1);
  }
});

Deno.test("BraTS folders: one channel loads as a plain single-image case (no channels field)", async () => {
  const dir = await scratchDir("brats1");
  await makeBrats(dir, ["Brats_A_1"]);
  const d = await openDataSource({ spec: dir, seed: 0, target: null, channels: ["flair"] });
  const c = await d.load(d.refs[0]);
  assert.equal(c.channels, undefined);
  assert.equal(c.image.data[1], 10);
  assert.ok(d.refs[0].labelsPath?.endsWith("Brats_A_1_seg.nii.gz"));
  assert.deepEqual(d.target, [1]);
  assert.equal(d.targetSource, "the folder default (1)");
});

Deno.test("BraTS folders: without --channels, a typed error names the modalities to choose from", async () => {
  const dir = await scratchDir("brats-nochan");
  await makeBrats(dir, ["Brats_A_1"]);
  await assert.rejects(() => openDataset(dir), (e: unknown) => {
    assert.ok(e instanceof DatasetError);
    assert.match(e.message, /Brats_A_1_seg\.nii\.gz/);
    assert.match(e.message, /flair, t1, t1ce, t2/);
    assert.match(e.message, /--channels flair/);
    return true;
  });
  await assert.rejects(
    () => openDataSource({ spec: dir, seed: 0, target: null, channels: ["flair", "dwi"] }),
    (e: unknown) => e instanceof DatasetError && /has no dwi channel file/.test(e.message),
  );
  await assert.rejects(
    () => openDataSource({ spec: dir, seed: 0, target: null, channels: ["flair", "flair"] }),
    DatasetError,
  );
});

Deno.test("BraTS folders: each channel is z-scored on its own over its nonzero voxels", async () => {
  const dir = await scratchDir("brats-z");
  await makeBrats(dir, ["Brats_A_1"]);
  // Make the t2 channel vary: voxel i holds i (voxel 0 is 0, outside the mask).
  const values = Array.from({ length: N }, (_, i) => i);
  const bytes = build({ type: "int16", values, size: SIZE, pixdim: [1, 1, 1, 1] });
  await Deno.writeFile(join(dir, "Brats_A_1", "Brats_A_1_t2.nii.gz"), await gzip(bytes));
  const d = await openDataSource({
    spec: dir,
    seed: 0,
    target: null,
    channels: ["flair", "t2"],
    intensity: { mode: "zscore-nonzero", clipPercentiles: null },
  });
  await assert.rejects(() => d.load(d.refs[0]), InvalidArgumentError); // flair is constant inside its mask
  // By hand: t2 nonzero voxels are 1..23: mean 12, population sd sqrt((23^2 - 1) / 12) = sqrt(44).
  const d2 = await openDataSource({
    spec: dir,
    seed: 0,
    target: null,
    channels: ["t2"],
    intensity: { mode: "zscore-nonzero", clipPercentiles: null },
  });
  const c = await d2.load(d2.refs[0]);
  assert.equal(c.image.data[0], 0);
  for (const i of [1, 12, 23]) assert.ok(Math.abs(c.image.data[i] - (i - 12) / Math.sqrt(44)) < 1e-6);
});

Deno.test("targets: an MSD dataset.json's tumour labels are named with those left out, never silently", () => {
  const brats = msdDefaultTarget({
    "0": "background",
    "1": "edema",
    "2": "non-enhancing tumor",
    "3": "enhancing tumour",
  });
  assert.deepEqual(brats.target, [2, 3]);
  assert.match(brats.source, /2 "non-enhancing tumor", 3 "enhancing tumour"/);
  assert.match(brats.source, /NOT included: 1 "edema"/);
  const liver = msdDefaultTarget({ "0": "background", "1": "liver", "2": "cancer" });
  assert.deepEqual(liver.target, [2]);
  assert.match(liver.source, /NOT included: 1 "liver"/);
  const v2 = msdDefaultTarget({ background: 0, tumor: 2 });
  assert.deepEqual(v2.target, [2]);
  assert.doesNotMatch(v2.source, /NOT included/);
  const none = msdDefaultTarget({ "0": "background", "1": "organ" });
  assert.deepEqual(none.target, [1]);
  assert.match(none.source, /no label of dataset.json is named tumour/);
});

Deno.test("targets: the printed lines name the labels and their source (flag or dataset default)", async () => {
  const dir = await scratchDir("brats-desc");
  await makeBrats(dir, ["Brats_A_1"]);
  const given = { target: [1, 2, 4], channels: ["flair"] };
  const d = await openDataSource({ spec: dir, seed: 0, ...given });
  const lines = describeDataSource(d, given, "--target", [-3, 7]);
  assert.ok(lines.includes("target labels: 1,2,4 (from --target)"), lines.join("\n"));
  assert.ok(lines.includes("channels: flair"));
  assert.ok(lines.some((l) => /intensity window -3,7/.test(l)));
  const dflt = await openDataSource({ spec: dir, seed: 0, target: null, channels: ["flair"] });
  const lines2 = describeDataSource(dflt, { target: null, channels: ["flair"] });
  assert.ok(lines2.includes("target labels: 1 (from the folder default (1))"), lines2.join("\n"));
});

Deno.test({
  name: "real data: BraTS 2018 FLAIR, T1c, T2 load in that order, each z-scored on its own (numpy values)",
  ignore: !HAS_REAL_DATA,
  fn: async () => {
    // Expected values from a hand parse of each file's int16 voxels with numpy (not our reader):
    // per modality, the voxel (z,y,x) = (77,100,140), and its z-score over the volume's nonzero voxels.
    const spec = {
      spec: join(REAL_DATA, "brats2018"),
      seed: 0,
      target: [1, 2, 4],
      channels: ["flair", "t1ce", "t2"],
    };
    const raw = await openDataSource(spec);
    const ref = raw.refs.find((r) => r.id === "Brats18_2013_11_1")!;
    assert.equal(raw.refs.length, 6);
    const c = await raw.load(ref);
    const i = (77 * 240 + 100) * 240 + 140;
    assert.deepEqual(c.channels!.map((v) => v.data[i]), [231, 42, 652]);
    assert.deepEqual(c.channels!.map((v) => v.data.reduce((a, b) => Math.max(a, b), 0)), [497, 211, 1620]);
    const z = await openDataSource({ ...spec, intensity: { mode: "zscore-nonzero", clipPercentiles: null } });
    const cz = await z.load(ref);
    const expected = [0.5615180768142168, -0.5082032897104098, 0.38384772588096716];
    cz.channels!.forEach((v, k) => assert.ok(Math.abs(v.data[i] - expected[k]) < 1e-5, `${k}: ${v.data[i]}`));
  },
});
