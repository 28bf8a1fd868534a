/**
 * The case-folder layout (issue 12, the soft-tissue-sarcoma CT/MR/PET set): `<case>/<m>_image.nii.gz`
 * and `<case>/<m>_mask.nii.gz` with the same names in every case. Fixtures are hand-built NIfTI files
 * (tests/_nifti_build.ts) in that layout, qform only (sform_code 0, as the STS files), with CT in HU;
 * the MR is on another grid, as in the real set. Expected values are the voxels written, by hand.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { detectLayout } from "../data/dataset_layouts.ts";
import { describeDataSource, openDataSource, parseChannels } from "../data/data_source.ts";
import { DatasetError, ShapeMismatchError } from "../data/errors.ts";
import { dataNotes } from "../eval/run_config.ts";
import { build } from "./_nifti_build.ts";
import { HAS_REAL_DATA, REAL_DATA, scratchDir } from "./_helpers.ts";

const CT_SIZE: [number, number, number] = [4, 3, 2]; // x,y,z
const MR_SIZE: [number, number, number] = [5, 3, 2];
const QFORM = { code: 1, b: 0, c: 0, d: 0, offset: [0, 0, 0] as [number, number, number] };

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** CT voxel i of case k, in HU: air, fat, muscle, bone in turn, shifted by the case index. */
const ctValue = (k: number, i: number): number => [-1000, -100, 40, 1200][i % 4] + k;
/** CT mask voxel i of case k: tumour on voxels 5..(5+k) (case 0: one voxel); case 2 has none. */
const ctMask = (k: number, i: number): number => (k !== 2 && i >= 5 && i <= 5 + k ? 1 : 0);

async function write(
  path: string,
  type: "float32" | "uint8",
  size: [number, number, number],
  values: number[],
) {
  const bytes = build({ type, values, size, pixdim: [1, 0.98, 0.98, 3.27], qform: QFORM });
  await Deno.writeFile(path, await gzip(bytes));
}

/** `<dir>/STS_00<k+1>/{CT,MR_T1,PET}_{image,mask}.nii.gz`; CT and PET on one grid, MR on another. */
async function makeSts(dir: string, count = 3): Promise<void> {
  const ct = CT_SIZE[0] * CT_SIZE[1] * CT_SIZE[2], mr = MR_SIZE[0] * MR_SIZE[1] * MR_SIZE[2];
  for (let k = 0; k < count; k++) {
    const d = join(dir, `STS_00${k + 1}`);
    await Deno.mkdir(d, { recursive: true });
    await write(
      join(d, "CT_image.nii.gz"),
      "float32",
      CT_SIZE,
      Array.from({ length: ct }, (_, i) => ctValue(k, i)),
    );
    await write(
      join(d, "CT_mask.nii.gz"),
      "uint8",
      CT_SIZE,
      Array.from({ length: ct }, (_, i) => ctMask(k, i)),
    );
    await write(join(d, "PET_image.nii.gz"), "float32", CT_SIZE, Array.from({ length: ct }, () => 2.5));
    await write(join(d, "PET_mask.nii.gz"), "uint8", CT_SIZE, Array.from({ length: ct }, () => 0));
    await write(
      join(d, "MR_T1_image.nii.gz"),
      "float32",
      MR_SIZE,
      Array.from({ length: mr }, (_, i) => 300 + i),
    );
    await write(
      join(d, "MR_T1_mask.nii.gz"),
      "uint8",
      MR_SIZE,
      Array.from({ length: mr }, (_, i) => (i < 2 ? 1 : 0)),
    );
  }
  await Deno.writeTextFile(join(dir, "LICENSE_CC_BY_3.0.md"), "not a case\n");
}

Deno.test("case folders: STS layout detected; --channels CT reads CT in HU with the CT mask as target", async () => {
  const dir = await scratchDir("case-folders");
  await makeSts(dir);
  assert.equal((await detectLayout(dir)).layout, "case-folders");
  const d = await openDataSource({ spec: dir, seed: 0, target: null, channels: parseChannels("CT") });
  assert.deepEqual(d.refs.map((r) => r.id), ["STS_001", "STS_002", "STS_003"]);
  assert.deepEqual(d.target, [1]);
  for (const [k, ref] of d.refs.entries()) {
    assert.equal(ref.imagePath, join(dir, ref.id, "CT_image.nii.gz"));
    assert.equal(ref.labelsPath, join(dir, ref.id, "CT_mask.nii.gz"));
    const c = await d.load(ref);
    assert.deepEqual(c.image.shape, [2, 3, 4]); // z,y,x
    assert.deepEqual([...c.image.data], Array.from({ length: 24 }, (_, i) => ctValue(k, i)));
    assert.deepEqual([...c.labels!.data], Array.from({ length: 24 }, (_, i) => ctMask(k, i)));
    assert.equal(c.presence, k === 2 ? 0 : 1);
    assert.equal(c.channels, undefined);
    assert.ok(Math.abs(c.image.spacing[0] - 3.27) < 1e-5 && Math.abs(c.image.spacing[2] - 0.98) < 1e-5);
  }
  const lines = describeDataSource(d, { target: null, channels: ["CT"] });
  assert.ok(
    lines.includes("target labels: 1 (from the case folders' CT_mask default (1))"),
    lines.join("\n"),
  );
  assert.ok(lines.includes("channels: CT"), lines.join("\n"));
});

