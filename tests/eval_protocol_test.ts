/**
 * Evaluation protocol on real-data sizes (issue 12): k-fold splits (`train --fold I/K`, read back by
 * eval from config.json) put every case in exactly one test fold and never tune on the test fold;
 * `eval --split all` evaluates every case exactly once; a sweep where every setting gives the same
 * Dice is reported as uninformative instead of silently resolved by its tie-break.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { phantomDataset } from "../data/dataset.ts";
import { writeNifti } from "../data/nifti_write.ts";
import { foldIds, foldSplit } from "../data/split.ts";
import { diagonalAffine, type Vec3 } from "../data/types.ts";
import { dataNotes, readRunConfig } from "../eval/run_config.ts";
import { openRunData } from "../eval/run_data.ts";
import { ALL_SPLIT_NOTE, evaluateRun } from "../eval/run_eval.ts";
import { chooseRule, type RuleSweepCase } from "../eval/rule_sweep.ts";
import { summarizeSweep } from "../eval/sweep.ts";
import { sweepMarkdown } from "../eval/sweep_report.ts";
import { parseTrainArgs } from "../train/train_options.ts";
import {
  type ClassifierCliConfig,
  openClassifierData,
  parseClassifierCliArgs,
} from "../train/classifier_cli.ts";
import { openTrainData } from "../train/train_data.ts";
import { scratchDir } from "./_helpers.ts";

/** How many times each id occurs in `lists`, as id -> count. */
function occurrences(lists: readonly (readonly string[])[]): Map<string, number> {
  const n = new Map<string, number>();
  for (const l of lists) for (const id of l) n.set(id, (n.get(id) ?? 0) + 1);
  return n;
}

Deno.test("k-fold: every case is in exactly one test fold; val is another fold; train the rest", () => {
  for (const [count, k] of [[6, 6], [6, 3], [10, 4], [7, 3]]) {
    const ids = Array.from({ length: count }, (_, i) => `case${i}`);
    const strata = new Map(ids.map((id, i) => [id, (i % 3 === 0 ? 0 : 1) as 0 | 1]));
    const folds = foldIds(ids, 5, k, strata);
    assert.deepEqual(occurrences(folds), new Map(ids.map((id) => [id, 1])));
    assert.ok(Math.max(...folds.map((f) => f.length)) - Math.min(...folds.map((f) => f.length)) <= 1);
    const tests: string[][] = [];
    for (let fold = 1; fold <= k; fold++) {
      const s = foldSplit(ids, 5, { k, fold }, strata);
      tests.push(s.test);
      // Within a fold: the three splits partition the cases, and val is not the test fold.
      assert.deepEqual(occurrences([s.train, s.val, s.test]), new Map(ids.map((id) => [id, 1])));
      assert.ok(s.val.length > 0 && s.test.length > 0 && s.train.length > 0);
    }
    assert.deepEqual(occurrences(tests), new Map(ids.map((id) => [id, 1])), `${count} cases, ${k} folds`);
  }
  assert.throws(() => foldSplit(["a", "b", "c"], 0, { k: 2, fold: 1 }), /k >= 3/);
  assert.throws(() => foldSplit(["a", "b", "c"], 0, { k: 3, fold: 4 }), /fold/);
});

