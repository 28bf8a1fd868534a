/**
 * The JPEG reader (data/jpeg.ts). Fixtures are encoded in the test by jpeg-js's encoder from pixels
 * written here, so the expected grey values are those pixels (JPEG is lossy: compared within a
 * stated error) or their BT.601 luma computed by hand. The real liver-tumour slices are checked
 * against figures computed with Pillow (.tmp/pyenv, `Image.open(..).convert("RGB") @ [0.299, 0.587,
 * 0.114]`), within the difference between two decoders.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import jpeg from "jpeg-js";
import { decodeJpeg, readJpeg, readJpegMask } from "../data/jpeg.ts";
import { JpegError } from "../data/errors.ts";
import { HAS_REAL_DATA, REAL_DATA, scratchDir } from "./_helpers.ts";

/** An RGB image's JPEG bytes, from `rgb(x, y)` per pixel, at `quality`. */
function encodeRgb(
  width: number,
  height: number,
  rgb: (x: number, y: number) => [number, number, number],
  quality = 100,
): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = rgb(x, y), i = (y * width + x) * 4;
      data.set([r, g, b, 255], i);
    }
  }
  return new Uint8Array(jpeg.encode({ width, height, data }, quality).data);
}

/** A smooth grey ramp: value 2x + y (0..94 on 32x32), easy for JPEG to keep within a few levels. */
const ramp = (x: number, y: number): number => 2 * x + y;

Deno.test("decodeJpeg: a grey ramp reads back as [1, H, W] within 2 grey levels of the pixels written", () => {
  const w = 32, h = 24;
  const bytes = encodeRgb(w, h, (x, y) => [ramp(x, y), ramp(x, y), ramp(x, y)]);
  const v = decodeJpeg(bytes, "ramp.jpg");
  assert.deepEqual(v.shape, [1, h, w]);
  assert.deepEqual(v.spacing, [1, 1, 1]);
  assert.equal(v.id, "ramp");
  assert.equal(v.data.length, w * h);
  let worst = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) worst = Math.max(worst, Math.abs(v.data[y * w + x] - ramp(x, y)));
  }
  assert.ok(worst <= 2, `largest error ${worst} grey levels`);
  // x fastest: pixel (y=0, x=10) is 20, (y=10, x=0) is 10; a transposed read would swap them.
  assert.ok(Math.abs(v.data[10] - 20) <= 2 && Math.abs(v.data[10 * w] - 10) <= 2);
});

Deno.test("decodeJpeg: colour becomes grey by BT.601 luma (flat red, green, blue, white quadrants)", () => {
  const colours: [number, number, number][] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]];
  // Quadrants of 16x16 pixels, aligned with JPEG's 8x8 blocks and 16x16 MCUs.
  const quadrant = (x: number, y: number): number => (y < 16 ? 0 : 2) + (x < 16 ? 0 : 1);
  const v = decodeJpeg(encodeRgb(32, 32, (x, y) => colours[quadrant(x, y)]), "colour.jpg");
  const luma = [0.299 * 255, 0.587 * 255, 0.114 * 255, 255]; // 76.245, 149.685, 29.07, 255
  for (const [x, y] of [[4, 4], [27, 4], [4, 27], [27, 27]]) {
    const got = v.data[y * 32 + x], want = luma[quadrant(x, y)];
    assert.ok(Math.abs(got - want) <= 4, `pixel (${y}, ${x}): ${got}, expected ${want}`);
  }
});

Deno.test("readJpegMask: a lossy 0/255 mask thresholds at 128 to the drawn square; other thresholds are refused", async () => {
  const dir = await scratchDir("jpeg");
  const inside = (x: number, y: number): boolean => x >= 8 && x < 20 && y >= 4 && y < 12;
  const path = join(dir, "mask.jpg");
  // Quality 75: ringing around the edges, as in saved masks, but never across 128.
  await Deno.writeFile(path, encodeRgb(32, 16, (x, y) => (inside(x, y) ? [255, 255, 255] : [0, 0, 0]), 75));
  const m = await readJpegMask(path);
  assert.deepEqual(m.shape, [1, 16, 32]);
  let ones = 0;
  for (let y = 0; y < 16; y++) {
    for (let x = 0; x < 32; x++) {
      assert.equal(m.data[y * 32 + x], inside(x, y) ? 1 : 0, `pixel (${y}, ${x})`);
      ones += m.data[y * 32 + x];
    }
  }
  assert.equal(ones, 12 * 8);
  await assert.rejects(() => readJpegMask(path, { threshold: 0 }), JpegError);
  await assert.rejects(() => readJpegMask(path, { threshold: 300 }), JpegError);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("decodeJpeg / readJpeg: non-JPEG, truncated, empty and missing files are JpegErrors naming the file", async () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.throws(() => decodeJpeg(png, "a.png"), (e: unknown) => {
    return e instanceof JpegError && e.source === "a.png" && /FF D8/.test(e.message);
  });
  assert.throws(() => decodeJpeg(new Uint8Array(0), "empty.jpg"), JpegError);
  const whole = encodeRgb(32, 32, (x, y) => [ramp(x, y), 0, 0]);
  const truncated = whole.slice(0, Math.floor(whole.length / 2));
  assert.throws(() => decodeJpeg(truncated, "half.jpg"), (e: unknown) => {
    return e instanceof JpegError && e.source === "half.jpg" && /cannot be decoded/.test(e.message);
  });
  // Only the markers of a JPEG: start of image, then end of image, no frame.
  assert.throws(() => decodeJpeg(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), "bare.jpg"), JpegError);
  const dir = await scratchDir("jpeg");
  await assert.rejects(() => readJpeg(join(dir, "absent.jpg")), (e: unknown) => {
    return e instanceof JpegError && e.source === join(dir, "absent.jpg");
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "readJpeg / readJpegMask on the real liver-tumour slices: Pillow's mean and tumour pixel counts",
  ignore: !HAS_REAL_DATA,
  async fn() {
    const dir = join(REAL_DATA, "liver_tumour_2d");
    // Pillow: image mean 29.715 (grey 0..255, R = G = B everywhere); mask >= 128: 8185 pixels, with 32
    // pixels in 120..136 where two decoders may fall on different sides of 128.
    const image = await readJpeg(join(dir, "images", "flipped_10001_103.jpg"));
    assert.deepEqual(image.shape, [1, 256, 256]);
    const mean = image.data.reduce((s, v) => s + v, 0) / image.data.length;
    assert.ok(Math.abs(mean - 29.715) < 0.5, `mean ${mean}`);
    const mask = await readJpegMask(join(dir, "masks", "flipped_10001_103.jpg"));
    const ones = mask.data.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(ones - 8185) <= 32, `${ones} tumour pixels`);
    const small = await readJpegMask(join(dir, "masks", "mirrored_10123_92.jpg"));
    const smallOnes = small.data.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(smallOnes - 405) <= 8, `${smallOnes} tumour pixels`);
  },
});
