import assert from "node:assert/strict";
import { join } from "node:path";
import { InvalidArgumentError } from "../data/errors.ts";
import { readNifti, readNiftiLabels } from "../data/nifti_read.ts";
import type { Case, Vec3 } from "../data/types.ts";
import { targetMask } from "../data/tile.ts";
import type { Agent } from "../env/agent.ts";
import { GreedyAgent } from "../env/baseline_agents.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { decodePng } from "../env/png.ts";
import type { Scorer } from "../env/scorer.ts";
import { denseBaseline } from "../eval/dense_baseline.ts";
import { type EvaluationResult, runEvaluation } from "../eval/evaluate.ts";
import { dice, scoreSegmentation, summarize } from "../eval/metrics.ts";
import { parseEvaluationJson } from "../eval/report.ts";
import { mixSeed } from "../eval/players.ts";
import { segment, type SegmentOptions } from "../eval/segment.ts";
import { boxCase } from "./_cases.ts";
import { scratchDir } from "./_helpers.ts";

const BOX = boxCase("box", [4, 32, 32], [0, 16, 18], [4, 8, 12], 2);
const FAR = boxCase("far", [4, 32, 32], [0, 2, 2], [4, 10, 10], 2);
const EMPTY = boxCase("empty", [4, 32, 32], [0, 4, 4], [4, 8, 8], 1); // no target voxel
const CASES: Case[] = [BOX, FAR, EMPTY];
const GAME = { window: [4, 8, 8] as Vec3, stride: 4, maxSteps: 6, tau: 1 };
// A stand-in for the weakly-supervised classifier: the label share under another id (tests only).
const ORACLE = new OracleScorer(CASES, { target: 2 });
const WEAK: Scorer = { id: "share-test", score: (v, c, s) => ORACLE.score(v, c, s) };
// A stateless "policy": always +x.
const EAST: Agent = { name: "east", act: (obs) => Promise.resolve(Int32Array.from(obs, () => 4)) };

// The evaluation's documented defaults: 4 starts seeded per case, refinement +-2 strides around the best window.
const DEFAULTS = (c: Case) => ({
  starts: 4,
  seed: mixSeed(0, c.id, "starts"),
  refineTop: 1,
  refineRadius: 2,
});
// The old single-start, unrefined protocol (hand-checked numbers of segment_test.ts and sweep_test.ts).
const PLAIN = { starts: 1, refineTop: 0 } as const;

async function direct(
  c: Case,
  method: string,
  extra: Partial<SegmentOptions> = PLAIN,
): Promise<{ map: Float32Array; mask: Uint8Array; windowsScored: number }> {
  if (method === "dense") return await denseBaseline(c.image, { scorer: WEAK, ...GAME, mapMode: "sum" });
  const agents = method === "agents" ? EAST : new GreedyAgent();
  const scorer = method === "oracle" ? new OracleScorer([c], { target: 2 }) : WEAK;
  return await segment(c, { ...GAME, threshold: 0.5, ...extra, agents, scorer });
}

