/** Dataset layouts: LiTS, MSD (dataset.json) and plain folders with labels.csv, and their typed errors. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openDataset, openFolderDataset, openLitsDataset, openMsdDataset } from "../data/dataset.ts";
import { DatasetError, InvalidArgumentError } from "../data/errors.ts";
import { writeNifti } from "../data/nifti_write.ts";
import { targetMask } from "../data/tile.ts";
import { assertSplitsPartition, ids, image, labels, makeFolder, SPLITS, toArray } from "./_datasets.ts";
import { scratchDir } from "./_helpers.ts";

/** LiTS folder: 12 cases (N = 0..11), even N hold tumour (label 2), a mix of .nii and .nii.gz. */
async function makeLits(dir: string): Promise<void> {
  for (let k = 0; k < 12; k++) {
    const ext = k % 3 === 0 ? ".nii" : ".nii.gz";
    await writeNifti(join(dir, `volume-${k}${ext}`), image(1000 * k));
    await writeNifti(join(dir, `segmentation-${k}${ext}`), labels(k % 2 === 0 ? 2 : undefined));
  }
}

Deno.test("LiTS: ids in numeric order, original labels kept, presence from tumour, splits", async () => {
  const dir = await scratchDir("lits");
  await makeLits(dir);
  const d = await openLitsDataset(dir);
  assert.deepEqual(ids(d), Array.from({ length: 12 }, (_, k) => `lits-${k}`)); // lits-2 before lits-10
  assert.deepEqual(d.target, [2]);
  assert.ok(d.refs.every((r) => r.labelsPath?.includes("segmentation-") && r.presence === undefined));
  const cases = await toArray(d);
  assert.equal(cases.length, 12);
  for (const [k, c] of cases.entries()) {
    assert.equal(c.id, `lits-${k}`);
    assert.equal(c.image.data[0], 1000 * k);
    assert.equal(c.image.data[511], 1000 * k + 511);
    assert.deepEqual([...c.image.shape], [8, 8, 8]);
    assert.equal(c.presence, k % 2 === 0 ? 1 : 0);
    // Labels are NOT binarised: liver (1) stays, tumour (2) stays; the mask comes from targetMask.
    assert.equal(c.labels!.data[0], 1);
    assert.equal(c.labels!.data[100], k % 2 === 0 ? 2 : 0);
    assert.equal(targetMask(c.labels!, d.target).reduce((a, b) => a + b, 0), k % 2 === 0 ? 10 : 0);
  }
  // 12 at 0.7/0.15/0.15 = 8.4/1.8/1.8 -> 8/2/2; deterministic across opens; seed changes it.
  assert.deepEqual(SPLITS.map((s) => d.split(s).refs.length), [8, 2, 2]);
  assertSplitsPartition(d);
  const again = await openLitsDataset(dir);
  for (const s of SPLITS) assert.deepEqual(ids(again.split(s)), ids(d.split(s)));
  const other = await openLitsDataset(dir, { seed: 1 });
  assert.notDeepEqual(SPLITS.map((s) => ids(other.split(s))), SPLITS.map((s) => ids(d.split(s))));
  assert.equal(d.split("val").name, "lits/val");
  // A target override: liver.
  const liver = await openLitsDataset(dir, { target: 1 });
  assert.equal((await liver.load(liver.refs[1])).presence, 1);
  await assert.rejects(openLitsDataset(dir, { target: 0 }), InvalidArgumentError);
  await assert.rejects(openLitsDataset(dir, { target: [] }), InvalidArgumentError);
  await assert.rejects(
    openLitsDataset(dir, { fractions: { train: 0.5, val: 0.5, test: 0.5 } }),
    InvalidArgumentError,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("LiTS: errors name the file", async () => {
  const dir = await scratchDir("lits-bad");
  await assert.rejects(openLitsDataset(dir), (e) => e instanceof DatasetError && e.source === dir);
  await assert.rejects(openLitsDataset(join(dir, "nope")), DatasetError);
  await writeNifti(join(dir, "volume-3.nii.gz"), image(0));
  await assert.rejects(
    openLitsDataset(dir),
    (e) =>
      e instanceof DatasetError && e.source === join(dir, "volume-3.nii.gz") &&
      /segmentation/.test(e.message),
  );
  await writeNifti(join(dir, "segmentation-3.nii.gz"), labels(2));
  await writeNifti(join(dir, "segmentation-4.nii"), labels(2));
  await assert.rejects(
    openLitsDataset(dir),
    (e) => e instanceof DatasetError && e.source.endsWith("segmentation-4.nii"),
  );
  await Deno.remove(join(dir, "segmentation-4.nii"));
  await writeNifti(join(dir, "volume-3.nii"), image(0));
  await assert.rejects(openLitsDataset(dir), /case id "lits-3"/);
  await Deno.remove(dir, { recursive: true });
});

async function makeMsd(dir: string, labelsField: unknown): Promise<void> {
  await Deno.mkdir(join(dir, "imagesTr"));
  await Deno.mkdir(join(dir, "labelsTr"));
  const training = [];
  for (const k of [0, 1, 2, 10]) {
    await writeNifti(join(dir, "imagesTr", `liver_${k}.nii.gz`), image(k));
    await writeNifti(join(dir, "labelsTr", `liver_${k}.nii.gz`), labels(k === 1 ? undefined : 2));
    training.push({ image: `./imagesTr/liver_${k}.nii.gz`, label: `./labelsTr/liver_${k}.nii.gz` });
  }
  await Deno.writeTextFile(
    join(dir, "dataset.json"),
    JSON.stringify({ name: "Task03_Liver", labels: labelsField, training, test: [] }),
  );
}

Deno.test("MSD: dataset.json entries, tumour label as default target, loading", async () => {
  const dir = await scratchDir("msd");
  await makeMsd(dir, { "0": "background", "1": "liver", "2": "cancer" });
  const d = await openMsdDataset(dir);
  assert.equal(d.name, "Task03_Liver");
  assert.deepEqual(ids(d), ["liver_0", "liver_1", "liver_2", "liver_10"]);
  assert.deepEqual(d.target, [2]);
  assert.equal(d.refs[3].imagePath, join(dir, "imagesTr", "liver_10.nii.gz"));
  const c = await d.load(d.refs[1]);
  assert.equal(c.image.data[0], 1);
  assert.equal(c.presence, 0);
  assert.equal((await d.load(d.refs[3])).presence, 1);
  // nnU-Net v2 style labels: name -> value.
  const v2 = await scratchDir("msd2");
  await makeMsd(v2, { background: 0, liver: 1, tumor: 2 });
  assert.deepEqual((await openMsdDataset(v2)).target, [2]);
  const none = await scratchDir("msd3");
  await makeMsd(none, { "0": "background", "1": "spleen" });
  assert.deepEqual((await openMsdDataset(none)).target, [1]);
  // Detected by openDataset, from the folder or the json path.
  assert.equal((await openDataset(dir)).name, "Task03_Liver");
  assert.equal((await openDataset(join(dir, "dataset.json"))).name, "Task03_Liver");
  for (const p of [dir, v2, none]) await Deno.remove(p, { recursive: true });
});

Deno.test("MSD: missing or invalid dataset.json and missing files are typed errors", async () => {
  const dir = await scratchDir("msd-bad");
  const json = join(dir, "dataset.json");
  await assert.rejects(openMsdDataset(dir), (e) => e instanceof DatasetError && e.source === json);
  await Deno.writeTextFile(json, "{ not json");
  await assert.rejects(
    openMsdDataset(dir),
    (e) => e instanceof DatasetError && /not valid JSON/.test(e.message),
  );
  await Deno.writeTextFile(json, JSON.stringify({ training: {} }));
  await assert.rejects(openMsdDataset(dir), /"training"/);
  await Deno.writeTextFile(json, JSON.stringify({ training: [] }));
  await assert.rejects(openMsdDataset(dir), /empty "training"/);
  await makeMsd(dir, {});
  await Deno.remove(join(dir, "labelsTr", "liver_2.nii.gz"));
  await assert.rejects(
    openMsdDataset(dir),
    (e) => e instanceof DatasetError && e.source === `${json} training[2].label` && /liver_2/.test(e.message),
  );
  await Deno.writeTextFile(json, JSON.stringify({ training: [{ image: 3 }] }));
  await assert.rejects(
    openMsdDataset(dir),
    (e) => e instanceof DatasetError && e.source === `${json} training[0].image`,
  );
  await Deno.writeTextFile(
    json,
    JSON.stringify({
      training: [{ image: "./imagesTr/liver_0.nii.gz" }, { image: "imagesTr/liver_0.nii.gz" }],
    }),
  );
  await assert.rejects(openMsdDataset(dir), /case id "liver_0"/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("folder: images, labels beside or in labels/, CSV presence overrides labels", async () => {
  const dir = await scratchDir("folder");
  await makeFolder(dir);
  const d = await openFolderDataset(dir);
  assert.deepEqual(d.target, [1]);
  const byId = new Map(d.refs.map((r) => [r.id, r]));
  assert.deepEqual([...byId.keys()], ["a", "b", "c", "d", "e"]);
  assert.deepEqual(d.refs.map((r) => r.presence), [1, 0, undefined, undefined, 0]);
  assert.equal(byId.get("b")!.labelsPath, join(dir, "labels", "b.nii"));
  assert.equal(byId.get("c")!.labelsPath, join(dir, "c_seg.nii.gz"));
  assert.equal(byId.get("a")!.labelsPath, undefined);
  const cases = new Map((await toArray(d)).map((c) => [c.id, c]));
  assert.equal(cases.get("a")!.presence, 1);
  assert.equal(cases.get("a")!.labels, undefined);
  assert.equal(cases.get("b")!.presence, 0, "the CSV overrides the labels");
  assert.equal(cases.get("b")!.labels!.data[100], 1, "but the labels are kept");
  assert.equal(cases.get("c")!.presence, 1);
  assert.equal(cases.get("d")!.presence, 0);
  assert.equal(cases.get("e")!.image.data[0], 5);
  // Without a CSV, presence comes from labels only.
  await Deno.remove(join(dir, "labels.csv"));
  const plain = await openFolderDataset(dir);
  assert.ok(plain.refs.every((r) => r.presence === undefined));
  assert.equal((await plain.load(plain.refs[1])).presence, 1);
  assert.equal((await plain.load(plain.refs[0])).presence, undefined);
  assert.equal((await openDataset(dir)).name, plain.name);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("folder: CSV and layout errors name the file and line", async () => {
  const dir = await scratchDir("folder-bad");
  await assert.rejects(openFolderDataset(dir), (e) => e instanceof DatasetError && e.source === dir);
  await makeFolder(dir);
  const csv = join(dir, "labels.csv");
  await Deno.writeTextFile(csv, "case,presence\na,1\nzz,0\n");
  await assert.rejects(
    openFolderDataset(dir),
    (e) => e instanceof DatasetError && e.source === `${csv}:3` && /"zz"/.test(e.message),
  );
  await Deno.writeTextFile(csv, "Presence,Case\n1,a\nmaybe,b\n");
  await assert.rejects(
    openFolderDataset(dir),
    (e) =>
      e instanceof DatasetError && e.source === `${csv}:3` && /"maybe"/.test(e.message) &&
      /0 or 1/.test(e.message),
  );
  // Values are looked up as data, never as inherited object members.
  await Deno.writeTextFile(csv, "case,presence\na,constructor\n");
  await assert.rejects(
    openFolderDataset(dir),
    (e) => e instanceof DatasetError && e.source === `${csv}:2` && /"constructor"/.test(e.message),
  );
  await Deno.writeTextFile(csv, "id,label\na,1\n");
  await assert.rejects(openFolderDataset(dir), (e) => e instanceof DatasetError && e.source === `${csv}:1`);
  await Deno.writeTextFile(csv, "case,presence\na,1\na,0\n");
  await assert.rejects(openFolderDataset(dir), (e) => e instanceof DatasetError && e.source === `${csv}:3`);
  await Deno.writeTextFile(csv, "case,presence\na\n");
  await assert.rejects(openFolderDataset(dir), (e) => e instanceof DatasetError && e.source === `${csv}:2`);
  await Deno.remove(csv);
  await assert.rejects(openFolderDataset(dir, { csv: join(dir, "weak.csv") }), /weak\.csv: does not exist/);
  // A label file without an image; two files with one id.
  await writeNifti(join(dir, "f_seg.nii.gz"), labels(1));
  await assert.rejects(
    openFolderDataset(dir),
    (e) => e instanceof DatasetError && e.source === join(dir, "f_seg.nii.gz"),
  );
  await Deno.remove(join(dir, "f_seg.nii.gz"));
  await writeNifti(join(dir, "a.nii"), image(0));
  await assert.rejects(openFolderDataset(dir), /case id "a"/);
  await Deno.remove(dir, { recursive: true });
});
