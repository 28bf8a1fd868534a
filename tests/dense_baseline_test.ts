import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3, Volume } from "../data/types.ts";
import { latticeAxis } from "../env/geometry.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import type { Scorer } from "../env/scorer.ts";
import { defaultDenseThreshold, denseBaseline, denseCoverage } from "../eval/dense_baseline.ts";
import { boxCase } from "./_cases.ts";

/** Score = a fixed function of the corner, in [0, 1]; counts calls and windows. */
class CornerScorer implements Scorer {
  readonly id = "corner-hash";
  calls = 0;
  windows = 0;
  static value(z: number, y: number, x: number): number {
    return ((z * 7 + y * 3 + x * 5) % 11) / 10;
  }
  score(_volume: Volume, corners: Int32Array): Promise<Float32Array> {
    this.calls++;
    this.windows += corners.length / 3;
    const n = corners.length / 3;
    return Promise.resolve(
      Float32Array.from(
        { length: n },
        (_, i) => CornerScorer.value(corners[3 * i], corners[3 * i + 1], corners[3 * i + 2]),
      ),
    );
  }
}

const CASE = boxCase("dense", [7, 11, 13], [2, 3, 4], [2, 4, 4]);

/** The map accumulated the slow way: every lattice window scored alone, added voxel by voxel. */
async function bruteForce(
  scorer: Scorer,
  volume: Volume,
  window: Vec3,
  stride: number,
  mode: "sum" | "mean",
) {
  const [nz, ny, nx] = volume.shape;
  const sums = new Float64Array(nz * ny * nx), counts = new Float64Array(nz * ny * nx);
  let windows = 0;
  for (const z0 of latticeAxis(nz, window[0], stride)) {
    for (const y0 of latticeAxis(ny, window[1], stride)) {
      for (const x0 of latticeAxis(nx, window[2], stride)) {
        const [s] = await scorer.score(volume, Int32Array.of(z0, y0, x0), window);
        windows++;
        for (let z = z0; z < z0 + window[0]; z++) {
          for (let y = y0; y < y0 + window[1]; y++) {
            for (let x = x0; x < x0 + window[2]; x++) {
              sums[(z * ny + y) * nx + x] += s;
              counts[(z * ny + y) * nx + x]++;
            }
          }
        }
      }
    }
  }
  const map = mode === "sum" ? sums : sums.map((v, i) => (counts[i] ? v / counts[i] : 0));
  return { map, windows };
}

Deno.test("denseBaseline: the map equals the sum of the lattice windows' scores computed one by one", async () => {
  // 7x11x13 with window 3x4x5 and stride 2: lattices z 0,2,4 / y 0,2,4,6,7 / x 0,2,4,6,8 (the last
  // corner of y touches the border off-stride), 3 * 5 * 5 = 75 windows.
  const window: Vec3 = [3, 4, 5];
  for (const mode of ["sum", "mean"] as const) {
    const scorer = new CornerScorer();
    const r = await denseBaseline(CASE.image, {
      scorer,
      window,
      stride: 2,
      mapMode: mode,
      batchSize: 16,
      threshold: 0.5,
    });
    assert.equal(r.windowsScored, 75);
    assert.deepEqual(r.latticeShape, [3, 5, 5]);
    assert.equal(scorer.calls, Math.ceil(75 / 16));
    assert.equal(scorer.windows, 75);
    const brute = await bruteForce(new CornerScorer(), CASE.image, window, 2, mode);
    assert.equal(brute.windows, 75);
    for (let i = 0; i < r.map.length; i++) {
      assert.ok(
        Math.abs(r.map[i] - brute.map[i]) < 1e-5,
        `${mode} voxel ${i}: ${r.map[i]} vs ${brute.map[i]}`,
      );
      assert.equal(r.mask[i], r.map[i] > 0.5 ? 1 : 0);
    }
    // Batch size changes the number of calls, never the map.
    const one = await denseBaseline(CASE.image, {
      scorer: new CornerScorer(),
      window,
      stride: 2,
      mapMode: mode,
      batchSize: 1000,
    });
    assert.deepEqual(one.map, r.map);
  }
});

Deno.test("denseBaseline: oracle scores on a labelled box, default threshold and progress", async () => {
  // 2x2x2 windows, stride 2 on the 7x11x13 box case: with the label box at z 2..3, y 3..6, x 4..7,
  // lattice window (2, 4, 4) lies wholly inside (score 1); voxel (2, 4, 4) is covered by it alone.
  const oracle = new OracleScorer([CASE]);
  const progress: number[] = [];
  const r = await denseBaseline(CASE.image, {
    scorer: oracle,
    window: [2, 2, 2],
    stride: 2,
    tau: 0.25,
    onProgress: (done, total) => progress.push(done / total),
  });
  assert.equal(r.threshold, 0.25 * denseCoverage([2, 2, 2], 2));
  assert.equal(r.threshold, 0.25);
  assert.equal(r.map[(2 * 11 + 4) * 13 + 4], 1);
  assert.equal(progress[progress.length - 1], 1);
  assert.equal(denseCoverage([24, 48, 48], 4), 864);
  assert.equal(defaultDenseThreshold(0.3, [24, 48, 48], 4, "sum"), 0.3 * 864);
  assert.equal(defaultDenseThreshold(0.3, [24, 48, 48], 4, "mean"), 0.3);
});

Deno.test("denseBaseline: bad options and bad scores are typed errors", async () => {
  const scorer = new CornerScorer();
  await assert.rejects(
    () => denseBaseline(CASE.image, { scorer, batchSize: 0, window: [2, 2, 2] }),
    InvalidArgumentError,
  );
  await assert.rejects(() => denseBaseline(CASE.image, { scorer, window: [8, 2, 2] }), InvalidArgumentError);
  await assert.rejects(
    () => denseBaseline(CASE.image, { scorer, window: [2, 2, 2], threshold: NaN }),
    InvalidArgumentError,
  );
  const bad: Scorer = {
    id: "bad",
    score: (_v, c) => Promise.resolve(new Float32Array(c.length / 3).fill(2)),
  };
  await assert.rejects(
    () => denseBaseline(CASE.image, { scorer: bad, window: [2, 2, 2] }),
    InvalidArgumentError,
  );
});