Deno.test("case folders: MR_T1 reads the MR image and its own mask; CT+MR on two grids is a typed error", async () => {
  const dir = await scratchDir("case-folders");
  await makeSts(dir, 1);
  const mr = await openDataSource({ spec: dir, seed: 0, target: null, channels: parseChannels("MR_T1") });
  const c = await mr.load(mr.refs[0]);
  assert.deepEqual(c.image.shape, [2, 3, 5]);
  assert.deepEqual([...c.image.data.slice(0, 3)], [300, 301, 302]);
  assert.equal(c.labels!.data.reduce((a, b) => a + b, 0), 2);
  const both = await openDataSource({ spec: dir, seed: 0, target: null, channels: ["CT", "MR_T1"] });
  await assert.rejects(() => both.load(both.refs[0]), ShapeMismatchError);
  const ctPet = await openDataSource({ spec: dir, seed: 0, target: null, channels: ["CT", "PET"] });
  const cp = await ctPet.load(ctPet.refs[0]);
  assert.deepEqual(cp.channels!.map((v) => v.data[0]), [-1000, 2.5]);
});

Deno.test("case folders: without --channels a typed error names the modalities; bad folders are named", async () => {
  const dir = await scratchDir("case-folders");
  await makeSts(dir, 2);
  await assert.rejects(
    () => openDataSource({ spec: dir, seed: 0, target: null, channels: null }),
    (e: Error) =>
      e instanceof DatasetError && /CT, MR_T1, PET/.test(e.message) && /--channels CT/.test(e.message),
  );
  await assert.rejects(
    () => openDataSource({ spec: dir, seed: 0, target: null, channels: ["DWI"] }),
    (e: Error) => e instanceof DatasetError && /STS_001/.test(e.message) && /no DWI_image/.test(e.message),
  );
  // A second CT image (.nii beside .nii.gz) is ambiguous, never one of them chosen silently.
  await Deno.writeFile(
    join(dir, "STS_002", "CT_image.nii"),
    build({ type: "float32", values: [1], size: [1, 1, 1] }),
  );
  await assert.rejects(
    () => openDataSource({ spec: dir, seed: 0, target: null, channels: ["CT"] }),
    (e: Error) => e instanceof DatasetError && /several CT_image files/.test(e.message),
  );
  await Deno.remove(join(dir, "STS_002", "CT_image.nii"));
  // A NIfTI file of another name inside a case folder is named, not skipped.
  await Deno.writeFile(
    join(dir, "STS_001", "notes.nii"),
    build({ type: "uint8", values: [1], size: [1, 1, 1] }),
  );
  await assert.rejects(
    () => openDataSource({ spec: dir, seed: 0, target: null, channels: ["CT"] }),
    (e: Error) => e instanceof DatasetError && /notes\.nii/.test(e.message),
  );
});

Deno.test("case folders: one modality needs no --channels; BraTS-named files are not case folders", async () => {
  const dir = await scratchDir("case-folders");
  await Deno.mkdir(join(dir, "A"));
  await write(join(dir, "A", "CT_image.nii.gz"), "float32", [2, 1, 1], [-5, 7]);
  const d = await openDataSource({ spec: dir, seed: 0, target: null, channels: null });
  assert.deepEqual([...(await d.load(d.refs[0])).image.data], [-5, 7]);
  assert.equal(d.refs[0].labelsPath, undefined);
  const brats = await scratchDir("case-folders");
  await Deno.mkdir(join(brats, "B1"));
  await write(join(brats, "B1", "B1_image.nii.gz"), "float32", [2, 1, 1], [1, 2]);
  assert.equal((await detectLayout(brats)).layout, "folder");
});

Deno.test("case folders: reports on the STS data carry its licence and citation", () => {
  const line = "Data: TCIA Soft-tissue-Sarcoma (Vallières et al. 2015), CC BY 3.0.";
  assert.deepEqual(dataNotes("../shared/data/real/sts_ct_mr_pet"), [line]);
  assert.deepEqual(dataNotes("/data/STS"), [line]);
  assert.deepEqual(dataNotes("/data/costs"), []);
});

Deno.test({
  name: "real data: STS CT (HU) with its CT mask, values as the data README states (nibabel)",
  ignore: !HAS_REAL_DATA,
  fn: async () => {
    const d = await openDataSource({
      spec: join(REAL_DATA, "sts_ct_mr_pet"),
      seed: 0,
      target: null,
      channels: ["CT"],
    });
    assert.deepEqual(d.refs.map((r) => r.id), ["STS_001", "STS_002", "STS_003"]);
    const c = await d.load(d.refs[0]);
    assert.deepEqual(c.image.shape, [59, 202, 198]);
    let lo = Infinity, hi = -Infinity;
    for (const v of c.image.data) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    assert.deepEqual([lo, hi], [-1000, 1397]);
    assert.equal(c.labels!.data.reduce((a, b) => a + b, 0), 117_145);
    const c2 = await d.load(d.refs[1]);
    assert.deepEqual(c2.labels!.shape, [48, 143, 161]);
    assert.equal(c2.labels!.data.reduce((a, b) => a + b, 0), 17_090);
  },
});
