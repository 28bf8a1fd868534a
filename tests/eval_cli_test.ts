import assert from "node:assert/strict";
import { join } from "node:path";
import { type CliIo, HELP, main, parseEvalArgs, progressLine } from "../eval/eval_cli.ts";
import type { EvaluationResult } from "../eval/evaluate.ts";
import { parseEvaluationJson } from "../eval/report.ts";
import { evaluateRun } from "../eval/run_eval.ts";
import { phantomDataset } from "../data/dataset.ts";
import { readNiftiLabels } from "../data/nifti_read.ts";
import { initBackend } from "../models/backend.ts";
import { buildClassifier, resolveArchitecture } from "../models/classifier.ts";
import { saveClassifier } from "../models/checkpoint.ts";
import { PolicyNetwork } from "../agents/policy_network.ts";
import { savePolicy } from "../agents/policy_io.ts";
import { Rng } from "../data/random.ts";
import { scratchDir } from "./_helpers.ts";
import { NO_ORT } from "./_onnx.ts";

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [], stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), terminal: false };
}

// 10 small phantoms: split 7/1/2 by the dataset's stratified split; oracle scorer so no checkpoint is needed.
const SMALL = [
  ...["--phantoms", "10", "--phantom-shape", "16x32x32", "--window", "4x8x8", "--stride", "2"],
  ...["--max-steps", "8", "--scorer", "oracle", "--nifti", "masks", "--overlays", "1"],
];

Deno.test("eval CLI: --help, usage errors and argument parsing", async () => {
  const io = capture();
  assert.equal(await main(["--help"], io), 0);
  assert.equal(io.stdout.join(""), HELP);
  assert.match(HELP, /deno task eval --run <run>/);
  const bad = capture();
  assert.equal(await main([], bad), 2);
  assert.match(bad.stderr.join(""), /--run: is missing/);
  assert.equal(await main(["--run", "x", "--window", "4x8"], capture()), 2);
  assert.equal(await main(["--run", "x", "--methods", "dense,magic"], capture()), 2);
  assert.equal(await main(["--run", "x", "--bogus"], capture()), 2);
  const o = parseEvalArgs([
    "--run",
    "r",
    "--window",
    "4x8x8",
    "--tau",
    "0.4",
    "--methods",
    "dense, greedy",
    "--no-sweep",
  ])!;
  assert.deepEqual(o.game, { window: [4, 8, 8], tau: 0.4 });
  assert.deepEqual(o.methods, ["dense", "greedy"]);
  assert.equal(o.sweep, false);
  assert.equal(o.scorer, undefined);
  const n = parseEvalArgs([
    ...["--run", "r", "--mask-rule", "peak:0.5", "--rule-kinds", "peak, visit", "--gate", "0.4"],
    ...["--refine-radius", "0", "--refine-top", "3", "--pairing", "argmax-twins", "--policy-mode", "greedy"],
    ...["--starts", "2", "--scorer-supervision", "image-level"],
    ...["--oracle-refine-radius", "4", "--oracle-rule-kinds", "deconv,peak"],
  ])!;
  assert.deepEqual([n.oracleRefineRadius, n.oracleRuleKinds], [4, ["deconv", "peak"]]);
  assert.deepEqual(n.rule, { kind: "peak", value: 0.5 });
  assert.deepEqual(n.ruleKinds, ["peak", "visit"]);
  assert.deepEqual([n.gate, n.refineRadius, n.refineTop, n.starts], [0.4, 0, 3, 2]);
  assert.deepEqual([n.pairing, n.policyMode, n.scorerSupervision], ["argmax-twins", "greedy", "image-level"]);
  assert.equal(parseEvalArgs(["--run", "r", "--gate", "auto"])!.gate, undefined);
  for (
    const [flag, value] of [
      ["--mask-rule", "peak:1.5"],
      ["--rule-kinds", "peak,magic"],
      ["--gate", "1.5"],
      ["--refine-radius", "-1"],
      ["--refine-top", "0.5"],
      ["--pairing", "mirror"],
      ["--starts", "0"],
      ["--scorer-supervision", "weak"],
    ]
  ) {
    const usage = capture();
    assert.equal(await main(["--run", "x", `${flag}=${value}`], usage), 2, `${flag} ${value}`);
    assert.match(usage.stderr.join(""), new RegExp(`error: ${flag}`), `${flag} ${value}`);
  }
  assert.match(HELP, /--mask-rule R/);
  assert.match(HELP, /--scorer-supervision LEVEL/);
  assert.deepEqual(parseEvalArgs(["--run", "r", "--ablate-windows", "4x8x8, 4x12x12"])!.ablateWindows, [[
    4,
    8,
    8,
  ], [
    4,
    12,
    12,
  ]]);
  const missing = capture();
  assert.equal(await main(["--run", "/nonexistent/run"], missing), 1);
  assert.match(missing.stderr.join(""), /is not a folder/);
});

