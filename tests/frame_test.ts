import assert from "node:assert/strict";
import { AGENT_COLORS, renderSlice, sideBySide } from "../env/frame.ts";
import type { RgbaFrame } from "../env/png.ts";
import { InvalidArgumentError, NonFiniteVoxelError, ShapeMismatchError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";

function pixel(f: RgbaFrame, x: number, y: number): number[] {
  const d = 4 * (y * f.width + x);
  return Array.from(f.data.subarray(d, d + 4));
}

const RED = [255, 0, 0] as const;
const GREEN = [0, 255, 0, 255];
const CYAN = [0, 255, 255, 255];
const BLACK = [0, 0, 0, 255];

Deno.test("renderSlice: grey level = round(255 * (v - lo) / (hi - lo)), saturating, on slice z", () => {
  // shape z,y,x = 2,2,3; slice z = 1 holds the values below (x fastest).
  const slice1 = [2.5, -3, 12, 10, 0, 7];
  const image = Float32Array.from([99, 99, 99, 99, 99, 99, ...slice1]);
  const f = renderSlice({ image, shape: [2, 2, 3], z: 1, intensityRange: [0, 10] });
  assert.equal(f.width, 3);
  assert.equal(f.height, 2);
  assert.deepEqual(pixel(f, 0, 0), [64, 64, 64, 255]); // 63.75
  assert.deepEqual(pixel(f, 1, 0), BLACK); // below lo
  assert.deepEqual(pixel(f, 2, 0), [255, 255, 255, 255]); // above hi
  assert.deepEqual(pixel(f, 0, 1), [255, 255, 255, 255]);
  assert.deepEqual(pixel(f, 1, 1), BLACK);
  assert.deepEqual(pixel(f, 2, 1), [179, 179, 179, 255]); // 178.5 rounds up
});

Deno.test("renderSlice: default range is the slice's 1st..99th percentile (nearest rank); input untouched", () => {
  // 100 values 0..99 shuffled: ranks round(0.99) = 1 and round(98.01) = 98 give lo = 1, hi = 98.
  const values = new Rng(3).shuffle(Array.from({ length: 100 }, (_, i) => i));
  const other = Array.from({ length: 100 }, () => 1e6); // slice z=0 must not influence slice z=1
  const image = Float32Array.from([...other, ...values]);
  const before = image.slice();
  const f = renderSlice({ image, shape: [2, 10, 10], z: 1 });
  const greyOf = (v: number) => pixel(f, values.indexOf(v) % 10, Math.floor(values.indexOf(v) / 10))[0];
  assert.equal(greyOf(0), 0);
  assert.equal(greyOf(1), 0);
  assert.equal(greyOf(50), 129); // 49 * 255 / 97 = 128.8
  assert.equal(greyOf(98), 255);
  assert.equal(greyOf(99), 255);
  assert.deepEqual(image, before);
  // A constant slice renders black rather than dividing by zero.
  const flat = renderSlice({ image: new Float32Array(4).fill(7), shape: [1, 2, 2], z: 0 });
  assert.deepEqual(pixel(flat, 1, 1), BLACK);
});

Deno.test("renderSlice: default range equals the sorted-slice percentiles on random slices with ties", () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 20; trial++) {
    const ny = 1 + rng.int(40), nx = 1 + rng.int(40), levels = 1 + rng.int(50);
    const image = Float32Array.from({ length: ny * nx }, () => rng.int(levels) - 0.5 * levels);
    const sorted = Array.from(image).sort((a, b) => a - b);
    const n = sorted.length;
    const lo = sorted[Math.round(0.01 * (n - 1))], hi = sorted[Math.round(0.99 * (n - 1))];
    const shape = [1, ny, nx] as const;
    const auto = renderSlice({ image, shape, z: 0 });
    if (hi > lo) assert.deepEqual(auto, renderSlice({ image, shape, z: 0, intensityRange: [lo, hi] }));
    else assert.ok(auto.data.every((v, i) => v === (i % 4 === 3 ? 255 : 0)));
  }
});

Deno.test("renderSlice: scale upsamples by nearest neighbour; size = shape * scale", () => {
  const image = Float32Array.from([0, 1, 2, 3, 4, 5]);
  const f = renderSlice({ image, shape: [1, 2, 3], z: 0, intensityRange: [0, 5], scale: 4 });
  assert.equal(f.width, 12);
  assert.equal(f.height, 8);
  assert.equal(f.data.length, 12 * 8 * 4);
  for (let y = 4; y < 8; y++) {
    for (let x = 8; x < 12; x++) assert.deepEqual(pixel(f, x, y), [255, 255, 255, 255]);
  }
  assert.deepEqual(pixel(f, 7, 3), [51, 51, 51, 255]); // voxel (0,0,1) = 1 -> 51
  assert.deepEqual(pixel(f, 4, 4), [204, 204, 204, 255]); // voxel (0,1,1) = 4 -> 204
});

