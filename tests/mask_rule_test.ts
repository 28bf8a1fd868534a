import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";
import { targetMask } from "../data/tile.ts";
import { GreedyAgent } from "../env/baseline_agents.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { denseBaseline } from "../eval/dense_baseline.ts";
import {
  applyMaskRule,
  defaultRuleValues,
  describeMaskRule,
  formatMaskRule,
  mapPeak,
  parseMaskRule,
} from "../eval/mask_rule.ts";
import { dice } from "../eval/metrics.ts";
import { segment } from "../eval/segment.ts";
import { boxCase } from "./_cases.ts";

// The hand-checked case of segment_test.ts: greedy oracle windows W1 = y12..19 x16..23 (score .375),
// W2 = y16..23 x16..23 (.75), W3 = y16..23 x20..27 (1), each added by both agents.
const BOX = boxCase("box", [4, 32, 32], [0, 16, 18], [4, 8, 12], 2);
const GAME = { window: [4, 8, 8] as Vec3, stride: 4, tau: 1, maxSteps: 16 };

Deno.test("mask rules on a hand-made map: absolute, peak, visit", () => {
  const map = Float32Array.of(0, 1, 2, 4, 3, 0.5);
  const mean = Float32Array.of(0, 0.2, 0.8, 0.4, 0.9, 0.6);
  assert.equal(mapPeak(map), 4);
  assert.deepEqual(Array.from(applyMaskRule({ kind: "absolute", value: 1 }, map)), [0, 0, 1, 1, 1, 0]);
  // peak 0.5: map > 2 (strict).
  assert.deepEqual(Array.from(applyMaskRule({ kind: "peak", value: 0.5 }, map)), [0, 0, 0, 1, 1, 0]);
  assert.deepEqual(Array.from(applyMaskRule({ kind: "peak", value: 0.2 }, map)), [0, 1, 1, 1, 1, 0]);
  // An all-zero map gives an empty mask under any peak fraction.
  assert.deepEqual(Array.from(applyMaskRule({ kind: "peak", value: 0.1 }, new Float32Array(3))), [0, 0, 0]);
  // visit 0.5 reads the mean map, not the map.
  assert.deepEqual(Array.from(applyMaskRule({ kind: "visit", value: 0.5 }, map, mean)), [0, 0, 1, 0, 1, 1]);
  assert.throws(() => applyMaskRule({ kind: "visit", value: 0.5 }, map), InvalidArgumentError);
  // Restricting to a box gives the same mask when the map is 0 outside it.
  const m3 = new Float32Array(2 * 2 * 3);
  m3[(1 * 2 + 1) * 3 + 2] = 2;
  m3[(1 * 2 + 1) * 3 + 1] = 1;
  const box = { lo: [1, 1, 1] as Vec3, size: [1, 1, 2] as Vec3 };
  assert.deepEqual(
    applyMaskRule({ kind: "peak", value: 0.4 }, m3, undefined, [2, 2, 3], box),
    applyMaskRule({ kind: "peak", value: 0.4 }, m3),
  );
});

Deno.test("mask rules: parse, format and their errors name the flag", () => {
  assert.deepEqual(parseMaskRule("peak:0.5"), { kind: "peak", value: 0.5 });
  assert.deepEqual(parseMaskRule(" visit : 0.3 "), { kind: "visit", value: 0.3 });
  assert.deepEqual(parseMaskRule("2.5"), { kind: "absolute", value: 2.5 });
  assert.deepEqual(parseMaskRule("absolute:-1"), { kind: "absolute", value: -1 });
  for (const text of ["peak:0.5", "visit:0.3", "absolute:2"]) {
    assert.equal(formatMaskRule(parseMaskRule(text)), text);
  }
  assert.equal(describeMaskRule({ kind: "peak", value: 0.5 }), "map > 0.5 x peak");
  for (const bad of ["peak:1", "peak:0", "peak:", "magic:0.5", "peak:0.5:1", "x", "visit:NaN"]) {
    assert.throws(
      () => parseMaskRule(bad, "--mask-rules"),
      (e: unknown) => e instanceof InvalidArgumentError && e.message.startsWith("--mask-rules:"),
      bad,
    );
  }
  assert.deepEqual(defaultRuleValues("peak", "sum"), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]);
  assert.equal(defaultRuleValues("absolute", "sum").length, 21);
  assert.equal(defaultRuleValues("visit", "sum")[0], 0.05);
});

