/**
 * Multi-channel observations (issue 12): the encoder puts every image channel first, in order,
 * then the mode's extra channels; expected values by hand (a window twice the observation shape:
 * each observed voxel is the mean of a 2x2x2 block; a window equal to it: a plain copy). A case
 * whose channel count differs from the game's is refused. One channel is unchanged.
 */
import assert from "node:assert/strict";
import { registerChannels } from "../data/channels.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { diagonalAffine, type Vec3, type Volume } from "../data/types.ts";
import { observationChannels, ObservationEncoder, observationSpace } from "../env/observation.ts";

const SHAPE: Vec3 = [4, 8, 8];

function volume(id: string, f: (z: number, y: number, x: number) => number): Volume {
  const data = new Float32Array(SHAPE[0] * SHAPE[1] * SHAPE[2]);
  for (let z = 0; z < SHAPE[0]; z++) {
    for (let y = 0; y < SHAPE[1]; y++) {
      for (let x = 0; x < SHAPE[2]; x++) data[(z * 8 + y) * 8 + x] = f(z, y, x);
    }
  }
  return { id, shape: SHAPE, spacing: [1, 1, 1], data, affine: diagonalAffine([1, 1, 1]) };
}

const channels = () => [
  volume("flair", (z, y, x) => 100 * z + 10 * y + x),
  volume("t1ce", (z, y, x) => -(z + y + x)),
  volume("t2", (z, y, x) => (z * 7 + y * 3 + x) % 5),
];

/** The mean of the 2x2x2 block of `v` whose first voxel is (z, y, x). */
function block(v: Volume, z: number, y: number, x: number): number {
  let s = 0;
  for (let a = 0; a < 2; a++) {
    for (let b = 0; b < 2; b++) for (let c = 0; c < 2; c++) s += v.data[((z + a) * 8 + y + b) * 8 + x + c];
  }
  return s / 8;
}

Deno.test("observations of a 3-channel image: channels in order, then position channels (by hand)", () => {
  const images = channels();
  registerChannels(images);
  assert.equal(observationChannels("window", 3), 3);
  assert.equal(observationChannels("window+position", 3), 6);
  assert.equal(observationChannels("window+map", 3), 4);
  const window: Vec3 = [2, 4, 4], obs: Vec3 = [1, 2, 2], corner: Vec3 = [2, 2, 4];
  const plain = new ObservationEncoder(images[0], window, obs, "window", 0, 3);
  const o = plain.encode(corner);
  assert.equal(o.length, 1 * 2 * 2 * 3);
  for (let y = 0; y < 2; y++) {
    for (let x = 0; x < 2; x++) {
      for (let k = 0; k < 3; k++) {
        const expected = block(images[k], corner[0], corner[1] + 2 * y, corner[2] + 2 * x);
        assert.ok(Math.abs(o[(y * 2 + x) * 3 + k] - expected) < 1e-5, `y${y} x${x} channel ${k}`);
      }
    }
  }
  const space = observationSpace("window+position", obs, [-1, 1], 3);
  assert.deepEqual(space.shape, [1, 2, 2, 6]);
  assert.deepEqual([...space.high.slice(0, 6)], [1, 1, 1, 1, 1, 1]);
  assert.deepEqual([...space.low.slice(0, 6)], [-1, -1, -1, 0, 0, 0]);
  const copy = new ObservationEncoder(images[0], [1, 2, 2], [1, 2, 2], "window+position", 0, 3).encode(
    corner,
  );
  // Voxel (0, 1, 0) of the window: source (2, 3, 4); position = (corner + index + 0.5) / shape.
  const at = (0 * 2 + 1) * 2 + 0;
  assert.deepEqual(
    [...copy.slice(at * 6, at * 6 + 6)],
    [234, -9, (2 * 7 + 3 * 3 + 4) % 5, 2.5 / 4, 3.5 / 8, 4.5 / 8],
  );
});

Deno.test("observations: a case with another channel count than the game's is refused; one channel unchanged", () => {
  const lone = volume("ct", (z, y, x) => z + y + x);
  assert.throws(() => new ObservationEncoder(lone, [2, 4, 4], [1, 2, 2], "window", 0, 3), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError);
    assert.match(e.message, /has 1 image channel/);
    return true;
  });
  const images = channels();
  registerChannels(images);
  assert.throws(
    () => new ObservationEncoder(images[0], [2, 4, 4], [1, 2, 2], "window"),
    InvalidArgumentError,
  );
  const one = new ObservationEncoder(lone, [2, 4, 4], [1, 2, 2], "window+map", 0);
  assert.equal(one.channels, 2);
  const o = new ObservationEncoder(lone, [2, 4, 4], [1, 2, 2], "window").encode([0, 0, 0]);
  assert.deepEqual([...o], [
    block(lone, 0, 0, 0),
    block(lone, 0, 0, 2),
    block(lone, 0, 2, 0),
    block(lone, 0, 2, 2),
  ]);
});