Deno.test("runEvaluation: per-case scores equal metrics computed directly; summaries; NaN counts", async () => {
  const progress: string[] = [];
  const r = await runEvaluation({
    cases: CASES,
    target: 2,
    scorer: WEAK,
    policy: EAST,
    game: GAME,
    ...PLAIN,
    onProgress: (e) => progress.push(`${e.caseId}:${e.method}`),
  });
  assert.deepEqual(r.methods.map((m) => m.id), ["agents", "dense", "random", "greedy", "oracle"]);
  assert.equal(progress.length, 15);
  assert.equal(r.cases.length, 3);
  for (const c of CASES) {
    const truth = targetMask(c.labels!, 2);
    const row = r.cases.find((x) => x.id === c.id)!;
    assert.equal(row.truthVoxels, truth.reduce((s, v) => s + v, 0));
    for (const m of ["agents", "dense", "greedy", "oracle"]) {
      const { mask } = await direct(c, m);
      const expected = scoreSegmentation(mask, truth, c.image.shape, c.image.spacing);
      assert.deepEqual(row.methods[m as "dense"]!.scores, expected, `${c.id} ${m}`);
      assert.equal(row.methods[m as "dense"]!.predictedVoxels, mask.reduce((s, v) => s + v, 0));
    }
  }
  // Dense: default threshold tau * coverage = 1 * (4/4)(8/4)(8/4) = 4.
  assert.equal(r.methods[1].setting.threshold, 4);
  assert.ok(Number.isNaN(r.methods[1].setting.tau));
  for (const m of r.methods) {
    const values = r.cases.map((c) => c.methods[m.id]!.scores.dice);
    assert.deepEqual(m.metrics.dice, summarize(values));
    assert.equal(m.metrics.dice.nanCount, 1); // the empty case
    assert.equal(m.lesions.truthCount, 2);
    assert.equal(m.usesVoxelLabels, m.id === "oracle");
  }
  assert.match(r.methods[4].label, /uses voxel labels/);
  assert.equal(r.policy, "east");
  // The random method is seeded per case: a second run gives the same scores.
  const again = await runEvaluation({
    cases: CASES,
    target: 2,
    scorer: WEAK,
    methods: ["random"],
    game: GAME,
    ...PLAIN,
  });
  assert.deepEqual(
    again.cases.map((c) => c.methods.random!.scores),
    r.cases.map((c) => c.methods.random!.scores),
  );
});

