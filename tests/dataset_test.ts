import assert from "node:assert/strict";
import { join } from "node:path";
import { CaseCache } from "../data/case_cache.ts";
import {
  type CaseRef,
  type Dataset,
  openDataset,
  openFolderDataset,
  openLitsDataset,
  openMsdDataset,
  phantomDataset,
} from "../data/dataset.ts";
import { DatasetError, InvalidArgumentError, ShapeMismatchError } from "../data/errors.ts";
import { writeNifti } from "../data/nifti_write.ts";
import { generatePhantomDataset } from "../data/phantom.ts";
import type { SplitName } from "../data/split.ts";
import { targetMask } from "../data/tile.ts";
import { type Case, diagonalAffine, type Labels, type Vec3, type Volume } from "../data/types.ts";
import { HAS_REAL_DATA, REAL_DATA, scratchDir } from "./_helpers.ts";

const SHAPE: Vec3 = [8, 8, 8];
const N = 512;

/** Image whose voxel i holds `base + i` (so files are told apart by their first voxel). */
function image(base: number, shape: Vec3 = SHAPE, spacing: Vec3 = [2, 1, 1]): Volume {
  const n = shape[0] * shape[1] * shape[2];
  return {
    id: "x",
    shape,
    spacing,
    data: Float32Array.from({ length: n }, (_, i) => base + i),
    affine: diagonalAffine(spacing, [-4, -4, -8]),
  };
}

/** Labels: 1 on the first z slice; `value` (if any) on voxels 100..109. */
function labels(value?: number, shape: Vec3 = SHAPE, spacing: Vec3 = [2, 1, 1]): Labels {
  const n = shape[0] * shape[1] * shape[2];
  const data = new Uint8Array(n);
  data.fill(1, 0, shape[1] * shape[2]);
  if (value !== undefined) data.fill(value, 100, 110);
  return { id: "x", shape, spacing, data, affine: diagonalAffine(spacing, [-4, -4, -8]) };
}

async function toArray(d: Dataset): Promise<Case[]> {
  const out: Case[] = [];
  for await (const c of d.cases()) out.push(c);
  return out;
}

const ids = (d: Dataset): string[] => d.refs.map((r) => r.id);
const SPLITS: SplitName[] = ["train", "val", "test"];

function assertSplitsPartition(d: Dataset): void {
  const parts = SPLITS.map((s) => ids(d.split(s)));
  const all = parts.flat();
  assert.equal(all.length, d.refs.length);
  assert.deepEqual(new Set(all), new Set(ids(d)));
}

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

/**
 * Folder: a (no labels), b (labels in labels/, tumour), c (c_seg, tumour), d (d_seg, no tumour),
 * e (no labels); CSV gives a=1, b=no (overriding b's labels), e=0.
 */
async function makeFolder(dir: string): Promise<void> {
  await writeNifti(join(dir, "a.nii.gz"), image(1));
  await writeNifti(join(dir, "b.nii"), image(2));
  await Deno.mkdir(join(dir, "labels"));
  await writeNifti(join(dir, "labels", "b.nii"), labels(1));
  await writeNifti(join(dir, "c.nii.gz"), image(3));
  await writeNifti(join(dir, "c_seg.nii.gz"), labels(1));
  await writeNifti(join(dir, "d.nii.gz"), image(4));
  await writeNifti(join(dir, "d_seg.nii"), { ...labels(), data: new Uint8Array(N) }); // all background
  await writeNifti(join(dir, "e.nii.gz"), image(5));
  await Deno.writeTextFile(join(dir, "labels.csv"), 'case,presence\na,1\r\nb.nii,no\n\n"e", 0\n');
}

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

