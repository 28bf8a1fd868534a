import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import {
  describeSupervision,
  isSupervisionLevel,
  parseSupervisionLevel,
  SUPERVISION_LEVELS,
} from "../data/supervision.ts";

Deno.test("supervision levels: four levels, weakest first, each with a description naming it", () => {
  assert.deepEqual(SUPERVISION_LEVELS, [
    "image-level",
    "tile-level (derived from masks)",
    "crops labelled from voxel masks",
    "voxel labels",
  ]);
  for (const level of SUPERVISION_LEVELS) {
    assert.ok(describeSupervision(level).startsWith(`${level}:`));
    assert.equal(parseSupervisionLevel(level), level);
  }
});

Deno.test("supervision levels: unknown values are rejected naming the source", () => {
  assert.equal(isSupervisionLevel("image level"), false);
  assert.equal(isSupervisionLevel(3), false);
  assert.throws(() => parseSupervisionLevel("weak", "--scorer-supervision"), (e: unknown) => {
    return e instanceof InvalidArgumentError && e.message.startsWith("--scorer-supervision:");
  });
});
