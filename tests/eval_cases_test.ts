/**
 * Evaluation case lists (`deno task eval --cases a,b` / `--cases-file F`, issue 12) and the CLI's
 * dense cache (`--dense-cache`, `--no-dense-cache`): explicit cases are evaluated exactly, in the
 * order given, unknown ids are typed errors naming the flag and the id before anything is written,
 * and a second `deno task eval` of the same classifier reads the dense scores from the cache.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseCaseList, selectCases } from "../data/case_subset.ts";
import { phantomDataset } from "../data/dataset.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { type CliIo, main, parseEvalArgs } from "../eval/eval_cli.ts";
import type { EvaluationResult } from "../eval/evaluate.ts";
import { parseEvaluationJson } from "../eval/report.ts";
import { evaluateRun } from "../eval/run_eval.ts";
import { initBackend } from "../models/backend.ts";
import { saveClassifier } from "../models/checkpoint.ts";
import { buildClassifier, resolveArchitecture } from "../models/classifier.ts";
import { scratchDir } from "./_helpers.ts";

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [], stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), terminal: false };
}

Deno.test("case lists: commas or lines, # comments; an empty list or a repeated id is a typed error", () => {
  assert.deepEqual(parseCaseList("a, b\n# c,d\ne # f\n\n", "--cases"), ["a", "b", "e"]);
  assert.throws(
    () => parseCaseList(" ,\n# x", "--cases"),
    (e: Error) => e instanceof InvalidArgumentError && /--cases/.test(e.message),
  );
  assert.throws(() => parseCaseList("a,b,a", "--cases"), /--cases.*"a" twice/);
});

Deno.test("case lists: an unknown id names the flag and the id; the subset keeps the order given", () => {
  const ds = phantomDataset({ count: 6, seed: 1, shape: [12, 24, 24] });
  const ids = ds.refs.map((r) => r.id);
  const subset = selectCases(ds, [ids[4], ids[1]], "--cases");
  assert.deepEqual(subset.refs.map((r) => r.id), [ids[4], ids[1]]);
  assert.deepEqual(subset.target, ds.target);
  assert.throws(
    () => selectCases(ds, [ids[0], "phantom-999"], "--cases-file list.txt"),
    (e: Error) =>
      e instanceof InvalidArgumentError && /--cases-file list\.txt/.test(e.message) &&
      /"phantom-999"/.test(e.message),
  );
  assert.throws(() => subset.split("test"), InvalidArgumentError);
});

Deno.test("eval --cases: exactly the cases listed, in order, with a note on those the run trained or tuned on", async () => {
  const run = await scratchDir("eval-cases");
  const dataset = phantomDataset({ count: 8, seed: 2, shape: [16, 32, 32] });
  const train = dataset.split("train").refs.map((r) => r.id),
    test = dataset.split("test").refs.map((r) => r.id);
  const chosen = [test[0], train[0], train[1]];
  const { result, notes } = await evaluateRun({
    run,
    dataset,
    cases: chosen,
    scorer: "oracle",
    methods: ["random"],
    game: { window: [4, 8, 8], stride: 2, maxSteps: 4 },
    sweep: false,
    starts: 1,
    nifti: "none",
    overlays: 0,
  });
  assert.deepEqual([...result.cases.map((c) => c.id), ...result.skipped.map((s) => s.id)], chosen);
  const note = notes.find((n) => n.startsWith("Cases: 3 given by --cases"));
  assert.ok(note?.includes("2 of them in the run's train split and 0 in its val split"), notes.join("\n"));
  await assert.rejects(
    () => evaluateRun({ run, dataset, cases: chosen, split: "test", scorer: "oracle", force: true }),
    /--cases.*--split test/,
  );
});

Deno.test("eval CLI: --cases / --cases-file parse; unknown ids fail before any report is written", async () => {
  const root = await scratchDir("eval-cases");
  assert.deepEqual(parseEvalArgs(["--run", "r", "--cases", "a,b"])?.cases, ["a", "b"]);
  await Deno.writeTextFile(join(root, "ids.txt"), "# held out\nphantom-3\nphantom-1\n");
  const fromFile = parseEvalArgs(["--run", "r", "--cases-file", join(root, "ids.txt")]);
  assert.deepEqual(fromFile?.cases, ["phantom-3", "phantom-1"]);
  assert.equal(fromFile?.casesFlag, `--cases-file ${join(root, "ids.txt")}`);
  assert.throws(
    () => parseEvalArgs(["--run", "r", "--cases", "a", "--split", "all"]),
    /--cases.*--split all/,
  );
  assert.throws(() => parseEvalArgs(["--run", "r", "--cases", "a", "--cases-file", "f"]), /--cases/);
  assert.throws(() => parseEvalArgs(["--run", "r", "--cases-file", join(root, "none.txt")]), /--cases-file/);
  assert.equal(parseEvalArgs(["--run", "runs/x"])?.denseCache, join("runs", ".dense-cache"));
  assert.equal(parseEvalArgs(["--run", "r", "--no-dense-cache"])?.denseCache, null);
  assert.throws(
    () => parseEvalArgs(["--run", "r", "--no-dense-cache", "--dense-cache", "d"]),
    /--no-dense-cache/,
  );

  const run = join(root, "run");
  await Deno.mkdir(run);
  const io = capture();
  const args = ["--run", run, "--phantoms", "10", "--phantom-shape", "16x32x32", "--scorer", "oracle"];
  const known = phantomDataset({ count: 10, seed: 0, shape: [16, 32, 32] }).refs[0].id;
  assert.equal(await main([...args, "--cases", `${known},phantom-77`], io), 1);
  assert.match(io.stderr.join(""), /--cases.*"phantom-77"/);
  assert.equal(
    await Deno.stat(join(run, "eval")).then(() => true, () => false),
    false,
    "a report was written",
  );
});

Deno.test("eval CLI: the second evaluation of a classifier reads its dense scores from the cache beside the run", async () => {
  const root = await scratchDir("eval-cases");
  const run = join(root, "run");
  const architecture = resolveArchitecture({ inputShape: [4, 8, 8], hiddenUnits: [8] });
  await initBackend("cpu", { quiet: true });
  await saveClassifier(buildClassifier(architecture, 1), join(run, "classifier"), {
    intensityWindow: [-200, 250],
    architecture,
  });
  const args = [
    ...[
      "--run",
      run,
      "--phantoms",
      "10",
      "--phantom-shape",
      "16x32x32",
      "--window",
      "4x8x8",
      "--stride",
      "4",
    ],
    ...[
      "--backend",
      "cpu",
      "--methods",
      "dense",
      "--limit",
      "1",
      "--no-sweep",
      "--nifti",
      "none",
      "--overlays",
      "0",
    ],
  ];
  const report = async (out: string) =>
    parseEvaluationJson(await Deno.readTextFile(join(out, "eval.json"))) as EvaluationResult & {
      notes: string[];
    };
  const first = capture();
  assert.equal(await main([...args, "--out", join(run, "eval1")], first), 0, first.stderr.join(""));
  const entries = () =>
    [...Deno.readDirSync(join(root, ".dense-cache"))].filter((e) => e.name.endsWith(".dense"));
  assert.equal(entries().length, 1);
  const second = capture();
  assert.equal(await main([...args, "--out", join(run, "eval2")], second), 0, second.stderr.join(""));
  const [r1, r2] = [await report(join(run, "eval1")), await report(join(run, "eval2"))];
  assert.ok(!r1.notes.some((n) => n.includes("dense cache")));
  assert.ok(
    r2.notes.some((n) => n.includes("1 case evaluation(s)") && n.includes("dense cache")),
    r2.notes.join("\n"),
  );
  assert.deepEqual(r2.cases[0].methods.dense!.scores, r1.cases[0].methods.dense!.scores);
  const off = capture();
  assert.equal(await main([...args, "--out", join(run, "eval3"), "--no-dense-cache"], off), 0);
  assert.ok(!(await report(join(run, "eval3"))).notes.some((n) => n.includes("dense cache")));
  assert.equal(entries().length, 1);
});
