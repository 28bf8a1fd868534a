import assert from "node:assert/strict";
import { resampleBoxLinear, resampleBoxNearest } from "../data/resample.ts";
import { InvalidArgumentError } from "../data/errors.ts";

Deno.test("resampleBoxLinear: 1x1x2 -> 1x1x4 by half-pixel centres (hand-computed)", () => {
  // c = (o + 0.5) * 2 / 4 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> clamped 0, 0.25, 0.75, 1
  const out = resampleBoxLinear(Float32Array.from([0, 4]), [1, 1, 2], [0, 0, 0], [1, 1, 2], [1, 1, 4]);
  assert.deepEqual(Array.from(out), [0, 1, 3, 4]);
});

Deno.test("resampleBoxLinear: 2x2x2 -> 1x1x1 is the mean; identity box is a copy", () => {
  const src = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(Array.from(resampleBoxLinear(src, [2, 2, 2], [0, 0, 0], [2, 2, 2], [1, 1, 1])), [3.5]);
  const big = Float32Array.from({ length: 4 * 5 * 6 }, (_, i) => i);
  const box = resampleBoxLinear(big, [4, 5, 6], [1, 2, 3], [2, 2, 3], [2, 2, 3]);
  // voxel (1,2,3) = (1*5+2)*6+3 = 45
  assert.deepEqual(Array.from(box), [45, 46, 47, 51, 52, 53, 75, 76, 77, 81, 82, 83]);
});

Deno.test("resampleBoxNearest keeps the label set and rejects boxes outside the source", () => {
  const src = Uint8Array.from([0, 2, 0, 4, 1, 0, 0, 2]);
  const out = resampleBoxNearest(src, [2, 2, 2], [0, 0, 0], [2, 2, 2], [3, 5, 7], new Uint8Array(105));
  for (const v of out) assert.ok([0, 1, 2, 4].includes(v));
  assert.equal(out[0], 0);
  assert.equal(out[104], 2);
  assert.throws(
    () => resampleBoxNearest(src, [2, 2, 2], [1, 0, 0], [2, 2, 2], [1, 1, 1], new Uint8Array(1)),
    InvalidArgumentError,
  );
});