Deno.test("runEvaluation: report files hold the numbers; NIfTI masks overlay the source", async () => {
  const dir = await scratchDir("eval-report");
  const r: EvaluationResult = await runEvaluation({
    cases: CASES,
    target: 2,
    scorer: WEAK,
    game: GAME,
    report: { dir, data: "boxes", split: "test", overlays: 1 },
  });
  assert.deepEqual(r.methods.map((m) => m.id), ["dense", "random", "greedy", "oracle"]);
  const json = parseEvaluationJson(await Deno.readTextFile(join(dir, "eval.json"))) as EvaluationResult & {
    split: string;
  };
  assert.equal(json.split, "test");
  const greedy = json.methods.find((m) => m.id === "greedy")!;
  const truthBox = targetMask(BOX.labels!, 2);
  // The evaluation's defaults are segment() at 4 starts seeded per case, refined +-2 strides around the best window.
  const { mask, map, windowsScored } = await direct(BOX, "greedy", DEFAULTS(BOX));
  assert.equal(json.cases[0].methods.greedy!.scores.dice, dice(mask, truthBox));
  assert.equal(json.cases[0].methods.greedy!.windowsScored, windowsScored);
  // The oracle row is the same protocol refined +-3 strides (DEFAULT_ORACLE_REFINE_RADIUS, written by hand).
  const oracle = await direct(BOX, "oracle", { ...DEFAULTS(BOX), refineRadius: 3 });
  const oracleAt2 = await direct(BOX, "oracle", DEFAULTS(BOX));
  assert.equal(json.cases[0].methods.oracle!.windowsScored, oracle.windowsScored);
  assert.ok(oracle.windowsScored > oracleAt2.windowsScored); // the radius is not a no-op on this case
  assert.equal(json.cases[0].methods.oracle!.scores.dice, dice(oracle.mask, truthBox));
  const one = await direct(BOX, "greedy", { ...DEFAULTS(BOX), starts: 1 });
  const fewer = [2, 3].map(async (k) => {
    const o = await segment(BOX, {
      ...GAME,
      threshold: 0.5,
      ...DEFAULTS(BOX),
      starts: k,
      agents: new GreedyAgent(),
      scorer: WEAK,
    });
    return {
      starts: k,
      dice: dice(o.mask, truthBox),
      windowsScored: o.windowsScored,
      steps: o.steps,
      gated: false,
    };
  });
  // Every count 1..4 is reported (default for 4 starts), each run on its own.
  assert.deepEqual(json.cases[0].methods.greedy!.byStarts, [
    { starts: 1, dice: dice(one.mask, truthBox), windowsScored: one.windowsScored, steps: 3, gated: false },
    ...(await Promise.all(fewer)),
    {
      starts: 4,
      dice: dice(mask, truthBox),
      windowsScored,
      steps: json.cases[0].methods.greedy!.steps,
      gated: false,
    },
  ]);
  assert.deepEqual(json.startCounts, [1, 2, 3, 4]);
  assert.deepEqual(json.refine, { radius: 2, top: 1, oracleRadius: 3 });
  assert.ok(Number.isNaN(json.cases[2].methods.greedy!.scores.dice)); // written as "NaN", read back
  assert.equal(greedy.metrics.dice.mean, r.methods.find((m) => m.id === "greedy")!.metrics.dice.mean);
  assert.equal(greedy.metrics.dice.nanCount, 1);
  assert.ok(json.files.includes("eval.md") && json.files.includes("nifti/greedy/box_mask.nii.gz"));
  // eval.md: the Table-1 header, the oracle's label, Dice in %.
  const md = await Deno.readTextFile(join(dir, "eval.md"));
  assert.match(
    md,
    /\| Method \| Supervision \| Scorer \| Dice \| IoU \| Sensitivity \| Specificity \| HD95 \(mm\) \| Windows scored \|/,
  );
  assert.match(
    md,
    /\| Dice @1 start \| Windows @1 \| Dice @2 starts \| Windows @2 \| Dice @3 starts \| Windows @3 \| Dice @4 starts \| Windows @4 \|/,
  );
  assert.match(md, /reported at 1, 2, 3 and 4 \(each chosen on validation on its own\)/);
  assert.ok(md.includes("within ±2 strides per axis of the 1 best occupied window(s)"));
  assert.ok(md.includes("the oracle row (the upper bound) uses ±3 strides"));
  assert.ok(md.includes("![Dice against windows scored](dice_vs_windows.png)"));
  assert.ok(json.files.includes("dice_vs_windows.png"));
  const plot = decodePng(await Deno.readFile(join(dir, "dice_vs_windows.png")));
  // A Vega-Lite chart: a 480x260 plot area plus axes, title and legend.
  assert.ok(plot.width > 480 && plot.height > 260, `${plot.width}x${plot.height}`);
  // Supervision per row: the classifier stand-in gets the default level, the oracle "voxel labels".
  assert.deepEqual(json.methods.map((m) => m.supervision), [
    "crops labelled from voxel masks",
    "crops labelled from voxel masks",
    "crops labelled from voxel masks",
    "voxel labels",
  ]);
  assert.match(md, /\| Greedy agents \| crops labelled from voxel masks \| share-test \|/);
  assert.match(md, /Oracle scorer \+ greedy agents \(uses voxel labels\)/);
  assert.ok(md.includes(`| box | 384 | `));
  assert.ok(md.includes((100 * dice(mask, truthBox)).toFixed(1)));
  // NIfTI: same shape and affine as the source, same voxels as the direct run.
  const labels = await readNiftiLabels(join(dir, "nifti/greedy/box_mask.nii.gz"));
  assert.deepEqual(labels.shape, BOX.image.shape);
  assert.deepEqual(Array.from(labels.affine), Array.from(BOX.image.affine));
  assert.deepEqual(labels.spacing, BOX.image.spacing);
  assert.deepEqual(labels.data, mask);
  const mapBack = await readNifti(join(dir, "nifti/greedy/box_map.nii.gz"));
  assert.deepEqual(mapBack.data, map);
  // Overlays: only the first case with a target (overlays: 1), one PNG per method, 4 panels of
  // 32 px upscaled x6 (192 px) with 8-px margins and gaps; rows: 8 margin, 10 caption, 8, 10 titles,
  // 4, 192 panels, 8, 12 colour bar, 4, 10 bar labels, 8 margin = 274.
  const overlays = [...Deno.readDirSync(join(dir, "overlays"))].map((e) => e.name).sort();
  assert.deepEqual(overlays, ["box__dense.png", "box__greedy.png", "box__oracle.png", "box__random.png"]);
  const png = decodePng(await Deno.readFile(join(dir, "overlays/box__greedy.png")));
  assert.equal(png.width, 8 + 4 * 192 + 3 * 8 + 8);
  assert.equal(png.height, 274);
});

