/**
 * The `window+context` observation: the context box by hand (3 windows per axis, centred, shifted
 * inside the volume), its channel values against the linear function the volume holds (trilinear
 * resampling of a linear function is exact at the sample points, voxel centres of the box mapped
 * onto the observation grid), the position channels after it, and the space's bounds.
 */
import assert from "node:assert/strict";
import { diagonalAffine, type Vec3, type Volume } from "../data/types.ts";
import { PolicyNetwork, resolvePolicyArchitecture } from "../agents/policy_network.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import {
  contextBox,
  intensityChannels,
  observationChannels,
  ObservationEncoder,
  observationSpace,
} from "../env/observation.ts";

const SHAPE: Vec3 = [8, 16, 16];
const f = (z: number, y: number, x: number): number => 100 * z + 10 * y + x;

function linearVolume(): Volume {
  const data = new Float32Array(SHAPE[0] * SHAPE[1] * SHAPE[2]);
  for (let z = 0; z < SHAPE[0]; z++) {
    for (let y = 0; y < SHAPE[1]; y++) {
      for (let x = 0; x < SHAPE[2]; x++) data[(z * 16 + y) * 16 + x] = f(z, y, x);
    }
  }
  return { id: "linear", shape: SHAPE, spacing: [1, 1, 1], data, affine: diagonalAffine([1, 1, 1]) };
}

Deno.test("contextBox: three windows per axis, centred, shifted inside, whole axis when shorter", () => {
  // window 2x4x4 at (0, 6, 12): sizes 6, 12, 12; corners 0-2 -> 0, 6-4 = 2, 12-4 = 8 -> 16-12 = 4.
  assert.deepEqual(contextBox([0, 6, 12], [2, 4, 4], SHAPE), [[0, 2, 4], [6, 12, 12]]);
  assert.deepEqual(contextBox([3, 4, 4], [2, 4, 4], SHAPE), [[1, 0, 0], [6, 12, 12]]);
  // A window of 4 in an axis of 8 (3 x 4 = 12 > 8): the whole axis.
  assert.deepEqual(contextBox([4, 0, 0], [4, 4, 4], SHAPE), [[0, 0, 0], [8, 12, 12]]);
});

Deno.test("window+context: window, then context intensities, then position (by hand)", () => {
  const window: Vec3 = [2, 4, 4], obs: Vec3 = [1, 2, 2], corner: Vec3 = [0, 6, 12];
  assert.equal(observationChannels("window+context"), 5);
  assert.equal(observationChannels("window+context", 3), 9);
  const v = linearVolume();
  const o = new ObservationEncoder(v, window, obs, "window+context", 0).encode(corner);
  assert.equal(o.length, 2 * 2 * 5);
  // Sample k of n over a box of size s at a: a + (k + 0.5) * s / n - 0.5.
  const at = (a: number, s: number, n: number, k: number) => a + (k + 0.5) * s / n - 0.5;
  for (let y = 0; y < 2; y++) {
    for (let x = 0; x < 2; x++) {
      const p = (y * 2 + x) * 5;
      const window = f(at(0, 2, 1, 0), at(6, 4, 2, y), at(12, 4, 2, x));
      const context = f(at(0, 6, 1, 0), at(2, 12, 2, y), at(4, 12, 2, x));
      assert.ok(Math.abs(o[p] - window) < 1e-3, `window y${y} x${x}: ${o[p]} vs ${window}`);
      assert.ok(Math.abs(o[p + 1] - context) < 1e-3, `context y${y} x${x}: ${o[p + 1]} vs ${context}`);
      // Position of the observed voxel's centre, normalised by the volume shape.
      assert.ok(Math.abs(o[p + 2] - 1 / 8) < 1e-6);
      assert.ok(Math.abs(o[p + 3] - (6 + (y + 0.5) * 2) / 16) < 1e-6);
      assert.ok(Math.abs(o[p + 4] - (12 + (x + 0.5) * 2) / 16) < 1e-6);
    }
  }
  const space = observationSpace("window+context", obs, [-5, 5]);
  assert.deepEqual(space.shape, [1, 2, 2, 5]);
  assert.deepEqual([...space.low.slice(0, 5)], [-5, -5, 0, 0, 0]);
  assert.deepEqual([...space.high.slice(0, 5)], [5, 5, 1, 1, 1]);
});

Deno.test("intensity channels per mode; the policy windows exactly those (by hand)", () => {
  assert.deepEqual(intensityChannels("window+position"), [0]);
  assert.deepEqual(intensityChannels("window+context"), [0, 1]);
  assert.deepEqual(intensityChannels("window+context", 3), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(intensityChannels("window+map", 2), [0, 1]);
  // Checkpoints written before the field: channel 0 only.
  assert.deepEqual(resolvePolicyArchitecture({}).windowedChannels, [0]);
  assert.throws(
    () => resolvePolicyArchitecture({ channels: 2, windowedChannels: [2] }),
    InvalidArgumentError,
  );
  const net = new PolicyNetwork({
    observationShape: [1, 1, 2],
    channels: 5,
    intensityWindow: [0, 100],
    windowedChannels: [0, 1],
    convChannels: [2],
    hiddenUnits: 4,
  });
  // Two voxels x 5 channels: window, context (windowed: (v - 0) / 100, clamped), position (kept).
  const buffer = Float32Array.of(50, 150, 0.5, 0.25, 2, -10, 25, 0.1, 0.2, 0.3);
  net.normalizeInPlace(buffer);
  assert.deepEqual([...buffer], [0.5, 1, 0.5, 0.25, 2, 0, 0.25, 0.1, 0.2, 0.3].map(Math.fround));
  net.dispose();
});
