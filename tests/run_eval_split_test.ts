/**
 * `deno task eval --run` on a folder dataset evaluates the test split training used: the run's
 * recorded split seed (`data.seed` of config.json), not the default seed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openDataset } from "../data/dataset.ts";
import { writeNifti } from "../data/nifti_write.ts";
import { splitIds } from "../data/split.ts";
import { diagonalAffine, type Vec3 } from "../data/types.ts";
import { readRunConfig } from "../eval/run_config.ts";
import { openRunData } from "../eval/run_eval.ts";
import { scratchDir } from "./_helpers.ts";

Deno.test("eval of a run with split seed 7 opens the test split training used (folder dataset)", async () => {
  const root = await scratchDir("eval-split");
  const dir = join(root, "data");
  await Deno.mkdir(dir);
  const shape: Vec3 = [2, 2, 2], spacing: Vec3 = [1, 1, 1];
  const ids = Array.from({ length: 20 }, (_, k) => `case${String(k).padStart(2, "0")}`);
  for (const [k, id] of ids.entries()) {
    const data = new Float32Array(8).fill(k);
    await writeNifti(join(dir, `${id}.nii`), { id, shape, spacing, affine: diagonalAffine(spacing), data });
  }
  const presence = (k: number) => (k % 2) as 0 | 1;
  await Deno.writeTextFile(
    join(dir, "labels.csv"),
    "case,presence\n" + ids.map((id, k) => `${id},${presence(k)}`).join("\n") + "\n",
  );
  // A run trained with --seed 3 and split seed (data.seed) 7, as the pipeline writes config.json.
  const run = join(root, "run");
  await Deno.mkdir(run);
  await Deno.writeTextFile(
    join(run, "config.json"),
    JSON.stringify({ data: { spec: dir, count: 24, seed: 7, shape: [32, 64, 64], target: null }, seed: 3 }),
  );

  // What training split: the seeded, stratified split of the sorted ids with seed 7.
  const strata = new Map(ids.map((id, k) => [id, presence(k)]));
  const trained = splitIds(ids, 7, { train: 0.7, val: 0.15, test: 0.15 }, strata);
  const other = splitIds(ids, 0, { train: 0.7, val: 0.15, test: 0.15 }, strata);
  assert.notDeepEqual([...other.test].sort(), [...trained.test].sort(), "seeds 0 and 7 must differ here");
  // ... and the pipeline's own opening of the data (openDataset with data.seed) agrees.
  const training = await openDataset(dir, { seed: 7 });
  assert.deepEqual(training.split("test").refs.map((r) => r.id), [...trained.test].sort());

  const { dataset } = await openRunData({ run }, await readRunConfig(run));
  const testIds = dataset.split("test").refs.map((r) => r.id);
  assert.deepEqual(testIds, [...trained.test].sort());
  const trainIds = new Set(trained.train);
  assert.ok(testIds.every((id) => !trainIds.has(id)), "no training case in the evaluated test split");
  assert.deepEqual(dataset.split("val").refs.map((r) => r.id), [...trained.val].sort());
  await Deno.remove(root, { recursive: true });
});
