/** Loading datasets: grids checked, preprocessing, the case cache, phantom datasets, real BraTS files. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CaseCache } from "../data/case_cache.ts";
import { type CaseRef, openFolderDataset, phantomDataset } from "../data/dataset.ts";
import { InvalidArgumentError, ShapeMismatchError } from "../data/errors.ts";
import { writeNifti } from "../data/nifti_write.ts";
import { generatePhantomDataset } from "../data/phantom.ts";
import { targetMask } from "../data/tile.ts";
import type { Case, Vec3 } from "../data/types.ts";
import {
  assertSplitsPartition,
  ids,
  image,
  labels,
  makeFolder,
  SHAPE,
  SPLITS,
  toArray,
} from "./_datasets.ts";
import { HAS_REAL_DATA, REAL_DATA, scratchDir } from "./_helpers.ts";

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