Deno.test("eval CLI: without a classifier checkpoint it says what to do", async () => {
  const run = await scratchDir("eval-cli-noclf");
  const io = capture();
  assert.equal(await main(["--run", run, ...SMALL.filter((a) => a !== "--scorer" && a !== "oracle")], io), 1);
  assert.match(io.stderr.join(""), /holds no classifier checkpoint/);
});

Deno.test("eval CLI: writes the report into the run folder, never over an existing one without --force", async () => {
  const run = await scratchDir("eval-cli");
  // Game options come from the run's config.json when not given on the command line.
  await Deno.writeTextFile(join(run, "config.json"), JSON.stringify({ env: { maxSteps: 5, tau: 0.5 } }));
  const io = capture();
  assert.equal(
    await main(["--run", run, ...SMALL, "--ablate-windows", "4x8x8,4x12x12"], io),
    0,
    io.stderr.join(""),
  );
  const printed = io.stdout.join("");
  assert.match(printed, /No trained policy was given/);
  assert.match(printed, /Dense sliding window \(no RL\) \(uses voxel labels\)/);
  assert.match(printed, /Oracle scorer \+ greedy agents \(uses voxel labels\)/);
  assert.match(io.stderr.join(""), /\[#+\.*\] \d+\/\d+ test /);
  const dir = join(run, "eval");
  const json = parseEvaluationJson(await Deno.readTextFile(join(dir, "eval.json"))) as EvaluationResult & {
    split: string;
    notes: string[];
  };
  assert.equal(json.split, "test");
  assert.equal(json.game.maxSteps, 8); // command line wins over config.json
  assert.equal(json.game.tau, 0.5); // config.json wins over the default
  assert.equal(json.game.window[2], 8);
  assert.ok(json.methods.every((m) => m.usesVoxelLabels));
  assert.deepEqual(json.methods.map((m) => m.id), ["dense", "random", "greedy", "oracle"]);
  assert.ok(json.notes.some((n) => /ORACLE/.test(n)));
  // 4 numbers of starts (1..4, the default 4) x (3 methods x 3 rule kinds + the oracle's 4, deconv
  // included); one choice per (method, starts).
  assert.equal(json.sweeps.length, 4 * (3 * 3 + 4));
  assert.equal(json.choices!.length, 16);
  assert.deepEqual(json.startCounts, [1, 2, 3, 4]);
  assert.ok(json.methods.every((m) => m.supervision === "voxel labels"));
  assert.deepEqual(json.windowAblation!.rows.map((r) => r.window), [[4, 8, 8], [4, 12, 12]]);
  assert.ok((await Deno.stat(join(dir, "window_ablation.png"))).size > 0);
  assert.match(
    await Deno.readTextFile(join(dir, "eval.md")),
    /## Window-size ablation \(validation, greedy, tau 0.5\)/,
  );
  for (const c of json.cases) {
    const mask = await readNiftiLabels(join(dir, `nifti/greedy/${c.id}_mask.nii.gz`));
    assert.deepEqual(mask.shape, [16, 32, 32]);
    assert.equal(mask.data.reduce((s, v) => s + v, 0), c.methods.greedy!.predictedVoxels);
  }
  // Again without --force: refused, report untouched; with --force: replaced, no temp folder left.
  const before = await Deno.readTextFile(join(dir, "eval.json"));
  const again = capture();
  assert.equal(await main(["--run", run, ...SMALL], again), 1);
  assert.match(again.stderr.join(""), /already exists/);
  assert.equal(await Deno.readTextFile(join(dir, "eval.json")), before);
  assert.equal(await main(["--run", run, ...SMALL, "--force", "--no-sweep", "--tau", "0.3"], capture()), 0);
  const replaced = parseEvaluationJson(await Deno.readTextFile(join(dir, "eval.json"))) as EvaluationResult;
  assert.equal(replaced.sweeps.length, 0);
  assert.equal(replaced.methods.find((m) => m.id === "greedy")!.setting.tau, 0.3);
  assert.deepEqual([...Deno.readDirSync(run)].map((e) => e.name).sort(), ["config.json", "eval"]);
});

Deno.test("progressLine draws a bar with counts and an ETA", () => {
  assert.equal(progressLine("test", 0, 4, "a dense", 0), "[....................] 0/4 test a dense 0:00");
  assert.equal(
    progressLine("test", 1, 4, "a dense", 30_000),
    "[#####...............] 1/4 test a dense 0:30 eta 1:30",
  );
  assert.equal(progressLine("val", 4, 4, "b oracle", 61_000), "[####################] 4/4 val b oracle 1:01");
});

Deno.test("eval CLI: loads the run's classifier checkpoint (cpu backend) and labels nothing as using voxel labels", async () => {
  const run = await scratchDir("eval-cli-clf");
  const architecture = resolveArchitecture({ inputShape: [4, 8, 8], hiddenUnits: [8] });
  await initBackend("cpu", { quiet: true });
  await saveClassifier(buildClassifier(architecture, 1), join(run, "classifier"), {
    intensityWindow: [-200, 250],
    architecture,
  });
  const io = capture();
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
    ...["--max-steps", "4", "--backend", "cpu", "--methods", "dense,greedy", "--limit", "1", "--no-sweep"],
    ...["--nifti", "none", "--overlays", "0"],
  ];
  assert.equal(await main(args, io), 0, io.stderr.join(""));
  const json = parseEvaluationJson(await Deno.readTextFile(join(run, "eval/eval.json"))) as EvaluationResult;
  assert.equal(json.cases.length, 1);
  for (const m of json.methods) {
    assert.match(m.scorer, /^classifier:[0-9a-f]{12}$/);
    assert.equal(m.usesVoxelLabels, false);
  }
  // Dense on 16x32x32 with 4x8x8 windows, stride 4: 4 * 7 * 7 lattice windows, each scored once.
  assert.equal(json.cases[0].methods.dense!.windowsScored, 4 * 7 * 7);
});

Deno.test("evaluateRun: a policy loader is asked only when no policy is given; in-memory dataset", async () => {
  const run = await scratchDir("eval-run-policy");
  const east = {
    name: "east",
    act: (obs: readonly Float32Array[]) => Promise.resolve(Int32Array.from(obs, () => 4)),
  };
  const asked: string[] = [];
  const common = {
    run,
    dataset: phantomDataset({ count: 10, seed: 3, shape: [16, 32, 32] }),
    scorer: "oracle" as const,
    methods: ["agents", "oracle"] as const,
    game: { window: [4, 8, 8] as const, stride: 2, maxSteps: 4 },
    sweep: false,
    nifti: "none" as const,
    overlays: 0,
    limit: 1,
  };
  const { result, notes } = await evaluateRun({
    ...common,
    loadPolicy: (dir) => {
      asked.push(dir);
      return Promise.resolve(east);
    },
  });
  assert.deepEqual(asked, [run]);
  assert.equal(result.policy, "east");
  assert.deepEqual(result.methods.map((m) => m.id), ["agents", "oracle"]);
  assert.ok(!notes.some((n) => /No trained policy/.test(n)));
  // policy: null means none, and the loader is not asked; the agents method then cannot run.
  await assert.rejects(
    () =>
      evaluateRun({
        ...common,
        force: true,
        policy: null,
        loadPolicy: () => Promise.reject(new Error("asked")),
      }),
    /no policy was given/,
  );
});

Deno.test("eval CLI: evaluates the run's trained policy (<run>/policy) with the observation it was built for", async () => {
  await initBackend("cpu", { quiet: true });
  const run = await scratchDir("eval-cli-policy");
  const network = new PolicyNetwork({ observationShape: [2, 4, 4], convChannels: [4], hiddenUnits: 8 }, 1);
  await savePolicy(join(run, "policy"), network);
  network.dispose();
  const io = capture();
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
      "2",
    ],
    ...["--max-steps", "3", "--scorer", "oracle", "--methods", "agents,agents-argmax,greedy", "--limit", "1"],
    "--no-sweep",
    ...["--nifti", "none", "--overlays", "0"],
  ];
  assert.equal(await main(args, io), 0, io.stderr.join(""));
  assert.match(io.stdout.join(""), /SPARS agents \(sampled\) \(uses voxel labels\)/);
  assert.match(io.stdout.join(""), /SPARS agents \(argmax\) \(uses voxel labels\)/);
  const json = parseEvaluationJson(await Deno.readTextFile(join(run, "eval/eval.json"))) as EvaluationResult;
  assert.equal(json.policy, "ppo");
  // The run's network plays both rows; side b samples with its own seed (pairing "sampled").
  assert.equal(json.pairing, "sampled");
  assert.ok(json.cases[0].methods["agents-argmax"]!.steps >= 1);
  assert.deepEqual(json.game.observationShape, [2, 4, 4]); // taken from the policy
  assert.ok(json.cases[0].methods.agents!.steps >= 1);
  // An observation the policy was not built for is refused before anything runs.
  const wrong = capture();
  await Deno.writeTextFile(
    join(run, "config.json"),
    JSON.stringify({ env: { observationShape: [4, 8, 8] } }),
  );
  assert.equal(await main([...args, "--force"], wrong), 1);
  assert.match(wrong.stderr.join(""), /takes 2x4x4x1 observations, the game gives 4x8x8/);
});