Deno.test("renderSlice: window outline drawn 1 px in its colour only on slices it covers", () => {
  const shape = [4, 6, 7] as const;
  const image = new Float32Array(4 * 6 * 7);
  const windows = [{ corner: [1, 1, 2] as const, size: [2, 3, 4] as const, color: RED }];
  const f = renderSlice({ image, shape, z: 2, intensityRange: [0, 1], windows });
  const red = [...RED, 255];
  assert.deepEqual(pixel(f, 2, 1), red); // corner
  assert.deepEqual(pixel(f, 5, 3), red); // opposite corner: x = 2 + 4 - 1, y = 1 + 3 - 1
  assert.deepEqual(pixel(f, 4, 1), red); // top edge
  assert.deepEqual(pixel(f, 3, 2), BLACK); // interior
  assert.deepEqual(pixel(f, 6, 1), BLACK); // outside
  assert.deepEqual(pixel(f, 2, 0), BLACK);
  for (const z of [0, 3]) {
    assert.deepEqual(pixel(renderSlice({ image, shape, z, intensityRange: [0, 1], windows }), 2, 1), BLACK);
  }
  const big = renderSlice({ image, shape, z: 1, intensityRange: [0, 1], windows, scale: 2 });
  assert.deepEqual(pixel(big, 4, 2), red);
  assert.deepEqual(pixel(big, 11, 7), red); // (2 + 4) * 2 - 1, (1 + 3) * 2 - 1
  assert.deepEqual(pixel(big, 5, 3), BLACK); // 1 px thick even when scaled
  // A window hanging over the frame edge is clipped, not an error.
  const clipped = renderSlice({
    image,
    shape,
    z: 0,
    intensityRange: [0, 1],
    windows: [{ corner: [0, 4, 5], size: [1, 4, 4], color: AGENT_COLORS.b }],
  });
  assert.deepEqual(pixel(clipped, 5, 4), [...AGENT_COLORS.b, 255]);
  assert.deepEqual(pixel(clipped, 6, 5), BLACK);
});

Deno.test("renderSlice: contour boundary green, mask boundary cyan, interiors unchanged", () => {
  const shape = [1, 5, 5] as const;
  const image = new Float32Array(25).fill(5);
  const block = new Uint8Array(25);
  for (let y = 1; y <= 3; y++) for (let x = 1; x <= 3; x++) block[y * 5 + x] = 2; // any nonzero is inside
  const grey = [128, 128, 128, 255]; // round(127.5)
  const c = renderSlice({ image, shape, z: 0, intensityRange: [0, 10], contour: block });
  assert.deepEqual(pixel(c, 1, 1), GREEN);
  assert.deepEqual(pixel(c, 3, 2), GREEN);
  assert.deepEqual(pixel(c, 2, 2), grey); // all 4 neighbours inside
  assert.deepEqual(pixel(c, 0, 0), grey);
  const m = renderSlice({ image, shape, z: 0, intensityRange: [0, 10], mask: block });
  assert.deepEqual(pixel(m, 2, 3), CYAN);
  assert.deepEqual(pixel(m, 2, 2), grey);
  // A mask touching the slice edge is closed by the edge; contour is drawn over mask.
  const corner = new Uint8Array(25);
  corner[0] =
    corner[1] =
    corner[5] =
    corner[6] =
      1;
  const both = renderSlice({ image, shape, z: 0, intensityRange: [0, 10], contour: corner, mask: block });
  assert.deepEqual(pixel(both, 0, 0), GREEN);
  assert.deepEqual(pixel(both, 1, 1), GREEN);
  assert.deepEqual(pixel(both, 2, 1), CYAN);
});

