import assert from "node:assert/strict";
import { resampleBoxLinear, resampleBoxNearest } from "../data/resample.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { PhaseGrids } from "../data/phase_grids.ts";
import { Rng } from "../data/random.ts";

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

Deno.test("PhaseGrids.box is bitwise equal to resampleBoxLinear for integer factors at every corner phase", () => {
  const shape = [9, 11, 13] as const;
  const rng = new Rng(3);
  const src = Float32Array.from({ length: 9 * 11 * 13 }, () => rng.normal() * 100);
  for (const factor of [[2, 2, 2], [3, 1, 4], [1, 1, 1], [2, 3, 1]] as const) {
    const grids = new PhaseGrids(src, shape, factor);
    const outShape = [
      Math.floor(8 / factor[0]),
      Math.floor(10 / factor[1]),
      Math.floor(12 / factor[2]),
    ] as const;
    const size = [outShape[0] * factor[0], outShape[1] * factor[1], outShape[2] * factor[2]] as const;
    for (let t = 0; t < 40; t++) {
      const corner = [
        rng.int(shape[0] - size[0] + 1),
        rng.int(shape[1] - size[1] + 1),
        rng.int(shape[2] - size[2] + 1),
      ] as const;
      const expected = resampleBoxLinear(src, shape, corner, size, outShape);
      const got = grids.box(corner, outShape, new Float32Array(expected.length));
      assert.deepEqual(got, expected, `factor ${factor} corner ${corner}`);
    }
  }
  assert.throws(
    () => new PhaseGrids(src, shape, [2, 2, 2]).box([8, 0, 0], [1, 1, 1], new Float32Array(1)),
    InvalidArgumentError,
  );
});
