import assert from "node:assert/strict";
import { InvalidArgumentError, ShapeMismatchError } from "../data/errors.ts";
import {
  confusion,
  dice,
  iou,
  precision,
  scoreSegmentation,
  sensitivity,
  specificity,
  summarize,
  volumeDifference,
} from "../eval/metrics.ts";

const close = (actual: number, expected: number, tol = 1e-12): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} != ${expected}`);

// tp at 0 and 4; fp at 1 and 2; fn at 3; tn at 5, 6, 7. Nonzero values other than 1 are foreground.
const PRED = Uint8Array.from([1, 255, 2, 0, 1, 0, 0, 0]);
const TRUTH = Uint8Array.from([7, 0, 0, 1, 1, 0, 0, 0]);

Deno.test("confusion and overlap metrics on a hand-counted array", () => {
  const c = confusion(PRED, TRUTH);
  assert.deepEqual(c, { tp: 2, fp: 2, fn: 1, tn: 3 });
  close(dice(PRED, TRUTH), 4 / 7);
  close(iou(PRED, TRUTH), 2 / 5);
  close(sensitivity(c), 2 / 3);
  close(specificity(c), 3 / 5);
  close(precision(c), 1 / 2);
  // Dice and IoU are symmetric; the others swap roles.
  close(dice(TRUTH, PRED), 4 / 7);
  close(precision(confusion(TRUTH, PRED)), 2 / 3);
  // Identical masks score 1.
  assert.equal(dice(TRUTH, TRUTH), 1);
  assert.equal(iou(TRUTH, TRUTH), 1);
});

Deno.test("empty masks: MONAI ignore_empty semantics and NaN ratios", () => {
  const empty = new Uint8Array(8);
  // Empty truth, ignoreEmpty default true -> NaN, whatever the prediction.
  assert.ok(Number.isNaN(dice(PRED, empty)));
  assert.ok(Number.isNaN(iou(empty, empty)));
  assert.ok(Number.isNaN(dice(empty, empty, { ignoreEmpty: true })));
  // ignoreEmpty false: both empty -> 1; prediction nonempty -> 0.
  assert.equal(dice(empty, empty, { ignoreEmpty: false }), 1);
  assert.equal(iou(empty, empty, { ignoreEmpty: false }), 1);
  assert.equal(dice(PRED, empty, { ignoreEmpty: false }), 0);
  assert.equal(iou(PRED, empty, { ignoreEmpty: false }), 0);
  // Empty prediction, nonempty truth -> 0 with either option.
  assert.equal(dice(empty, TRUTH), 0);
  assert.equal(iou(empty, TRUTH, { ignoreEmpty: false }), 0);
  // Ratios with a zero denominator are NaN.
  const noPositives = confusion(empty, empty);
  assert.ok(Number.isNaN(sensitivity(noPositives)));
  assert.ok(Number.isNaN(precision(noPositives)));
  assert.equal(specificity(noPositives), 1);
  const full = new Uint8Array(8).fill(1);
  assert.ok(Number.isNaN(specificity(confusion(full, full))));
});

Deno.test("shape mismatches and bad arguments throw typed errors", () => {
  assert.throws(() => dice(new Uint8Array(3), new Uint8Array(4)), ShapeMismatchError);
  assert.throws(() => confusion(new Uint8Array(3), new Uint8Array(4)), ShapeMismatchError);
  assert.throws(
    () => scoreSegmentation(new Uint8Array(8), new Uint8Array(8), [2, 2, 3], [1, 1, 1]),
    ShapeMismatchError,
  );
  assert.throws(
    () => scoreSegmentation(new Uint8Array(8), new Uint8Array(8), [2, 2, 2], [1, 0, 1]),
    InvalidArgumentError,
  );
  assert.throws(() => volumeDifference(PRED, TRUTH, [1, NaN, 1]), InvalidArgumentError);
});

Deno.test("volumeDifference: millilitres from spacing and relative difference", () => {
  // Voxel = 2 * 2 * 0.5 = 2 mm^3; pred 4 voxels = 8 mm^3, truth 3 voxels = 6 mm^3.
  const v = volumeDifference(PRED, TRUTH, [2, 2, 0.5]);
  close(v.predMl, 0.008);
  close(v.truthMl, 0.006);
  close(v.relative, 1 / 3);
  const none = volumeDifference(PRED, new Uint8Array(8), [1, 1, 1]);
  assert.equal(none.truthMl, 0);
  assert.ok(Number.isNaN(none.relative));
});

Deno.test("scoreSegmentation agrees with the single metrics on a 2x2x2 volume", () => {
  const s = scoreSegmentation(PRED, TRUTH, [2, 2, 2], [1, 1, 1]);
  close(s.dice, 4 / 7);
  close(s.iou, 2 / 5);
  close(s.sensitivity, 2 / 3);
  close(s.specificity, 3 / 5);
  close(s.precision, 1 / 2);
  close(s.volumeDifferenceRelative, 1 / 3);
  // In a 2x2x2 volume every voxel is on the border, so surfaces are the masks themselves.
  // pred {0,1,2,4} -> truth {0,3,4}: 0, 1 (1->0), 1 (2->0) , 0; truth -> pred: 0, 1 (3->1), 0.
  close(s.assd, 3 / 7);
  // Directed P95: pred [0,0,1,1] -> position 2.85 -> 1; truth [0,0,1] -> position 1.9 -> 0.9.
  close(s.hd95, 1);
  const empty = new Uint8Array(8);
  const e = scoreSegmentation(empty, empty, [2, 2, 2], [1, 1, 1]);
  assert.ok(Number.isNaN(e.dice) && Number.isNaN(e.hd95) && Number.isNaN(e.assd));
  const missed = scoreSegmentation(empty, TRUTH, [2, 2, 2], [1, 1, 1], { ignoreEmpty: false });
  assert.equal(missed.dice, 0);
  assert.equal(missed.hd95, Infinity);
  assert.equal(missed.assd, Infinity);
  assert.equal(missed.volumeDifferenceRelative, -1);
});

Deno.test("summarize: finite values only, NaN and Infinity counted apart", () => {
  const s = summarize([1, 2, NaN, Infinity, 3, -Infinity, 6]);
  assert.equal(s.n, 4);
  assert.equal(s.nanCount, 1);
  assert.equal(s.infCount, 2);
  close(s.mean, 3);
  // Deviations -2, -1, 0, 3: squares sum to 14, sample variance 14 / 3.
  close(s.sd, Math.sqrt(14 / 3));
  close(s.median, 2.5);
  const odd = summarize([5, 1, 3]);
  assert.equal(odd.median, 3);
  close(odd.sd, 2);
  const one = summarize([5]);
  assert.equal(one.mean, 5);
  assert.ok(Number.isNaN(one.sd));
  assert.equal(one.median, 5);
  const none = summarize([NaN]);
  assert.equal(none.n, 0);
  assert.ok(Number.isNaN(none.mean) && Number.isNaN(none.sd) && Number.isNaN(none.median));
  assert.equal(summarize([]).nanCount, 0);
});