Deno.test("renderSlice: overlay transparent at 0, alpha 0.7 * value / max on the red-yellow ramp", () => {
  const image = new Float32Array(3).fill(5); // grey 128
  const overlay = Float32Array.from([0, 1, 2]);
  const f = renderSlice({ image, shape: [1, 1, 3], z: 0, intensityRange: [0, 10], overlay });
  assert.deepEqual(pixel(f, 0, 0), [128, 128, 128, 255]);
  // t = 0.5: colour (255, 0, 0), alpha 0.35 -> 128 * 0.65 + 255 * 0.35 = 172.45, 128 * 0.65 = 83.2
  assert.deepEqual(pixel(f, 1, 0), [172, 83, 83, 255]);
  // t = 1: colour (255, 255, 0), alpha 0.7 -> 128 * 0.3 + 255 * 0.7 = 216.9, 128 * 0.3 = 38.4
  assert.deepEqual(pixel(f, 2, 0), [217, 217, 38, 255]);
  const saturated = renderSlice({
    image,
    shape: [1, 1, 3],
    z: 0,
    intensityRange: [0, 10],
    overlay,
    overlayMax: 1,
  });
  assert.deepEqual(pixel(saturated, 1, 0), [217, 217, 38, 255]);
  const off = renderSlice({ image, shape: [1, 1, 3], z: 0, intensityRange: [0, 10], overlay, overlayMax: 0 });
  assert.deepEqual(pixel(off, 2, 0), [128, 128, 128, 255]);
  const empty = renderSlice({
    image,
    shape: [1, 1, 3],
    z: 0,
    intensityRange: [0, 10],
    overlay: new Float32Array(3),
  });
  assert.deepEqual(pixel(empty, 1, 0), [128, 128, 128, 255]);
});

Deno.test("renderSlice: typed errors for z, lengths, scale, range, non-finite values, bad windows", () => {
  const image = new Float32Array(8);
  const shape = [2, 2, 2] as const;
  for (const z of [-1, 2, 0.5]) assert.throws(() => renderSlice({ image, shape, z }), InvalidArgumentError);
  assert.throws(() => renderSlice({ image: new Float32Array(7), shape, z: 0 }), ShapeMismatchError);
  assert.throws(() => renderSlice({ image, shape, z: 0, overlay: new Float32Array(9) }), ShapeMismatchError);
  assert.throws(() => renderSlice({ image, shape, z: 0, contour: new Uint8Array(4) }), ShapeMismatchError);
  assert.throws(() => renderSlice({ image, shape, z: 0, mask: new Uint8Array(16) }), ShapeMismatchError);
  for (const scale of [0, 1.5]) {
    assert.throws(() => renderSlice({ image, shape, z: 0, scale }), InvalidArgumentError);
  }
  assert.throws(() => renderSlice({ image, shape, z: 0, intensityRange: [1, 1] }), InvalidArgumentError);
  assert.throws(() => renderSlice({ image, shape: [2, 2, 0], z: 0 }), InvalidArgumentError);
  const nan = image.slice();
  nan[5] = NaN; // voxel (1,0,1)
  assert.throws(() => renderSlice({ image: nan, shape, z: 1 }), NonFiniteVoxelError);
  assert.doesNotThrow(() => renderSlice({ image: nan, shape, z: 0 })); // only the drawn slice matters
  const negative = Float32Array.from([0, 0, 0, -1, 0, 0, 0, 0]);
  assert.throws(() => renderSlice({ image, shape, z: 0, overlay: negative }), InvalidArgumentError);
  const bad = { corner: [0, 0, 0] as const, size: [1, 1, 1] as const, color: [256, 0, 0] as const };
  assert.throws(() => renderSlice({ image, shape, z: 0, windows: [bad] }), InvalidArgumentError);
});

Deno.test("sideBySide: widths add up with gaps, shorter frames padded with opaque black", () => {
  const red: RgbaFrame = {
    width: 2,
    height: 1,
    data: new Uint8ClampedArray([255, 0, 0, 255, 255, 0, 0, 255]),
  };
  const green: RgbaFrame = {
    width: 1,
    height: 3,
    data: new Uint8ClampedArray([0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255]),
  };
  const f = sideBySide([red, green], 1);
  assert.equal(f.width, 4);
  assert.equal(f.height, 3);
  assert.deepEqual(pixel(f, 1, 0), [255, 0, 0, 255]);
  assert.deepEqual(pixel(f, 0, 1), BLACK); // padding under the short frame
  assert.deepEqual(pixel(f, 2, 0), BLACK); // the gap
  assert.deepEqual(pixel(f, 3, 2), GREEN);
  assert.equal(sideBySide([red, green]).width, 2 + 4 + 1);
  assert.throws(() => sideBySide([]), InvalidArgumentError);
  assert.throws(() => sideBySide([red], -1), InvalidArgumentError);
  assert.notDeepEqual(AGENT_COLORS.a, AGENT_COLORS.b);
});
