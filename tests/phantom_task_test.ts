import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { make, spec } from "../env/registry.ts";
import type { SelfPlayEnv } from "../env/self_play_env.ts";
import type { CachedScorer } from "../env/cached_scorer.ts";
import { generatePhantom } from "../data/phantom.ts";
import type { Vec3 } from "../data/types.ts";
import { initBackend } from "../models/backend.ts";
import { PHANTOM_TASK_ID, SHIPPED_CLASSIFIER_SHA256, shippedClassifierPath } from "../tasks/phantom_task.ts";
import { DEFAULT_TASK_OPTIONS, type SparsTaskOptions } from "../tasks/spars_tasks.ts";

const DIR = shippedClassifierPath();

Deno.test("shipped classifier: committed, under 1 MB, its hash is the task's, supervision recorded", async () => {
  const weights = await Deno.readFile(`${DIR}/weights.bin`);
  assert.ok(weights.length < 1_000_000, `${weights.length} bytes`);
  const sha = createHash("sha256").update(weights).digest("hex");
  assert.equal(sha, SHIPPED_CLASSIFIER_SHA256);
  const meta = JSON.parse(await Deno.readTextFile(`${DIR}/classifier.json`));
  assert.equal(meta.weights.sha256, sha);
  assert.equal(meta.supervision, "crops labelled from voxel masks");
  assert.equal(meta.training.script, "scripts/train_shipped_classifier.ts");
  assert.deepEqual(meta.inputShape, [...DEFAULT_TASK_OPTIONS.window!]);
  assert.deepEqual(spec(PHANTOM_TASK_ID).defaults, DEFAULT_TASK_OPTIONS);
});

Deno.test("make('SparsGym/Spars-Phantom-v0') with no argument gives an env that steps", async () => {
  const env = await make<SelfPlayEnv, SparsTaskOptions>(PHANTOM_TASK_ID);
  try {
    const inner = (env.env.scorer as CachedScorer).inner as { supervision?: string; id: string };
    assert.equal(inner.supervision, "crops labelled from voxel masks");
    assert.match(inner.id, new RegExp(SHIPPED_CLASSIFIER_SHA256.slice(0, 12)));
    const [z, y, x] = DEFAULT_TASK_OPTIONS.observationShape!;
    const first = await env.reset({ seed: 3 });
    assert.equal(first.observation.length, z * y * x * 4); // window+position: 4 channels
    let steps = 0;
    for (let i = 0; i < 5; i++) {
      const r = await env.step(i % 6);
      assert.ok(Number.isFinite(r.reward));
      steps++;
      if (r.terminated || r.truncated) break;
    }
    assert.equal(steps, 5);
  } finally {
    env.close();
  }
});

/** Area under the ROC curve by brute force over all (positive, negative) pairs; ties count 1/2. */
function pairwiseAuc(pos: readonly number[], neg: readonly number[]): number {
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

Deno.test("shipped classifier: separates tumour from tumour-free windows on fresh phantoms", async () => {
  await initBackend("wasm", { quiet: true });
  const env = await make<SelfPlayEnv, SparsTaskOptions>(PHANTOM_TASK_ID, {
    data: { ...DEFAULT_TASK_OPTIONS.data, count: 4 },
  });
  const scorer = env.env.scorer;
  env.close();
  const window = DEFAULT_TASK_OPTIONS.window as Vec3, [wz, wy, wx] = window;
  const pos: number[] = [], neg: number[] = [];
  for (const seed of [90_001, 90_002, 90_003]) {
    const c = generatePhantom({ seed, shape: [48, 96, 96], tumours: [1, 3], tumourRadiusMm: [10, 20] });
    const [Z, Y, X] = c.image.shape;
    const corners: number[] = [], tumourVoxels: number[] = [];
    for (let z0 = 0; z0 + wz <= Z; z0 += 12) {
      for (let y0 = 0; y0 + wy <= Y; y0 += 12) {
        for (let x0 = 0; x0 + wx <= X; x0 += 12) {
          let n = 0; // tumour voxels (label 2) in the window, counted from the voxel labels
          for (let z = z0; z < z0 + wz; z++) {
            for (let y = y0; y < y0 + wy; y++) {
              for (let x = x0; x < x0 + wx; x++) if (c.labels!.data[(z * Y + y) * X + x] === 2) n++;
            }
          }
          corners.push(z0, y0, x0);
          tumourVoxels.push(n);
        }
      }
    }
    const scores = await scorer.score(c.image, Int32Array.from(corners), window);
    const enough = 0.01 * wz * wy * wx; // positive: >= 1% of the window is tumour; negative: none
    tumourVoxels.forEach((n, i) => {
      if (n >= enough) pos.push(scores[i]);
      else if (n === 0) neg.push(scores[i]);
    });
  }
  assert.ok(pos.length >= 10 && neg.length >= 100, `${pos.length} positive, ${neg.length} negative windows`);
  const auc = pairwiseAuc(pos, neg);
  console.log(`shipped classifier: window AUC ${auc.toFixed(3)} (${pos.length} pos, ${neg.length} neg)`);
  assert.ok(auc >= 0.75, `AUC ${auc}`); // chance is 0.5; measured 0.832
  (scorer as { dispose?: () => void }).dispose?.();
});
