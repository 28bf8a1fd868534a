import assert from "node:assert/strict";
import { join } from "node:path";
import { InvalidArgumentError } from "../data/errors.ts";
import { initBackend } from "../models/backend.ts";
import { patchData } from "../train/patch_train.ts";
import { parseBaselinesArgs, runBaselines, RUNNABLE_TASKS } from "../bench/baselines.ts";
import { patchTaskTrainConfig } from "../bench/baselines_games.ts";
import { bestIndex, RULE_GRID } from "../bench/baselines_spars.ts";
import {
  BASELINES_MARKER,
  baselinesMarkdown,
  type BaselineTask,
  formatDice,
  formatSeconds,
  meanSd,
  taskTable,
} from "../bench/baselines_table.ts";
import { PATCH_TASK_OPTIONS, patchTaskCases, taskCases } from "../mod.ts";
import { DEFAULT_TASK_OPTIONS } from "../tasks/spars_tasks.ts";

async function tempDir(): Promise<string> {
  await Deno.mkdir(".tmp", { recursive: true });
  return await Deno.makeTempDir({ dir: ".tmp", prefix: "baselines-test-" });
}

async function rejects(args: string[], flag: string): Promise<void> {
  await assert.rejects(
    () => parseBaselinesArgs(args),
    (e: unknown) => e instanceof InvalidArgumentError && e.message.includes(flag),
    `${args.join(" ")} should be refused naming ${flag}`,
  );
}