Deno.test("loading checks that image and labels share the grid (shape and affine)", async () => {
  const dir = await scratchDir("grid");
  await writeNifti(join(dir, "s.nii.gz"), image(0));
  await writeNifti(join(dir, "s_seg.nii.gz"), labels(1, [8, 8, 7]));
  await writeNifti(join(dir, "t.nii.gz"), image(0));
  await writeNifti(join(dir, "t_seg.nii.gz"), labels(1, SHAPE, [2, 1, 1.5]));
  const d = await openFolderDataset(dir);
  for (const ref of d.refs) {
    await assert.rejects(
      d.load(ref),
      (e) =>
        e instanceof ShapeMismatchError && e.source.includes(ref.labelsPath!) &&
        e.source.includes(ref.imagePath),
    );
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("preprocessing applies to image and labels; presence comes from the original labels", async () => {
  const dir = await scratchDir("pre");
  await writeNifti(join(dir, "p.nii.gz"), image(0));
  const tiny = labels();
  tiny.data[2 * 64 + 2 * 8 + 2] = 5; // target 5 at even z,y,x: 2x nearest downsampling keeps odd indices
  await writeNifti(join(dir, "p_seg.nii.gz"), tiny);
  const d = await openFolderDataset(dir, {
    target: 5,
    preprocess: { intensity: { kind: "window", lo: 0, hi: 1022 }, shape: [4, 4, 4] },
  });
  const c = await d.load(d.refs[0]);
  assert.deepEqual([...c.image.shape], [4, 4, 4]);
  assert.deepEqual([...c.labels!.shape], [4, 4, 4]);
  assert.ok(c.image.data.every((v) => v >= 0 && v <= 1));
  assert.equal(c.labels!.data.indexOf(5), -1, "the target voxel is gone after resampling");
  assert.equal(c.presence, 1, "presence was derived before preprocessing");
  await Deno.remove(dir, { recursive: true });
});

class CountingCache extends CaseCache {
  hits = 0;
  misses = 0;
  override async get(key: string): Promise<Case | undefined> {
    const c = await super.get(key);
    if (c) this.hits++;
    else this.misses++;
    return c;
  }
}

Deno.test("cache: the second load is a hit; new params or new bytes miss; CSV presence still applies", async () => {
  const dir = await scratchDir("dscache");
  await makeFolder(dir);
  const cache = new CountingCache(join(dir, "cache"));
  const preprocess = { shape: [4, 4, 4] as Vec3 };
  const d = await openFolderDataset(dir, { cache, preprocess });
  const first = await toArray(d);
  assert.deepEqual([cache.hits, cache.misses], [0, 5]);
  const second = await toArray(d);
  assert.deepEqual([cache.hits, cache.misses], [5, 5]);
  for (const [i, c] of second.entries()) {
    assert.deepEqual(c.image.data, first[i].image.data);
    assert.equal(c.presence, first[i].presence);
    assert.deepEqual(c.labels?.data, first[i].labels?.data);
  }
  // The CSV changes: b becomes 1, without re-decoding (presence is applied after the cache).
  await Deno.writeTextFile(join(dir, "labels.csv"), "case,presence\nb,1\n");
  const d2 = await openFolderDataset(dir, { cache, preprocess });
  assert.equal((await d2.load(d2.refs[1])).presence, 1);
  assert.equal(cache.hits, 6);
  // Other preprocessing parameters: a miss.
  const d3 = await openFolderDataset(dir, { cache, preprocess: { shape: [2, 2, 2] } });
  assert.deepEqual([...(await d3.load(d3.refs[0])).image.shape], [2, 2, 2]);
  assert.equal(cache.misses, 6);
  // Changed bytes of the image: a miss, and the new content is read.
  await writeNifti(join(dir, "a.nii.gz"), image(77));
  const a = await d.load(d.refs[0]);
  assert.equal(cache.misses, 7);
  // Output voxel 0 averages source voxels z,y,x in {0,1}: base + (0.5 * 64 + 0.5 * 8 + 0.5) = base + 36.5.
  assert.equal(first[0].image.data[0], 1 + 36.5);
  assert.equal(a.image.data[0], 77 + 36.5);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("phantomDataset: same cases as generatePhantomDataset, generated lazily, stratified splits", async () => {
  const options = { count: 5, seed: 3, negativeShare: 0.4, shape: [12, 24, 24] as Vec3 };
  const d = phantomDataset(options);
  const eager = generatePhantomDataset(options);
  assert.deepEqual(ids(d), eager.map((c) => c.id).sort((a, b) => Number(a.slice(8)) - Number(b.slice(8))));
  const byId = new Map(eager.map((c) => [c.id, c]));
  for (const c of await toArray(d)) {
    const e = byId.get(c.id)!;
    assert.equal(c.presence, e.presence);
    assert.deepEqual(c.image.data, e.image.data);
    assert.deepEqual(c.labels!.data, e.labels!.data);
  }
  assert.deepEqual(d.target, [2]);
  assert.deepEqual(d.refs.map((r: CaseRef) => r.presence).filter((p) => p === 0).length, 2);
  // 20 phantoms, 6 negatives: refs know presence, so every split keeps about 30% negatives.
  const big = phantomDataset({ count: 20, seed: 9, negativeShare: 0.3 });
  assertSplitsPartition(big);
  const negatives = SPLITS.map((s) => big.split(s).refs.filter((r) => r.presence === 0).length);
  assert.deepEqual(negatives, [4, 1, 1]); // 4.2 / 0.9 / 0.9
  assert.throws(() => phantomDataset({ count: 0, seed: 1 }), InvalidArgumentError);
  assert.throws(() => phantomDataset({ count: 2, seed: NaN }), InvalidArgumentError);
  assert.throws(() => phantomDataset({ count: 2, seed: 1, tumours: 0 }), InvalidArgumentError);
  await assert.rejects(d.load({ id: "x", imagePath: "phantom:12345" }), InvalidArgumentError);
  assert.throws(
    () => phantomDataset({ count: 3, seed: 1, fractions: { train: 1, val: 1, test: 0 } }),
    InvalidArgumentError,
  );
});

Deno.test({
  name: "real data: BraTS 2018 as a folder dataset (flair images, seg labels, target 1,2,4)",
  ignore: !HAS_REAL_DATA,
  fn: async () => {
    const d = await openFolderDataset(join(REAL_DATA, "brats2018"), {
      imageSuffix: "_flair",
      labelSuffix: "_seg",
      target: [1, 2, 4],
    });
    assert.equal(d.refs.length, 6);
    assert.ok(
      d.refs.every((r) => r.imagePath.endsWith("_flair.nii.gz") && r.labelsPath?.endsWith("_seg.nii.gz")),
    );
    const ref = d.refs.find((r) => r.id === "Brats18_2013_11_1")!;
    const c = await d.load(ref);
    assert.deepEqual([...c.image.shape], [155, 240, 240]);
    const counts = new Map<number, number>();
    for (const v of c.labels!.data) counts.set(v, (counts.get(v) ?? 0) + 1);
    assert.deepEqual([...counts].sort((a, b) => a[0] - b[0]), [[0, 8788743], [1, 45839], [2, 73741], [
      4,
      19677,
    ]]);
    assert.equal(c.presence, 1);
    assert.equal(targetMask(c.labels!, d.target).reduce((a, b) => a + b, 0), 45839 + 73741 + 19677);
  },
});
