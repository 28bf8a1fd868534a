/**
 * Per-case intensity normalisation (issue 12): z-score within the nonzero mask and over the whole
 * volume, percentile clipping (expected values from numpy: `np.percentile`, `np.clip`, population
 * `std`), and the round trip CLI -> run config.json -> evaluation's dataset.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { normaliseIntensity, percentileOfSorted } from "../data/intensity_options.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import type { Volume } from "../data/types.ts";
import { diagonalAffine } from "../data/types.ts";
import { readRunConfig } from "../eval/run_config.ts";
import { openRunData } from "../eval/run_data.ts";
import { parseTrainArgs } from "../train/train_options.ts";
import { openTrainData } from "../train/train_data.ts";
import { build } from "./_nifti_build.ts";
import { scratchDir } from "./_helpers.ts";

const VALUES = [0, 0, 5, 1, 9, 3, 100, 2, 7, 4];

function volume(values: number[]): Volume {
  return {
    id: "v",
    shape: [1, 1, values.length],
    spacing: [1, 1, 1],
    data: Float32Array.from(values),
    affine: diagonalAffine([1, 1, 1]),
  };
}

function assertAllClose(actual: ArrayLike<number>, expected: number[], tol = 1e-5): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `[${i}] ${actual[i]} vs ${expected[i]}`);
  }
}

Deno.test("z-score within the nonzero mask equals a hand computation; zeros stay 0", () => {
  const out = normaliseIntensity(volume(VALUES), { mode: "zscore-nonzero", clipPercentiles: null });
  // Nonzero: 5,1,9,3,100,2,7,4 -> sum 131, mean 16.375; squares about the mean summed by hand.
  const nz = [5, 1, 9, 3, 100, 2, 7, 4], mean = 131 / 8;
  const sd = Math.sqrt(nz.reduce((s, v) => s + (v - mean) ** 2, 0) / 8);
  assertAllClose(out.data, VALUES.map((v) => (v === 0 ? 0 : (v - mean) / sd)));
});

Deno.test("percentile clipping then z-score matches numpy (nonzero mask and whole volume)", () => {
  const clipped = normaliseIntensity(volume(VALUES), { mode: "zscore-nonzero", clipPercentiles: [10, 90] });
  // numpy: m = x[x != 0]; lo, hi = np.percentile(m, [10, 90]) = 1.7, 36.3; c = np.clip(m, lo, hi)
  const numpy = [
    -0.32521576,
    -0.63184775,
    0.04645939,
    -0.51105333,
    2.58314228,
    -0.60397212,
    -0.13937818,
    -0.41813454,
  ];
  assertAllClose(clipped.data, [0, 0, ...numpy]);
  const squares = Array.from({ length: 12 }, (_, i) => i * i);
  const whole = normaliseIntensity(volume(squares), { mode: "zscore", clipPercentiles: [25, 75] });
  // numpy: np.percentile(a, [25, 75]) = 7.75, 68.25
  const numpyWhole = [
    -1.0976899,
    -1.0976899,
    -1.0976899,
    -1.04839245,
    -0.77232673,
    -0.41738508,
    0.01643248,
    0.52912597,
    1.12069538,
    1.28830671,
    1.28830671,
    1.28830671,
  ];
  assertAllClose(whole.data, numpyWhole);
  assert.ok(Math.abs(percentileOfSorted(Float64Array.from([1, 2, 3, 4, 5, 7, 9, 100]), 10) - 1.7) < 1e-12);
  const windowOnly = normaliseIntensity(volume(squares), { mode: "window", clipPercentiles: [25, 75] });
  assertAllClose(windowOnly.data, squares.map((v) => Math.min(68.25, Math.max(7.75, v))));
});

Deno.test("window and none without clipping leave the volume as it is; bad options are typed errors", () => {
  const v = volume(VALUES);
  assert.equal(normaliseIntensity(v, { mode: "window", clipPercentiles: null }), v);
  assert.equal(normaliseIntensity(v, { mode: "none", clipPercentiles: null }), v);
  assert.throws(
    () => normaliseIntensity(volume([0, 0]), { mode: "zscore-nonzero", clipPercentiles: null }),
    InvalidArgumentError,
  );
  assert.throws(
    () => normaliseIntensity(volume([3, 3]), { mode: "zscore", clipPercentiles: null }),
    InvalidArgumentError,
  );
  assert.throws(
    () => normaliseIntensity(v, { mode: "zscore", clipPercentiles: [50, 10] }),
    InvalidArgumentError,
  );
});

Deno.test("normalisation round-trips: train options -> config.json -> evaluation's dataset", async () => {
  const dir = await scratchDir("intensity-roundtrip");
  const data = join(dir, "data");
  await Deno.mkdir(data);
  for (const id of ["a", "b", "c", "d"]) {
    const values = VALUES.map((v) => (v === 0 ? 0 : v + id.charCodeAt(0)));
    await Deno.writeFile(join(data, `${id}.nii`), build({ type: "float32", values, size: [10, 1, 1] }));
  }
  const request = parseTrainArgs([
    "--data",
    data,
    "--intensity",
    "zscore-nonzero",
    "--intensity-clip-percentiles",
    "10,90",
    "--split",
    "0.5,0.25,0.25",
  ], join(dir, "run"));
  assert.equal(request.kind, "train");
  if (request.kind !== "train") return;
  const config = request.config;
  assert.deepEqual(config.classifier.intensityWindow, [-3, 7]); // the z-score window, not the HU one
  const run = join(dir, "run");
  await Deno.mkdir(run);
  await Deno.writeTextFile(join(run, "config.json"), JSON.stringify(config));
  const view = await readRunConfig(run);
  assert.deepEqual(view.intensity, { mode: "zscore-nonzero", clipPercentiles: [10, 90] });
  const { dataset } = await openRunData({ run }, view);
  const trained = await openTrainData(config);
  const numpy = [
    -0.32521576,
    -0.63184775,
    0.04645939,
    -0.51105333,
    2.58314228,
    -0.60397212,
    -0.13937818,
    -0.41813454,
  ];
  for (const ref of dataset.refs) {
    // A shift of every nonzero voxel leaves its clipped z-scores unchanged.
    const c = await dataset.load(ref);
    assertAllClose(c.image.data, [0, 0, ...numpy]);
    assert.deepEqual(c.image.data, (await trained.load(ref)).image.data);
  }
  assert.deepEqual(dataset.split("test").refs.map((r) => r.id), trained.split("test").refs.map((r) => r.id));
});
