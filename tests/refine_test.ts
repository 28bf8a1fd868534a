import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";
import { RandomAgent } from "../env/baseline_agents.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { neighbourhoodCorners, topOccupiedWindows } from "../eval/refine.ts";
import { segment } from "../eval/segment.ts";
import { mapFromTrajectories, type Trajectory } from "../eval/trajectory_map.ts";
import { boxCase } from "./_cases.ts";

const BOX = boxCase("box", [8, 32, 32], [2, 16, 18], [4, 8, 12], 2);
const WINDOW: Vec3 = [4, 8, 8];
const STRIDE = 4;

/**
 * Brute force: every valid corner v of the volume such that, on each axis, some offset d in
 * -r..r gives clamp(centre + d * stride) = v.
 */
function bruteNeighbourhood(
  centres: number[][],
  shape: Vec3,
  window: Vec3,
  stride: number,
  r: number,
): Set<string> {
  const out = new Set<string>();
  const max = shape.map((s, a) => s - window[a]);
  for (const c of centres) {
    for (let z = 0; z <= max[0]; z++) {
      for (let y = 0; y <= max[1]; y++) {
        for (let x = 0; x <= max[2]; x++) {
          const v = [z, y, x];
          const reach = v.every((value, a) => {
            for (let d = -r; d <= r; d++) {
              if (Math.min(max[a], Math.max(0, c[a] + d * stride)) === value) return true;
            }
            return false;
          });
          if (reach) out.add(v.join(","));
        }
      }
    }
  }
  return out;
}

function cornerSet(packed: Int32Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < packed.length; i += 3) out.push(`${packed[i]},${packed[i + 1]},${packed[i + 2]}`);
  return out;
}

Deno.test("refinement: the neighbourhood is the clamped stride lattice, each corner once", () => {
  const shape: Vec3 = [8, 32, 32];
  // Interior centre, radius 1: z {0, 2->clamp.. } : z max 4, centre z 2: 2-4 -> 0, 2, 6 -> 4: {0, 2, 4};
  // y 8, 12, 16; x 12, 16, 20: 27 corners.
  const inner = neighbourhoodCorners(Int32Array.of(2, 12, 16), shape, WINDOW, STRIDE, 1);
  assert.equal(inner.length / 3, 27);
  assert.deepEqual(new Set(cornerSet(inner)), bruteNeighbourhood([[2, 12, 16]], shape, WINDOW, STRIDE, 1));
  // Corner centre, radius 2: z 0..4 clamps to {0, 4}, y {0, 4, 8}, x {16, 20, 24} (24 = max): 18.
  const edge = neighbourhoodCorners(Int32Array.of(0, 0, 24), shape, WINDOW, STRIDE, 2);
  assert.equal(edge.length / 3, 2 * 3 * 3);
  assert.equal(new Set(cornerSet(edge)).size, edge.length / 3);
  assert.deepEqual(new Set(cornerSet(edge)), bruteNeighbourhood([[0, 0, 24]], shape, WINDOW, STRIDE, 2));
  // Two overlapping centres: the union, without repeats.
  const two = neighbourhoodCorners(Int32Array.of(2, 12, 16, 2, 12, 20), shape, WINDOW, STRIDE, 1);
  assert.deepEqual(
    new Set(cornerSet(two)),
    bruteNeighbourhood([[2, 12, 16], [2, 12, 20]], shape, WINDOW, STRIDE, 1),
  );
  assert.equal(new Set(cornerSet(two)).size, two.length / 3);
});

Deno.test("refinement: best occupied windows by score, ties to the first occupied, start rows included", () => {
  const t: Trajectory = {
    start: 0,
    steps: 2,
    // rows: start (a, b), step 1, step 2
    corners: Int32Array.of(0, 0, 0, 0, 4, 0, 0, 8, 0, 0, 0, 0, 0, 4, 4, 0, 8, 4),
    scores: Float32Array.of(0.9, 0.2, 0.5, 0.9, 0.5, 0.1),
    actions: new Int32Array(4),
    terminated: false,
    truncated: true,
  };
  // Distinct: (0,0,0) .9 first, (0,4,0) .2, (0,8,0) .5, (0,4,4) .5, (0,8,4) .1.
  assert.deepEqual(Array.from(topOccupiedWindows([t], [8, 32, 32], 3)), [0, 0, 0, 0, 8, 0, 0, 4, 4]);
  // Cut at tau .5: rows 0..1 only.
  assert.deepEqual(Array.from(topOccupiedWindows([t], [8, 32, 32], 5, 0.5)), [0, 0, 0, 0, 8, 0, 0, 4, 0]);
});

Deno.test("segment with refinement: exactly the lattice neighbourhood of the best window, de-duplicated", async () => {
  const scorer = new OracleScorer([BOX], { target: 2 });
  const game = { window: WINDOW, stride: STRIDE, tau: 1, maxSteps: 6, start: [2, 12, 12] as Vec3 };
  const plain = await segment(BOX, { ...game, agents: new RandomAgent(7), scorer });
  const refined = await segment(BOX, {
    ...game,
    agents: new RandomAgent(7),
    scorer,
    refineTop: 1,
    refineRadius: 2,
  });
  assert.deepEqual(refined.trajectories, plain.trajectories);
  assert.equal(plain.refined.corners.length, 0);
  // Brute force: the best occupied window (highest score, first occupied on ties), its neighbourhood.
  const t = plain.trajectories[0];
  let best = 0;
  for (let k = 1; k < 2 * (t.steps + 1); k++) if (t.scores[k] > t.scores[best]) best = k;
  assert.ok(t.scores[best] > 0);
  const centre = Array.from(t.corners.subarray(3 * best, 3 * best + 3));
  const around = bruteNeighbourhood([centre], BOX.image.shape, WINDOW, STRIDE, 2);
  const rows = (from: number) => {
    const s = new Set<string>();
    for (let k = from; k < 2 * (t.steps + 1); k++) {
      s.add(Array.from(t.corners.subarray(3 * k, 3 * k + 3)).join(","));
    }
    return s;
  };
  const inMap = rows(2), occupied = rows(0);
  const added = [...around].filter((c) => !inMap.has(c));
  assert.ok(added.length > 20 && added.length < around.size);
  assert.deepEqual(new Set(cornerSet(refined.refined.corners)), new Set(added));
  assert.equal(refined.refined.corners.length / 3, added.length);
  // Random agents look nothing up: the scorer saw the occupied windows, then the new neighbourhood ones.
  assert.equal(plain.windowsScored, occupied.size);
  assert.equal(refined.windowsScored, occupied.size + [...around].filter((c) => !occupied.has(c)).length);
  // The map is the trajectories' map plus one addition per refinement window (same mode).
  const expected = mapFromTrajectories(plain.trajectories, BOX.image.shape, WINDOW, "sum");
  for (const c of added) {
    const [z, y, x] = c.split(",").map(Number);
    const truthShare = await scorer.score(BOX.image, Int32Array.of(z, y, x), WINDOW);
    expected.add([z, y, x], truthShare[0]);
  }
  assert.deepEqual(refined.map, expected.toArray());
  await assert.rejects(
    () => segment(BOX, { ...game, agents: new RandomAgent(7), scorer, refineTop: -1 }),
    (e: unknown) => e instanceof InvalidArgumentError && /refineTop/.test(e.message),
  );
});