Deno.test("k-fold: train --fold I/K and eval (from config.json) hold out the same cases; all folds cover all", async () => {
  const root = await scratchDir("eval-folds");
  const dir = join(root, "data");
  await Deno.mkdir(dir);
  const shape: Vec3 = [2, 2, 2], spacing: Vec3 = [1, 1, 1];
  const ids = Array.from({ length: 6 }, (_, k) => `case${k}`);
  for (const [k, id] of ids.entries()) {
    const data = new Float32Array(8).fill(k + 1);
    await writeNifti(join(dir, `${id}.nii`), { id, shape, spacing, affine: diagonalAffine(spacing), data });
  }
  const heldOut: string[][] = [];
  for (let fold = 1; fold <= 3; fold++) {
    const r = parseTrainArgs(["--data", dir, "--fold", `${fold}/3`, "--split-seed", "4"], join(root, "run"));
    assert.ok(r.kind === "train");
    if (r.kind !== "train") return;
    const run = join(root, `run${fold}`);
    await Deno.mkdir(run);
    await Deno.writeTextFile(join(run, "config.json"), JSON.stringify(r.config));
    const { dataset } = await openRunData({ run }, await readRunConfig(run));
    const test = dataset.split("test").refs.map((x) => x.id);
    assert.deepEqual(test, (await openTrainData(r.config)).split("test").refs.map((x) => x.id));
    const train = dataset.split("train").refs.map((x) => x.id),
      val = dataset.split("val").refs.map((x) => x.id);
    assert.ok(test.every((id) => !train.includes(id) && !val.includes(id)), "tuned on the test fold");
    heldOut.push(test);
  }
  assert.deepEqual(occurrences(heldOut), new Map(ids.map((id) => [id, 1])));
  // train:classifier with the same --fold and --split-seed holds out the same test fold.
  const cli = parseClassifierCliArgs(["--data", dir, "--fold", "3/3", "--split-seed", "4", "--seed", "9"]);
  assert.ok(cli !== "help");
  const classifierData = await openClassifierData(cli as ClassifierCliConfig);
  assert.deepEqual(classifierData.split("test").refs.map((x) => x.id), heldOut[2]);
  assert.throws(() => parseTrainArgs(["--fold", "1/3", "--split", "0.5,0.25,0.25"], "r"), /--fold/);
  assert.throws(() => parseTrainArgs(["--fold", "4/3"], "r"), /--fold/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("eval --split all: every case of the dataset is evaluated exactly once, with a note", async () => {
  const run = await scratchDir("eval-split-all");
  const dataset = phantomDataset({ count: 8, seed: 2, shape: [16, 32, 32] });
  const { result, notes } = await evaluateRun({
    run,
    dataset,
    split: "all",
    scorer: "oracle",
    methods: ["random"],
    game: { window: [4, 8, 8], stride: 2, maxSteps: 4 },
    sweep: false,
    starts: 1,
    nifti: "none",
    overlays: 0,
  });
  const evaluated = [...result.cases.map((c) => c.id), ...result.skipped.map((s) => s.id)];
  assert.deepEqual(occurrences([evaluated]), new Map(dataset.refs.map((r) => [r.id, 1])));
  assert.ok(notes.includes(ALL_SPLIT_NOTE));
});

Deno.test("an all-zero sweep is reported as uninformative, not as a tuned choice", () => {
  const zeros = [{ id: "a", dice: [[0, 0], [0, 0]] }, { id: "b", dice: [[0, 0], [0, 0]] }];
  const flat = summarizeSweep("greedy", { taus: [0.1, 0.3], thresholds: [0.2, 0.5] }, zeros);
  assert.equal(flat.uninformative, true);
  assert.match(sweepMarkdown(flat), /UNINFORMATIVE/);
  const informative = summarizeSweep("greedy", { taus: [0.1, 0.3], thresholds: [0.2, 0.5] }, [
    { id: "a", dice: [[0, 0.4], [0, 0]] },
  ]);
  assert.equal(informative.uninformative, false);
  assert.doesNotMatch(sweepMarkdown(informative), /UNINFORMATIVE/);
  const ruleCase = (d: number): RuleSweepCase => ({
    id: `c${d}`,
    positive: true,
    bestScores: [[0.9]],
    dice: [[[[d, d]], [[d]]]],
    empty: [[[[false, false]], [[false]]]],
  });
  const grid = {
    taus: [0.3],
    rules: [{ kind: "absolute" as const, values: [0.1, 0.2] }, { kind: "peak" as const, values: [0.5] }],
    starts: [1],
  };
  assert.equal(chooseRule("random", grid, [ruleCase(0), ruleCase(0)], 0, 0).uninformative, true);
  assert.equal(chooseRule("random", grid, [ruleCase(0), ruleCase(0.5)], 0, 0).uninformative, true);
  const varied: RuleSweepCase = { ...ruleCase(0), id: "v", dice: [[[[0, 0.3]], [[0.1]]]] };
  assert.equal(chooseRule("random", grid, [varied], 0, 0).uninformative, false);
});

Deno.test("report licence lines follow the BraTS release named in the data path", () => {
  assert.match(dataNotes("../shared/data/real/brats2018")[0], /BraTS 2018 .*BraTS 2018 data terms/);
  assert.match(dataNotes("/data/Brats18_TCIA01_201_1")[0], /BraTS 2018/);
  assert.match(dataNotes("/data/BraTS2015_train")[0], /BraTS 2015/);
  assert.doesNotMatch(dataNotes("/data/BraTS2015_train")[0], /2018/);
  assert.match(dataNotes("/data/brats")[0], /release not named/);
});
