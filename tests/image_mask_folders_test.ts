/**
 * The 2D image/mask folder layout (data/image_mask_folders.ts): `images/<name>.jpg` with
 * `masks/<name>.jpg`. Fixtures are JPEGs encoded here by jpeg-js from pixels written here; the
 * expected images, labels and presence are those pixels, by hand (images within the JPEG error).
 * The real liver-tumour folder is checked against counts made with `ls` and Pillow (327 slices, 61
 * patients, no empty mask at >= 128).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openDataset } from "../data/dataset.ts";
import { detectLayout } from "../data/dataset_layouts.ts";
import { DatasetError } from "../data/errors.ts";
import { sliceGroup } from "../data/image_mask_folders.ts";
import { folderPixelSlices } from "../env/pixel/pixel_volume_slices.ts";
import { dataNotes } from "../eval/run_config.ts";
import { HAS_REAL_DATA, REAL_DATA, scratchDir } from "./_helpers.ts";
import { encodeGreyJpeg } from "./_jpeg.ts";

const W = 24, H = 16;

const encodeGrey = (grey: (x: number, y: number) => number): Uint8Array => encodeGreyJpeg(W, H, grey);

/** Image of slice k: a flat grey 40 + 10k (flat images survive JPEG almost exactly). */
const imageValue = (k: number): number => 40 + 10 * k;
/** Mask of slice k: a 8x8 square at x = 8..15, y = 4..11 when k is odd, else empty. */
const inMask = (k: number, x: number, y: number): boolean =>
  k % 2 === 1 && x >= 8 && x < 16 && y >= 4 && y < 12;

/** Writes slices `names[k]` (image k, mask k) into `<dir>/images` and `<dir>/masks`. */
async function writeFolder(dir: string, names: readonly string[]): Promise<void> {
  await Deno.mkdir(join(dir, "images"), { recursive: true });
  await Deno.mkdir(join(dir, "masks"), { recursive: true });
  for (const [k, name] of names.entries()) {
    await Deno.writeFile(join(dir, "images", name), encodeGrey(() => imageValue(k)));
    await Deno.writeFile(join(dir, "masks", name), encodeGrey((x, y) => (inMask(k, x, y) ? 255 : 0)));
  }
}