Deno.test("runEvaluation: validation sweep chooses the settings; given settings win", async () => {
  const r = await runEvaluation({
    cases: [BOX],
    target: 2,
    scorer: WEAK,
    methods: ["greedy", "dense"],
    game: GAME,
    ...PLAIN,
    ruleKinds: ["absolute"],
    validation: {
      cases: [BOX, EMPTY],
      taus: [0.5, 1],
      thresholds: { greedy: [0.5, 1, 1.75], dense: [0.5, 2] },
      windows: [[4, 8, 8], [4, 12, 12]],
    },
  });
  // Window ablation at the game's tau (1) with the default sum grid 2^(k/2): the 4x8x8 row is the
  // hand-checked map (values .75 .. 4.25); > 0.125 .. 0.707 gives 5/7, > 1 and > 1.414 give 5/6
  // (first of the tie wins), > 2 gives 320/576.
  const ablation = r.windowAblation!;
  assert.equal(ablation.method, "greedy");
  assert.deepEqual(ablation.rows.map((row) => row.window), [[4, 8, 8], [4, 12, 12]]);
  assert.equal(ablation.rows[0].sweep.best.threshold, 1);
  assert.equal(ablation.rows[0].sweep.best.dice, 640 / 768);
  assert.equal(ablation.rows[0].sweep.meanDice[0][0], 640 / 896);
  assert.equal(ablation.rows[0].sweep.meanDice[0][8], 320 / 576);
  assert.equal(ablation.rows[0].sweep.nanCounts[0][0], 1);
  // The greedy sweep is the hand-checked one of sweep_test.ts: best tau 1, threshold 1 (Dice 5/6).
  const greedy = r.methods.find((m) => m.id === "greedy")!;
  // Gate: BOX best score 1 (Dice 5/6), EMPTY best 0 with an empty mask: no gate beats 0 (ties: smallest).
  assert.deepEqual(greedy.setting, {
    tau: 1,
    threshold: 1,
    rule: { kind: "absolute", value: 1 },
    gate: 0,
    source: "sweep",
    gateSource: "sweep",
  });
  assert.equal(r.cases[0].methods.greedy!.scores.dice, 640 / 768);
  assert.equal(r.sweeps.length, 2); // one rule kind, one number of starts, two methods
  assert.equal(r.methods.find((m) => m.id === "dense")!.setting.source, "sweep");
  const given = await runEvaluation({
    cases: [BOX],
    target: 2,
    scorer: WEAK,
    methods: ["greedy"],
    game: GAME,
    ...PLAIN,
    settings: { greedy: { threshold: 0.5 } },
    validation: { cases: [BOX], taus: [0.5, 1], thresholds: { greedy: [0.5, 1] } },
  });
  assert.deepEqual(given.methods[0].setting, {
    tau: 1,
    threshold: 0.5,
    rule: { kind: "absolute", value: 0.5 },
    gate: 0,
    source: "given",
    gateSource: "sweep",
  });
  assert.equal(given.cases[0].methods.greedy!.scores.dice, 640 / 896);
});

Deno.test("runEvaluation: inconsistent options are typed errors; unlabelled cases are skipped", async () => {
  await assert.rejects(
    () => runEvaluation({ cases: CASES, target: 2, scorer: WEAK, methods: ["agents"] }),
    InvalidArgumentError,
  );
  await assert.rejects(
    () => runEvaluation({ cases: CASES, target: 2, methods: ["greedy"] }),
    InvalidArgumentError,
  );
  const unlabelled: Case = { id: "nolabels", image: BOX.image };
  await assert.rejects(
    () => runEvaluation({ cases: [unlabelled], target: 2, methods: ["oracle"], game: GAME }),
    InvalidArgumentError,
  );
  const r = await runEvaluation({ cases: [unlabelled, BOX], target: 2, methods: ["oracle"], game: GAME });
  assert.deepEqual(r.skipped, [{ id: "nolabels", reason: "no voxel labels" }]);
  assert.equal(r.cases.length, 1);
});
