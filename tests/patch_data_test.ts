/**
 * `train:patch --data`: 2D slices resampled by hand-computed values, a generated JPEG image/mask
 * folder split by patient and mirrored, and the data flags' validation (errors naming the flag).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { InvalidArgumentError } from "../data/errors.ts";
import { type Case, diagonalAffine, type Vec3 } from "../data/types.ts";
import { parsePatchArgs } from "../train/patch_cli.ts";
import { folderPatchData, resampleSlice } from "../env/patch/patch_data.ts";
import { scratchDir } from "./_helpers.ts";
import { encodeGreyJpeg } from "./_jpeg.ts";

function slice(shape: Vec3, image: number[], labels: number[]): Case {
  const affine = diagonalAffine([1, 2, 3]);
  return {
    id: "s",
    image: { id: "s", shape, spacing: [1, 2, 3], affine, data: Float32Array.from(image) },
    labels: { id: "s", shape, spacing: [1, 2, 3], affine, data: Uint8Array.from(labels) },
    presence: 1,
  };
}

Deno.test("resampleSlice: 4x4 -> 2x2 image = 2x2 block means, 3x6 -> 1x2 labels = the centre pixels, spacing scaled", () => {
  // image 4x4 = 0..15 row-major; half-pixel centres of a factor-2 shrink fall between pixel pairs
  const c = slice([1, 4, 4], Array.from({ length: 16 }, (_, i) => i), new Array(16).fill(0));
  const r = resampleSlice(c, [1, 2, 2]);
  assert.deepEqual([...r.image.data], [2.5, 4.5, 10.5, 12.5]);
  assert.deepEqual(r.image.spacing, [1, 4, 6]);
  assert.deepEqual(r.labels!.shape, [1, 2, 2]);
  // labels 3x6: output centres at source (y 1, x 1) and (y 1, x 4)
  const labels = new Array(18).fill(0);
  labels[1 * 6 + 1] = 1;
  labels[1 * 6 + 4] = 2;
  const l = resampleSlice(slice([1, 3, 6], new Array(18).fill(0), labels), [1, 1, 2]);
  assert.deepEqual([...l.labels!.data], [1, 2]);
  assert.throws(
    () => resampleSlice(slice([2, 2, 2], new Array(8).fill(0), new Array(8).fill(0)), [1, 2, 2]),
    /2D slices/,
  );
  assert.throws(() => resampleSlice({ ...c, labels: undefined }, [1, 2, 2]), InvalidArgumentError);
});

Deno.test("folderPatchData: a JPEG image/mask folder split by patient, resampled, target 1, mirrored", async () => {
  const dir = await scratchDir("patchdata");
  await Deno.mkdir(join(dir, "images"), { recursive: true });
  await Deno.mkdir(join(dir, "masks"), { recursive: true });
  // 10 patients x 2 slices of 16x24; tumour = the 8x8 square x 8..15, y 4..11 (flat grey 200 on 40)
  for (let p = 0; p < 10; p++) {
    for (const s of [1, 2]) {
      const name = `slice_${4000 + p}_${s}.jpg`;
      const inside = (x: number, y: number) => x >= 8 && x < 16 && y >= 4 && y < 12;
      await Deno.writeFile(
        join(dir, "images", name),
        encodeGreyJpeg(24, 16, (x, y) => inside(x, y) ? 200 : 40),
      );
      await Deno.writeFile(
        join(dir, "masks", name),
        encodeGreyJpeg(24, 16, (x, y) => inside(x, y) ? 255 : 0),
      );
    }
  }
  const plain = await folderPatchData(dir, { shape: [1, 8, 12], mirror: false, seed: 0 });
  assert.deepEqual(plain.target, [1]);
  const patient = (c: Case) => c.id.split("_")[1];
  const groups = [plain.train, plain.validation, plain.test].map((s) => new Set(s.map(patient)));
  assert.equal(groups.reduce((n, g) => n + g.size, 0), 10, "each patient in exactly one split");
  assert.equal(plain.all.length, 20);
  for (const c of plain.all) {
    assert.deepEqual(c.image.shape, [1, 8, 12]);
    // factor 2: the square x 8..15, y 4..11 becomes x 4..7, y 2..5; 16 label-1 pixels
    const ones = [...c.labels!.data.entries()].filter(([, v]) => v === 1).map((
      [i],
    ) => [Math.floor(i / 12), i % 12]);
    assert.equal(ones.length, 16);
    assert.ok(ones.every(([y, x]) => y >= 2 && y < 6 && x >= 4 && x < 8));
    assert.ok(Math.abs(c.image.data[3 * 12 + 5] - 200) < 3 && Math.abs(c.image.data[0] - 40) < 3);
  }
  const mirrored = await folderPatchData(dir, { shape: [1, 8, 12], mirror: true, seed: 0 });
  assert.equal(mirrored.train.length, 4 * plain.train.length);
  assert.equal(mirrored.test.length, 4 * plain.test.length);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train:patch --data, --shape, --intensity-range: defaults, values, errors naming the flag", () => {
  const d = parsePatchArgs([]);
  assert.ok(d !== "help");
  assert.deepEqual([d.config.data, d.config.shape, d.config.intensityRange], [null, [1, 64, 64], [
    -100,
    200,
  ]]);
  const a = parsePatchArgs(["--data", "some/folder", "--shape", "1x128x128"]);
  assert.ok(a !== "help");
  assert.deepEqual([a.config.data, a.config.shape, a.config.intensityRange], ["some/folder", [1, 128, 128], [
    0,
    255,
  ]]);
  const b = parsePatchArgs(["--data", "x", "--intensity-range", "-5,10.5"]);
  assert.ok(b !== "help");
  assert.deepEqual(b.config.intensityRange, [-5, 10.5]);
  const bad: [string[], RegExp][] = [
    [["--data"], /--data/],
    [["--data", "x", "--cases", "10"], /--cases/],
    [["--intensity-range", "10,5"], /--intensity-range/],
    [["--intensity-range", "0,"], /--intensity-range/],
    [["--shape", "64x64"], /--shape/],
    [["--shape", "1x4x4"], /--grid/],
  ];
  for (const [argv, re] of bad) assert.throws(() => parsePatchArgs(argv), re, argv.join(" "));
});