Deno.test("image-mask folders: detected, paired by name, image 0..255 [1,H,W], labels 1 on the mask, presence from it", async () => {
  const dir = await scratchDir("imask");
  const names = ["flipped_1001_5.jpg", "mirrored_1001_6.jpg", "flipped_2002_7.jpg"];
  await writeFolder(dir, names);
  assert.deepEqual(await detectLayout(dir), { layout: "image-mask", dir });
  const ds = await openDataset(dir);
  assert.deepEqual(ds.target, [1]);
  assert.deepEqual(ds.refs.map((r) => [r.id, r.group]), [
    ["flipped_1001_5", "1001"],
    ["flipped_2002_7", "2002"],
    ["mirrored_1001_6", "1001"],
  ]);
  for (const [k, name] of names.entries()) {
    const id = name.replace(".jpg", "");
    const c = await ds.load(ds.refs.find((r) => r.id === id)!);
    assert.equal(c.id, id);
    assert.deepEqual(c.image.shape, [1, H, W]);
    assert.deepEqual(c.labels!.shape, [1, H, W]);
    for (let i = 0; i < W * H; i++) {
      assert.ok(Math.abs(c.image.data[i] - imageValue(k)) <= 1, `${id} pixel ${i}: ${c.image.data[i]}`);
      assert.equal(c.labels!.data[i], inMask(k, i % W, Math.floor(i / W)) ? 1 : 0, `${id} label ${i}`);
    }
    assert.equal(c.presence, k % 2 === 1 ? 1 : 0);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("image-mask folders: an image without a mask, a mask without an image, and channels are DatasetErrors naming them", async () => {
  const dir = await scratchDir("imask");
  await writeFolder(dir, ["a_1001_1.jpg", "a_1002_1.jpg"]);
  await Deno.remove(join(dir, "masks", "a_1002_1.jpg"));
  await assert.rejects(() => openDataset(dir), (e: unknown) => {
    return e instanceof DatasetError && e.source === join(dir, "images", "a_1002_1.jpg");
  });
  await Deno.writeFile(join(dir, "masks", "a_1002_1.jpg"), encodeGrey(() => 0));
  await Deno.writeFile(join(dir, "masks", "orphan.jpg"), encodeGrey(() => 0));
  await assert.rejects(() => openDataset(dir), (e: unknown) => {
    return e instanceof DatasetError && e.source === join(dir, "masks", "orphan.jpg");
  });
  await Deno.remove(join(dir, "masks", "orphan.jpg"));
  await assert.rejects(() => openDataset(dir, { channels: ["flair"] }), (e: unknown) => {
    return e instanceof DatasetError && e.source === "channels";
  });
  assert.equal((await openDataset(dir)).refs.length, 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("image-mask folders: slices of one patient never fall in two splits (groups), every slice in one split", async () => {
  const dir = await scratchDir("imask");
  const names: string[] = [];
  for (let p = 0; p < 10; p++) for (const s of [3, 4, 5]) names.push(`flipped_${3000 + p}_${s}.jpg`);
  await writeFolder(dir, names);
  for (const seed of [0, 1, 2]) {
    const ds = await openDataset(dir, { seed });
    const splitOf = new Map<string, string>();
    for (const split of ["train", "val", "test"] as const) {
      for (const r of ds.split(split).refs) {
        assert.ok(!splitOf.has(r.id), `${r.id} in two splits`);
        splitOf.set(r.id, split);
      }
    }
    assert.equal(splitOf.size, 30);
    for (let p = 0; p < 10; p++) {
      const splits = new Set([3, 4, 5].map((s) => splitOf.get(`flipped_${3000 + p}_${s}`)));
      assert.equal(splits.size, 1, `patient ${3000 + p} (seed ${seed}) in ${[...splits].join(", ")}`);
    }
    assert.ok(ds.split("test").refs.length > 0 && ds.split("train").refs.length > 0);
  }
  await assert.rejects(() => openDataset(dir, { folds: { k: 11, fold: 1 } }), /11 for 10 case groups/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sliceGroup: the first run of 4+ digits, else the stem; dataNotes names the MSD CC BY-SA 4.0 source", () => {
  assert.equal(sliceGroup("flipped_10001_103"), "10001");
  assert.equal(sliceGroup("mirrored_10123_92"), "10123");
  assert.equal(sliceGroup("slice_12_7"), "slice_12_7");
  const notes = dataNotes("../shared/data/real/liver_tumour_2d").join(" ");
  assert.match(notes, /Medical Segmentation Decathlon/);
  assert.match(notes, /CC BY-SA 4\.0/);
  assert.match(notes, /sarah-antillia/);
});

Deno.test({
  name:
    "image-mask folders on the real liver slices: 327 slices of 61 patients, all with tumour, groups kept whole",
  ignore: !HAS_REAL_DATA,
  async fn() {
    const dir = join(REAL_DATA, "liver_tumour_2d");
    assert.equal((await detectLayout(dir)).layout, "image-mask");
    const ds = await openDataset(dir);
    assert.equal(ds.refs.length, 327);
    assert.equal(new Set(ds.refs.map((r) => r.group)).size, 61);
    let withTumour = 0;
    for await (const c of ds.cases()) {
      assert.deepEqual(c.image.shape, [1, 256, 256]);
      withTumour += c.presence === 1 ? 1 : 0;
    }
    assert.equal(withTumour, 327);
    const groupsBySplit = (["train", "val", "test"] as const).map((s) =>
      new Set(ds.split(s).refs.map((r) => r.group))
    );
    const all = groupsBySplit.reduce((n, g) => n + g.size, 0);
    assert.equal(all, 61, "every patient in exactly one split");
  },
});

Deno.test("folderPixelSlices on an image-mask folder: the slices with tumour, truth = the mask, split by patient; a channel is refused", async () => {
  const dir = await scratchDir("imask");
  const names: string[] = [];
  for (let p = 0; p < 8; p++) for (const s of [1, 2]) names.push(`m_${5000 + p}_${s}.jpg`);
  await writeFolder(dir, names); // slice k has the square when k is odd: the second slice of each patient
  const slices = await folderPixelSlices(dir, { target: [1], size: 8, seed: 0 });
  const all = [...slices.train, ...slices.val, ...slices.test];
  assert.deepEqual(
    all.map((s) => s.id).sort(),
    names.filter((_, k) => k % 2 === 1).map((n) => `${n.slice(0, -4)}/z0`).sort(),
  );
  // 24x16 to 8x8, nearest at pixel centres: column x reads source floor(3x + 1.5) (1, 4, 7, 10, 13, 16, ..),
  // row y reads 2y + 1: the square x 8..15, y 4..11 is columns 3..4 (10, 13) and rows 2..5 (5, 7, 9, 11).
  const want = Array.from(
    { length: 64 },
    (_, i) => (i % 8 >= 3 && i % 8 <= 4 && Math.floor(i / 8) >= 2 && Math.floor(i / 8) <= 5 ? 1 : 0),
  );
  for (const s of all) assert.deepEqual([...s.truth], want, s.id);
  await assert.rejects(() => folderPixelSlices(dir, { target: [1], channel: "flair" }), DatasetError);
  await Deno.remove(dir, { recursive: true });
});