Deno.test("baselines args: defaults, --help, and every bad value refused naming its flag", async () => {
  const dir = await tempDir();
  try {
    const out = join(dir, "B.md");
    const r = await parseBaselinesArgs(["--out", out]);
    assert.notEqual(r, "help");
    if (r === "help") return;
    assert.deepEqual(r.tasks, RUNNABLE_TASKS);
    assert.deepEqual(r.seeds, [0, 1, 2]);
    assert.equal(r.ppoSteps, 8192);
    assert.deepEqual(r.ppoSkip, ["SparsGym/Spars-Oracle-Paper-v0"]);
    assert.equal(r.maxCases, undefined);
    assert.equal(await parseBaselinesArgs(["--help"]), "help");
    // --tasks keeps the display order whatever the order typed.
    const two = await parseBaselinesArgs([
      "--out",
      out,
      "--tasks",
      "SparsGym/Pixel-Phantom-v0,SparsGym/Spars-Oracle-v0",
      "--seeds",
      "4",
    ]);
    assert.ok(two !== "help");
    assert.deepEqual(two.tasks, ["SparsGym/Spars-Oracle-v0", "SparsGym/Pixel-Phantom-v0"]);
    assert.deepEqual(two.seeds, [4]);

    await rejects(["--out", out, "--seeds", "a"], "--seeds");
    await rejects(["--out", out, "--seeds", "-1"], "--seeds");
    await rejects(["--out", out, "--seeds", "0,0"], "--seeds");
    await rejects(["--out", out, "--seeds", "1.5"], "--seeds");
    await rejects(["--out", out, "--tasks", "SparsGym/Nope-v0"], "--tasks");
    await rejects(["--out", out, "--tasks", "SparsGym/Spars-Classifier-v0"], "--tasks");
    await rejects(["--out", out, "--tasks", ""], "--tasks");
    await rejects(["--out", out, "--ppo-steps", "-5"], "--ppo-steps");
    await rejects(["--out", out, "--ppo-envs", "0"], "--ppo-envs");
    await rejects(["--out", out, "--pixel-seconds", "x"], "--pixel-seconds");
    await rejects(["--out", out, "--max-cases", "0"], "--max-cases");
    await rejects(["--out", out, "--ppo-skip", "SparsGym/Nope-v0"], "--ppo-skip");
    await rejects(["--out", out, "--bogus", "1"], "arguments");
    await rejects(["--out", join(dir, "missing", "B.md")], "--out");
    await rejects(["--out", dir], "--out"); // a folder
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("baselines args: --out replaces only a file this command wrote", async () => {
  const dir = await tempDir();
  try {
    const foreign = join(dir, "README.md");
    await Deno.writeTextFile(foreign, "# someone's notes\n");
    await rejects(["--out", foreign], "--out");
    assert.equal(await Deno.readTextFile(foreign), "# someone's notes\n"); // untouched
    // The marker must be the FIRST line, not anywhere.
    await Deno.writeTextFile(foreign, `# notes\n${BASELINES_MARKER}\n`);
    await rejects(["--out", foreign], "--out");
    const own = join(dir, "BASELINES.md");
    await Deno.writeTextFile(own, `${BASELINES_MARKER}\n\nold table\n`);
    const r = await parseBaselinesArgs(["--out", own]);
    assert.ok(r !== "help" && r.out === own);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("baselines table: mean and sample sd over seeds, formatted as percent (by hand)", () => {
  // 0.2, 0.4, 0.6: mean 0.4; deviations -0.2, 0, 0.2; squares 0.08 / (3 - 1) = 0.04; sd 0.2.
  const { mean, sd } = meanSd([0.2, 0.4, 0.6]);
  assert.ok(Math.abs(mean - 0.4) < 1e-12 && Math.abs(sd - 0.2) < 1e-12);
  assert.equal(formatDice([0.2, 0.4, 0.6]), "40.0 +- 20.0");
  // 0.5, 0.7: mean 0.6; squares 0.01 + 0.01 = 0.02 / 1; sd = 0.1414...
  assert.equal(formatDice([0.5, 0.7]), "60.0 +- 14.1");
  assert.equal(formatDice([0.123]), "12.3"); // one seed: no sd
  assert.equal(formatDice([]), "-");
  assert.ok(Number.isNaN(meanSd([1]).sd));
  assert.equal(formatSeconds(1505), "25 min 5 s");
  assert.equal(formatSeconds(42.4), "42 s");

  const lines = taskTable([
    {
      method: "random agents",
      supervision: "voxel labels (oracle scorer)",
      dicePerSeed: [0.1, 0.2, 0.3],
      cases: 12,
      costPerSeed: [90, 100, 110],
      costUnit: "windows scored",
      rules: ["peak:0.5", "peak:0.6", "absolute:0.5"],
    },
    { method: "dense", supervision: "x", dicePerSeed: [0.5], deterministic: true, cases: 12 },
    { method: "greedy", supervision: "y", dicePerSeed: [0.25, 0.75], cases: 3, costPerSeed: [2.5, 3.5] },
  ]);
  assert.equal(lines.length, 5);
  // 0.1, 0.2, 0.3: mean 20.0 %, sd 10.0 %; cost mean 100.
  assert.equal(
    lines[2],
    "| random agents | voxel labels (oracle scorer) | 20.0 +- 10.0 | 12 | 100 windows scored | peak:0.5, peak:0.6, absolute:0.5 | 3 |",
  );
  assert.equal(lines[3], "| dense | x | 50.0 | 12 | - | - | deterministic |");
  // 0.25, 0.75: mean 50, sd sqrt(0.125) = 0.35355 -> 35.4; cost (2.5 + 3.5) / 2 = 3.0.
  assert.equal(lines[4], "| greedy | y | 50.0 +- 35.4 | 3 | 3.0 | - | 2 |");
});

Deno.test("baselines markdown: marker first, header, sections and not-run reasons", () => {
  const tasks: BaselineTask[] = [
    {
      id: "A/Task-v0",
      description: "first task",
      rows: [{ method: "m", supervision: "s", dicePerSeed: [0.4], cases: 2 }],
      notes: ["budget 10 steps"],
      seconds: 61,
    },
    {
      id: "A/Other-v0",
      description: "second",
      rows: [],
      notes: [],
      seconds: 0,
      notRun: "needs a checkpoint",
    },
  ];
  const md = baselinesMarkdown({
    command: "deno task baselines --seeds 0",
    seeds: [0],
    seconds: 125,
    machine: "2 cores",
    date: "2026-01-02",
  }, tasks);
  const lines = md.split("\n");
  assert.equal(lines[0], BASELINES_MARKER);
  assert.ok(md.includes("```sh\ndeno task baselines --seeds 0\n```"));
  assert.ok(md.includes("2 min 5 s on 2 cores, 2026-01-02."));
  assert.ok(md.includes("## A/Task-v0\n\nfirst task.\n\n| method |"));
  assert.ok(md.includes("| m | s | 40.0 | 2 | - | - | 1 |"));
  assert.ok(md.includes("- budget 10 steps\n- Wall time 1 min 1 s."));
  assert.ok(md.includes("## A/Other-v0\n\nsecond.\n\nNot run: needs a checkpoint."));
});

Deno.test("baselines: the rule grid and its choice (NaN never wins, ties keep the first)", () => {
  assert.equal(RULE_GRID.length, 10);
  assert.deepEqual(RULE_GRID[0], { kind: "absolute", value: 0.5 });
  assert.deepEqual(RULE_GRID.slice(1).map((r) => r.value), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
  assert.equal(bestIndex([0.1, 0.5, 0.3]), 1);
  assert.equal(bestIndex([NaN, 0.2, 0.2]), 1);
  assert.equal(bestIndex([0.4, NaN, 0.4]), 0);
});

Deno.test("baselines: the patch learner plays the task's data, split and rules", () => {
  const c = patchTaskTrainConfig(PATCH_TASK_OPTIONS, 3, 7);
  assert.equal(c.seed, 3);
  assert.equal(c.updates, 7);
  assert.equal(c.cases, 60);
  assert.deepEqual(c.shape, [1, 64, 64]);
  assert.equal(c.mirror, false);
  assert.deepEqual(c.grid, [1, 8, 8]);
  assert.equal(c.presenceThreshold, 0.3);
  assert.equal(c.terminationWeight, 100); // the game's default: the task sets no other
  assert.equal(c.earlyTerminationPenalty, 1);
  // trainPatch's cases for this config are the task's (the same phantoms, split and order).
  const played = patchData(c);
  assert.deepEqual(
    played.test.map((x) => x.id),
    patchTaskCases(PATCH_TASK_OPTIONS.data, "test").map((x) => x.id),
  );
  assert.deepEqual(
    played.train.map((x) => x.id),
    patchTaskCases(PATCH_TASK_OPTIONS.data, "train").map((x) => x.id),
  );
});

Deno.test("baselines end to end: one small task, one seed, tiny budgets; reruns only over its own file", async () => {
  await initBackend("wasm"); // as the command
  const dir = await tempDir();
  try {
    const out = join(dir, "BASELINES.md");
    const args = [
      "--tasks",
      "SparsGym/Spars-Oracle-v0",
      "--seeds",
      "5",
      "--out",
      out,
      "--ppo-steps",
      "256",
      "--max-cases",
      "3",
      "--val-cases",
      "1",
    ];
    const r = await parseBaselinesArgs(args);
    assert.ok(r !== "help");
    const lines: string[] = [];
    const sections = await runBaselines(r, "deno task baselines " + args.join(" "), (l) => lines.push(l));
    assert.ok(lines.some((l) => l.includes("dense sliding window")), "progress lines");
    const md = await Deno.readTextFile(out);
    assert.equal(md.split("\n")[0], BASELINES_MARKER);
    const oracle = sections.find((s) => s.id === "SparsGym/Spars-Oracle-v0")!;
    assert.deepEqual(oracle.rows.map((x) => x.method.split(" ")[0]), ["random", "greedy", "dense", "PPO"]);
    // Cases with tumour among the first 3 test cases, counted from the labels here.
    const test = (await taskCases(DEFAULT_TASK_OPTIONS.data, "test")).slice(0, 3);
    const positives = test.filter((c) => c.labels!.data.some((v) => v === 2)).length;
    for (const row of oracle.rows) {
      assert.equal(row.cases, positives, row.method);
      for (const d of row.dicePerSeed) assert.ok(d >= 0 && d <= 1, `${row.method}: ${d}`);
    }
    // The dense row scores the whole lattice: (48-12)/4+1 = 10 by (96-24)/4+1 = 19 by 19 corners.
    assert.deepEqual(oracle.rows[2].costPerSeed, [10 * 19 * 19]);
    for (const id of RUNNABLE_TASKS.slice(1)) {
      assert.ok(md.includes(`## ${id}`) && md.includes("not in --tasks"));
    }
    assert.ok(md.includes("Not run: it needs a classifier checkpoint"));
    // A second run may replace the file it wrote; a foreign file is refused before anything runs.
    assert.ok((await parseBaselinesArgs(args)) !== "help");
    await Deno.writeTextFile(out, "hand-written\n");
    await rejects(args, "--out");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