Deno.test({
  name: "eval CLI: the policy on onnxruntime (--policy-runtime, or the run's policyRuntime) plays as on tfjs",
  ignore: NO_ORT,
  fn: async () => {
    await initBackend("cpu", { quiet: true });
    const run = await scratchDir("eval-cli-policy-onnx");
    const network = new PolicyNetwork({ observationShape: [2, 4, 4], convChannels: [4], hiddenUnits: 8 }, 1);
    const rng = new Rng(5); // weights of some size, so that actions differ between observations
    network.setWeights((await network.getWeights()).map((w) => ({
      ...w,
      values: Float32Array.from(w.values, () => rng.uniform(-1, 1)),
    })));
    await savePolicy(join(run, "policy"), network);
    network.dispose();
    const args = (out: string, ...extra: string[]) => [
      ...["--run", run, "--out", join(run, out), "--phantoms", "10", "--phantom-shape", "16x32x32"],
      ...["--window", "4x8x8", "--stride", "2", "--max-steps", "6", "--scorer", "oracle"],
      ...[
        "--methods",
        "agents,agents-argmax",
        "--limit",
        "2",
        "--no-sweep",
        "--nifti",
        "none",
        "--overlays",
        "0",
      ],
      ...extra,
    ];
    const io = capture();
    assert.equal(await main(args("tfjs", "--policy-runtime", "tfjs"), io), 0, io.stderr.join(""));
    assert.equal(await main(args("onnx", "--policy-runtime", "onnx"), capture()), 0);
    await Deno.writeTextFile(join(run, "config.json"), JSON.stringify({ policyRuntime: "onnx" }));
    assert.equal(await main(args("configured"), capture()), 0);
    const read = async (out: string) =>
      parseEvaluationJson(await Deno.readTextFile(join(run, out, "eval.json"))) as EvaluationResult;
    const tfjs = await read("tfjs");
    for (const out of ["onnx", "configured"]) {
      const onnx = await read(out);
      for (const [k, c] of tfjs.cases.entries()) {
        for (const m of ["agents", "agents-argmax"] as const) {
          assert.equal(onnx.cases[k].methods[m]!.steps, c.methods[m]!.steps, `${out} ${m} case ${k} steps`);
          assert.deepEqual(
            onnx.cases[k].methods[m]!.scores,
            c.methods[m]!.scores,
            `${out} ${m} case ${k} scores`,
          );
          assert.equal(onnx.cases[k].methods[m]!.predictedVoxels, c.methods[m]!.predictedVoxels);
        }
      }
      const md = await Deno.readTextFile(join(run, out, "eval.md"));
      assert.match(md, /Policy forward passes on onnxruntime/, out);
    }
    assert.doesNotMatch(await Deno.readTextFile(join(run, "tfjs", "eval.md")), /onnxruntime/);
  },
});
