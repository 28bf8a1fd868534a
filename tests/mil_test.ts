/**
 * Multiple-instance training from image-level labels only (models/mil_data.ts, mil_training.ts):
 * pooling and loss against hand computations, instance selection, the window lattice, and a tiny
 * synthetic problem (a bright blob at a random place in positive volumes, none in negatives) where
 * the MIL-trained classifier must rank windows holding the blob above windows without it, having
 * seen bag labels only.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../data/random.ts";
import { type Case, diagonalAffine, type Vec3 } from "../data/types.ts";
import { initBackend } from "../models/backend.ts";
import { buildClassifier } from "../models/classifier.ts";
import { rocAuc } from "../models/classifier_metrics.ts";
import { ClassifierScorer } from "../models/classifier_scorer.ts";
import { bagsFromCases, windowLattice } from "../models/mil_data.ts";
import { milLoss, poolInstances, selectInstances, trainMil } from "../models/mil_training.ts";

await initBackend("cpu", { quiet: true });

Deno.test("MIL pooling and loss equal hand computations", () => {
  const rows = [[0.1, 0.7, 0.2], [0.05, 0.05, 0.3]];
  const p = tf.tensor2d(rows);
  const y = tf.tensor1d([1, 0]);
  const before = tf.memory().numTensors;
  const r = 4;
  const expected = {
    max: rows.map((q) => Math.max(...q)),
    lse: rows.map((q) => Math.log(q.reduce((s, v) => s + Math.exp(r * v), 0) / q.length) / r),
    "noisy-or": rows.map((q) => 1 - q.reduce((s, v) => s * (1 - v), 1)),
  };
  for (const pooling of ["max", "lse", "noisy-or"] as const) {
    const bag = poolInstances(p, pooling, r);
    const got = Array.from(bag.dataSync());
    bag.dispose();
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[pooling][i]) < 1e-5, `${pooling} ${v}`));
    // Positive bag: -log(pooled); negative bag: mean of -log(1 - p_i).
    const want = (-Math.log(expected[pooling][0]) - rows[1].reduce((s, v) => s + Math.log(1 - v), 0) / 3) / 2;
    const loss = milLoss(p, y, pooling, r);
    assert.ok(Math.abs(loss.dataSync()[0] - want) < 1e-5, `${pooling} loss`);
    loss.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([p, y]);
});

Deno.test("MIL instance selection: top-k by cached score, then distinct random ones", () => {
  const cache = Float32Array.from([0.2, NaN, 0.9, 0.1, NaN, 0.5, NaN, NaN]);
  const rng = new Rng(1);
  for (let t = 0; t < 20; t++) {
    const pick = selectInstances(cache, 2, 3, rng);
    assert.deepEqual(pick.slice(0, 2), [2, 5]);
    assert.equal(new Set(pick).size, 5);
    assert.ok(pick.every((i) => i >= 0 && i < cache.length));
  }
  // Nothing scored yet: all random, still distinct.
  const fresh = selectInstances(new Float32Array(6).fill(NaN), 2, 2, rng);
  assert.equal(new Set(fresh).size, 4);
});

Deno.test("window lattice covers the volume to its last position", () => {
  const corners = windowLattice([10, 9, 4], [4, 4, 4], 3);
  const axis = (a: number) => [...new Set(Array.from(corners).filter((_, i) => i % 3 === a))];
  assert.deepEqual(axis(0), [0, 3, 6]);
  assert.deepEqual(axis(1), [0, 3, 5]);
  assert.deepEqual(axis(2), [0]);
  assert.equal(corners.length / 3, 9);
});

// --- the synthetic problem ------------------------------------------------------------------------
// Every volume holds a bright ball (a distractor, like a vessel) at a random place; positive volumes
// also hold a dark ball (the target, hypodense like a liver tumour). Without the distractor an
// untrained network with a global max head already ranks the windows (bright = high); with it, an
// untrained network is near chance (the test checks that too), so the ranking must be learned.

const EPOCHS = 10;
const SHAPE: Vec3 = [16, 16, 16], WINDOW: Vec3 = [8, 8, 8], RADIUS = 1.5;

/** A noisy volume with a bright distractor ball, and a dark target ball around `centre` when given. */
function volume(id: string, rng: Rng, centre?: Vec3): Case {
  const [nz, ny, nx] = SHAPE, data = new Float32Array(nz * ny * nx), labels = new Uint8Array(data.length);
  const distractor = randomCentre(rng);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const i = (z * ny + y) * nx + x;
        data[i] = 0.5 + 0.05 * rng.normal();
        if (Math.hypot(z - distractor[0], y - distractor[1], x - distractor[2]) <= 2) data[i] += 0.4;
        if (centre && Math.hypot(z - centre[0], y - centre[1], x - centre[2]) <= RADIUS) {
          data[i] -= 0.35;
          labels[i] = 1;
        }
      }
    }
  }
  const spacing: Vec3 = [1, 1, 1], affine = diagonalAffine(spacing);
  return {
    id,
    image: { id, shape: SHAPE, spacing, affine, data },
    labels: { id, shape: SHAPE, spacing, affine, data: labels },
    presence: centre ? 1 : 0,
  };
}

