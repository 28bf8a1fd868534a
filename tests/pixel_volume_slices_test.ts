import nodeAssert from "node:assert/strict";
import { openDataset } from "../data/dataset.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { diagonalAffine } from "../data/types.ts";
import type { Case } from "../data/types.ts";
import { caseTargetSlices, nonZeroPercentile } from "../env/pixel/pixel_volume_slices.ts";
import { HAS_REAL_DATA, REAL_DATA } from "./_helpers.ts";

Deno.test("nonZeroPercentile: nearest rank over the non-zero values, by hand", () => {
  const v = Float32Array.from([0, 0, 3, 1, 2, 4]);
  nodeAssert.equal(nonZeroPercentile(v, 50), 2); // sorted 1,2,3,4: rank ceil(2) = 2nd
  nodeAssert.equal(nonZeroPercentile(v, 100), 4);
  nodeAssert.equal(nonZeroPercentile(v, 1), 1);
  nodeAssert.equal(nonZeroPercentile(new Float32Array(3), 50), 0);
});

/** 3 slices of 4x4: z0 no target, z1 label 2 at (y1, x2), z2 label 1 at (y3, x0) and label 3 at (y0, x0). */
function tinyCase(): Case {
  const image = new Float32Array(48), labels = new Uint8Array(48);
  for (let i = 0; i < 48; i++) image[i] = i % 5; // non-zero values 1..4 (and zeros)
  labels[16 + 1 * 4 + 2] = 2;
  labels[32 + 3 * 4 + 0] = 1;
  labels[32 + 0] = 3;
  const affine = diagonalAffine([2, 1, 1], [0, 0, 0]);
  return {
    id: "c",
    image: { id: "c", shape: [3, 4, 4], spacing: [2, 1, 1], data: image, affine },
    labels: { id: "c", shape: [3, 4, 4], spacing: [2, 1, 1], data: labels, affine },
  } as Case;
}

Deno.test("caseTargetSlices: target slices only, 2x nearest labels, percentile scaling, every-th, by hand", () => {
  const slices = caseTargetSlices(tinyCase(), { target: [1, 2], size: 8, percentile: 50 });
  nodeAssert.deepEqual(slices.map((s) => s.id), ["c/z1", "c/z2"]); // label 3 is not the target
  nodeAssert.deepEqual(slices[0].spacing, [0.5, 0.5]);
  const on = (s: { truth: Uint8Array }) => [...s.truth.keys()].filter((i) => s.truth[i]);
  // (y1, x2) doubles to rows 2-3, columns 4-5 of the 8x8 slice.
  nodeAssert.deepEqual(on(slices[0]), [2 * 8 + 4, 2 * 8 + 5, 3 * 8 + 4, 3 * 8 + 5]);
  nodeAssert.deepEqual(on(slices[1]), [6 * 8 + 0, 6 * 8 + 1, 7 * 8 + 0, 7 * 8 + 1]);
  // Non-zero values: ten 1s, ten 2s, nine 3s, nine 4s; their 50th percentile (19th of 38) is 2,
  // so intensity v maps to min(1, v / 2).
  const nz = [...tinyCase().image.data].filter((v) => v).sort((a, b) => a - b);
  const p50 = nz[Math.ceil(0.5 * nz.length) - 1];
  nodeAssert.equal(p50, 2);
  // Pixel (0, 0) of z1 is voxel 16 (value 16 % 5 = 1): 0.5; of z2 voxel 32 (value 2): 1.
  nodeAssert.equal(slices[0].image[0], 0.5);
  nodeAssert.equal(slices[1].image[0], 1);
  nodeAssert.ok(slices.every((s) => s.image.every((v) => v >= 0 && v <= 1)));
  const second = caseTargetSlices(tinyCase(), { target: [1, 2], size: 8, every: 2 });
  nodeAssert.deepEqual(second.map((s) => s.id), ["c/z1"]);
  const min2 = caseTargetSlices(tinyCase(), { target: [1, 2, 3], size: 8, minTargetVoxels: 2 });
  nodeAssert.deepEqual(min2.map((s) => s.id), ["c/z2"]);
  nodeAssert.throws(() => caseTargetSlices(tinyCase(), { target: [1], size: 4 }), InvalidArgumentError);
  nodeAssert.throws(
    () => caseTargetSlices({ ...tinyCase(), labels: undefined }, { target: [1] }),
    InvalidArgumentError,
  );
});

Deno.test({
  name: "caseTargetSlices on a real BraTS case: slice count, z range, truth and image sums (numpy decode)",
  ignore: !HAS_REAL_DATA,
  fn: async () => {
    // Expected values from a separate numpy decode of the gzipped NIfTI (header dims, int16 voxels):
    // whole tumour (1, 2, 4) on 76 axial slices z = 43..118; z = 81 holds 2,960 tumour voxels; the
    // 99.5th percentile of the non-zero FLAIR voxels is 321, and sum(clip(flair[81] / 321, 0, 1)) = 10675.02.
    const ds = await openDataset(`${REAL_DATA}brats2018`, { channels: ["flair"], target: [1, 2, 4] });
    const ref = ds.refs.find((r) => r.id === "Brats18_2013_11_1");
    nodeAssert.ok(ref);
    const slices = caseTargetSlices(await ds.load(ref), { target: [1, 2, 4], size: 240 });
    nodeAssert.equal(slices.length, 76);
    nodeAssert.deepEqual([slices[0].id, slices[75].id], ["Brats18_2013_11_1/z43", "Brats18_2013_11_1/z118"]);
    const mid = slices.find((s) => s.id.endsWith("/z81"))!;
    nodeAssert.equal(mid.truth.reduce((a, b) => a + b, 0), 2960);
    const sum = mid.image.reduce((a, b) => a + b, 0);
    nodeAssert.ok(Math.abs(sum - 10675.02) < 0.05, `${sum}`);
  },
});
