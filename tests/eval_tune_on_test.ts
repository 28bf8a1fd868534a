/**
 * `deno task eval --tune-on train+val` (issue 12: k-fold with thresholds tuned on the training folds):
 * the sweep runs on exactly the cases outside the test split, the report says its figures there are
 * optimistic, and combinations that would let an evaluated case tune the settings are typed errors.
 */
import assert from "node:assert/strict";
import { phantomDataset } from "../data/dataset.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { splitIds } from "../data/split.ts";
import { parseEvalArgs } from "../eval/eval_cli.ts";
import { casesOf, tuningSet } from "../eval/run_data.ts";
import { evaluateRun } from "../eval/run_eval.ts";
import { scratchDir } from "./_helpers.ts";

// 12 phantoms split with seed 4 (the phantom seed is the split seed): splitIds is the independent reference.
const DATASET = phantomDataset({ count: 12, seed: 4, shape: [16, 32, 32] });
const IDS = DATASET.refs.map((r) => r.id);
const REFERENCE = splitIds(
  IDS,
  4,
  { train: 0.7, val: 0.15, test: 0.15 },
  new Map(DATASET.refs.map((r) => [r.id, r.presence!])),
);
const [TRAIN, VAL] = [REFERENCE.train.length, REFERENCE.val.length];

Deno.test("tuningSet: val alone by default; train+val = every case outside the test split, never a test case", async () => {
  const reference = REFERENCE;
  assert.ok(TRAIN > 0 && VAL > 0 && reference.test.length > 0);
  const idsOf = async (sets: Parameters<typeof casesOf>[0]) => {
    const ids: string[] = [];
    for await (const c of casesOf(sets)) ids.push(c.id);
    return ids;
  };
  const val = tuningSet(DATASET, "val", "test");
  assert.deepEqual(await idsOf(val.sets), [...reference.val].sort());
  assert.equal(val.note, undefined);
  const both = tuningSet(DATASET, "train+val", "test");
  const tuned = await idsOf(both.sets);
  assert.deepEqual([...tuned].sort(), [...reference.train, ...reference.val].sort());
  assert.equal(both.count, TRAIN + VAL);
  assert.ok(!tuned.some((id) => reference.test.includes(id)));
  assert.ok(both.note!.includes(`train and val splits (${TRAIN} + ${VAL} cases)`), both.note);
  assert.match(both.note!, /optimistic/);
});

Deno.test("tuningSet: train+val refuses an evaluated set other than the test split; unknown values name --tune-on", () => {
  for (const evaluated of ["val", "train", "all", "cases"] as const) {
    assert.throws(
      () => tuningSet(DATASET, "train+val", evaluated),
      (e: unknown) => e instanceof InvalidArgumentError && e.message.startsWith("--tune-on:"),
      evaluated,
    );
  }
  assert.throws(() => tuningSet(DATASET, "train" as "val", "test"), /--tune-on.*val \| train\+val/);
  assert.equal(parseEvalArgs(["--run", "r", "--tune-on", "train+val"])?.tuneOn, "train+val");
  assert.equal(parseEvalArgs(["--run", "r"])?.tuneOn, undefined);
  assert.throws(() => parseEvalArgs(["--run", "r", "--tune-on", "all"]), /--tune-on/);
  assert.throws(
    () => parseEvalArgs(["--run", "r", "--tune-on", "val", "--no-sweep"]),
    /--tune-on.*--no-sweep/,
  );
});

Deno.test("evaluateRun --tune-on train+val: the sweep sees every non-test case and the report says so", async () => {
  const run = await scratchDir("eval-tune-on");
  const swept: string[] = [];
  const { result, notes } = await evaluateRun({
    run,
    dataset: DATASET,
    scorer: "oracle",
    methods: ["random"],
    game: { window: [4, 8, 8], stride: 4, maxSteps: 3 },
    starts: 1,
    tuneOn: "train+val",
    nifti: "none",
    overlays: 0,
    onProgress: (e) => {
      if (e.phase === "validation" && !swept.includes(e.caseId)) swept.push(e.caseId);
    },
  });
  const test = DATASET.split("test").refs.map((r) => r.id);
  assert.deepEqual(result.cases.map((c) => c.id).concat(result.skipped.map((s) => s.id)), test);
  assert.deepEqual([...swept].sort(), IDS.filter((id) => !test.includes(id)).sort());
  assert.ok(
    notes.some((n) => n.startsWith(`Settings tuned on the train and val splits (${TRAIN} + ${VAL} cases)`)),
  );
  // The train split would tune on evaluated cases; the val split runs no sweep to tune.
  for (const split of ["train", "val"] as const) {
    await assert.rejects(
      () =>
        evaluateRun({
          run,
          dataset: DATASET,
          split,
          game: { window: [4, 8, 8] },
          scorer: "oracle",
          tuneOn: "train+val",
          force: true,
        }),
      /--tune-on/,
      split,
    );
  }
});