function randomCentre(rng: Rng): Vec3 {
  return [0, 1, 2].map((a) => 2 + rng.int(SHAPE[a] - 4)) as unknown as Vec3;
}

/** Cases whose `labels` getter counts reads (and returns nothing): proof that no mask is read. */
function guarded(cases: Case[], reads: { count: number }): Case[] {
  return cases.map((c) => {
    const g = { id: c.id, image: c.image, presence: c.presence } as Case;
    Object.defineProperty(g, "labels", {
      get: () => {
        reads.count++;
        return undefined;
      },
      enumerable: true,
    });
    return g;
  });
}

/**
 * Window AUC on held-out volumes: windows wholly holding the target ball (1) vs windows not touching
 * it (0; all windows of negative volumes), from the KNOWN centres (evaluation only).
 */
async function windowAuc(scorer: ClassifierScorer, cases: { c: Case; centre?: Vec3 }[]): Promise<number> {
  const scores: number[] = [], labels: number[] = [];
  const corners = windowLattice(SHAPE, WINDOW, 2);
  for (const { c, centre } of cases) {
    const s = await scorer.score(c.image, corners, WINDOW);
    for (let i = 0; i < s.length; i++) {
      const lo = [corners[3 * i], corners[3 * i + 1], corners[3 * i + 2]];
      const hi = lo.map((v, a) => v + WINDOW[a] - 1);
      const holds = centre !== undefined &&
        [0, 1, 2].every((a) => centre[a] - RADIUS >= lo[a] && centre[a] + RADIUS <= hi[a]);
      const touches = centre !== undefined &&
        [0, 1, 2].every((a) => centre[a] + RADIUS >= lo[a] && centre[a] - RADIUS <= hi[a]);
      if (holds) scores.push(s[i]), labels.push(1);
      else if (!touches) scores.push(s[i]), labels.push(0);
    }
  }
  assert.ok(labels.filter((l) => l).length >= 20 && labels.filter((l) => !l).length >= 200);
  return rocAuc(scores, labels);
}

Deno.test({
  name:
    "MIL on bag labels only ranks windows holding the target above windows without it (window AUC >= 0.9)",
  sanitizeResources: false,
  fn: async () => {
    const rng = new Rng(7);
    const make = (n: number, prefix: string) =>
      Array.from(
        { length: n },
        (_, i) => volume(`${prefix}${i}`, rng, i % 2 ? randomCentre(rng) : undefined),
      );
    const reads = { count: 0 };
    const train = await bagsFromCases(guarded(make(24, "t"), reads));
    const val = await bagsFromCases(guarded(make(8, "v"), reads));
    assert.equal(reads.count, 0, "a voxel label was read");
    for (const b of [...train, ...val]) assert.deepEqual(Object.keys(b).sort(), ["id", "image", "presence"]);
    const held = Array.from({ length: 12 }, (_, v) => {
      const centre = v % 3 ? randomCentre(rng) : undefined;
      return { c: volume(`e${v}`, rng, centre), centre };
    });

    const model = buildClassifier({ inputShape: WINDOW, channels: [4, 8], hiddenUnits: [8] }, 3);
    const untrained = await windowAuc(await ClassifierScorer.fromModel(model, null), held);
    const tensors = tf.memory().numTensors;
    const started = performance.now();
    const history = await trainMil(model, train, val, {
      window: WINDOW,
      intensityWindow: null,
      stride: 2,
      topK: 1,
      randomK: 3,
      bagsPerStep: 4,
      stepsPerEpoch: 12,
      epochs: EPOCHS,
      learningRate: 3e-3,
      patience: 0,
      recalibrationSamples: 64,
      seed: 2,
    });
    assert.equal(tf.memory().numTensors, tensors, "tensors leaked by training");
    const best = history.epochs[history.bestEpoch - 1];
    const scorer = await ClassifierScorer.fromModel(model, null, { supervision: "image-level" });
    const auc = await windowAuc(scorer, held);
    console.log(
      `MIL: best epoch ${history.bestEpoch}, bag AUC ${
        best.validation.auc.toFixed(3)
      }, train loss by epoch ` +
        `${history.epochs.map((e) => e.trainLoss.toFixed(3)).join(" ")}; window AUC ${auc.toFixed(3)} ` +
        `(untrained ${untrained.toFixed(3)}); ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    assert.ok(untrained < 0.75, `the problem is too easy: untrained window AUC ${untrained.toFixed(3)}`);
    assert.ok(auc >= 0.9, `window AUC ${auc.toFixed(3)}`);
    model.dispose();
  },
});