Deno.test("segment: peak and visit rules on the hand-checked trajectory", async () => {
  const truth = targetMask(BOX.labels!, 2);
  const run = (rule: { kind: "peak" | "visit"; value: number }) =>
    segment(BOX, {
      ...GAME,
      rule,
      agents: new GreedyAgent(),
      scorer: new OracleScorer([BOX], { target: 2 }),
    });
  // Sum map per 4x4 cell (y band, x band): peak 4.25 at y16..19 x20..23; > 0.5 * 4.25 = 2.125 keeps
  // y16..19 x16..19 (2.25), y16..19 x20..23 (4.25), y20..23 x20..23 (3.5): 48 px/slice, 40 in the truth
  // (96 px/slice): Dice 80 / 144.
  const peak = await run({ kind: "peak", value: 0.5 });
  assert.equal(peak.mask.reduce((s, v) => s + v, 0), 4 * 48);
  assert.equal(dice(peak.mask, truth), 80 / 144);
  assert.deepEqual(peak.rule, { kind: "peak", value: 0.5 });
  // Mean per visit: W1 only .375, W1+W2 .5625, W1+W2+W3 (.375+.75+1)/3 = .7083, W2 only .75,
  // W2+W3 .875, W3 only 1. > 0.7 keeps 5 cells (80 px/slice), 72 in the truth: Dice 144 / 176.
  const visit = await run({ kind: "visit", value: 0.7 });
  assert.equal(visit.mask.reduce((s, v) => s + v, 0), 4 * 80);
  assert.equal(dice(visit.mask, truth), 144 / 176);
  await assert.rejects(() => run({ kind: "peak", value: 1.5 }), InvalidArgumentError);
});

Deno.test("dense baseline: the visit rule equals a brute-force mean over covering lattice windows", async () => {
  const scorer = new OracleScorer([BOX], { target: 2 });
  const truth = targetMask(BOX.labels!, 2);
  const r = await denseBaseline(BOX.image, {
    scorer,
    window: [4, 8, 8],
    stride: 4,
    rule: { kind: "visit", value: 0.3 },
  });
  // Lattice: z 0, y and x 0, 4, .., 24 (49 windows); oracle score = tumour share of the window.
  const [nz, ny, nx] = BOX.image.shape;
  const sum = new Float64Array(nz * ny * nx), count = new Float64Array(nz * ny * nx);
  let best = 0;
  for (let y0 = 0; y0 <= 24; y0 += 4) {
    for (let x0 = 0; x0 <= 24; x0 += 4) {
      let inside = 0;
      for (let z = 0; z < 4; z++) {
        for (let y = y0; y < y0 + 8; y++) {
          for (let x = x0; x < x0 + 8; x++) inside += truth[(z * ny + y) * nx + x];
        }
      }
      const s = Math.fround(inside / 256);
      best = Math.max(best, s);
      for (let z = 0; z < 4; z++) {
        for (let y = y0; y < y0 + 8; y++) {
          for (let x = x0; x < x0 + 8; x++) {
            sum[(z * ny + y) * nx + x] += s;
            count[(z * ny + y) * nx + x]++;
          }
        }
      }
    }
  }
  const expected = Uint8Array.from(sum, (s, i) => (count[i] && s / count[i] > 0.3 ? 1 : 0));
  assert.ok(expected.some((v) => v === 1));
  assert.deepEqual(r.mask, expected);
  assert.equal(r.bestScore, best);
  assert.ok(
    r.meanMap &&
      Math.abs(
          r.meanMap[(0 * ny + 20) * nx + 22] - sum[(0 * ny + 20) * nx + 22] / count[(0 * ny + 20) * nx + 22],
        ) < 1e-6,
  );
});
