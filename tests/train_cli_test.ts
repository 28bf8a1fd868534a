import assert from "node:assert/strict";
import { join } from "node:path";
import { decodePng } from "../env/png.ts";
import { loadPolicyAgent } from "../agents/policy_io.ts";
import { buildClassifier, resolveArchitecture } from "../models/classifier.ts";
import { saveClassifier } from "../models/checkpoint.ts";
import { probeOnnxRuntime } from "../models/onnx_runtime.ts";
import { listCheckpoints } from "../train/checkpoint.ts";
import { progressLine } from "../train/progress.ts";
import { readMetrics } from "../train/run_folder.ts";
import type { TrainConfig } from "../train/train_config.ts";
import { OPTION_SPECS, parseTrainArgs } from "../train/train_options.ts";
import { resumeScheduleNote, runTrainCli, type TrainCliIo } from "../train/train_cli.ts";
import { scratchDir } from "./_helpers.ts";

function sink(): TrainCliIo & { text: () => string; progressText: () => string } {
  const parts: string[] = [], progress: string[] = [];
  return {
    out: (t) => parts.push(t),
    err: (t) => parts.push(t),
    progress: (t) => progress.push(t),
    text: () => parts.join("\n"),
    progressText: () => progress.join(""),
  };
}

/** A tiny oracle-scored run: 8 phantoms of 16x32x32, windows 8x16x16, 2 games x 16 steps per update. */
const TINY = [
  "--scorer",
  "oracle",
  "--phantoms",
  "8",
  "--phantom-shape",
  "16x32x32",
  "--window",
  "8x16x16",
  "--observation-shape",
  "4x8x8",
  "--num-envs",
  "2",
  "--num-steps",
  "16",
  "--minibatch-size",
  "16",
  "--update-epochs",
  "2",
  "--checkpoint-every",
  "2",
  "--competitor-update-every",
  "2",
  "--total-steps",
  "128",
  "--eval-limit",
  "1",
  "--learning-rate",
  "0.0003",
  "--tau-quantile",
  "none",
];

Deno.test("--help lists every option with its default (and the paper preset's where it differs)", async () => {
  const io = sink();
  assert.equal(await runTrainCli(["--help"], io), 0);
  const help = io.text();
  for (const spec of OPTION_SPECS) {
    if (spec.name === "#") continue;
    const flag = spec.kind === "bool" ? `--[no-]${spec.name} ` : `--${spec.name} `;
    assert.ok(help.includes(flag), flag);
  }
  for (const control of ["--preset", "--run", "--force", "--resume"]) assert.ok(help.includes(control));
  assert.match(help, /--num-envs N\s+parallel games \[8; paper 1\]/);
  assert.match(
    help,
    /--competitor-update-every N\|auto\s+updates between opponent refreshes, or auto .*\[auto; paper 32\]/,
  );
  assert.match(help, /--window ZxYxX\s+window size z,y,x in voxels \[12x24x24; paper 24x48x48\]/);
  assert.match(help, /--tau-quantile Q\|none\s+tau = this quantile .*\[0\.99; paper none\]/);
  assert.match(help, /--conv-channels A,B,\.\.\s+channels of the convolutions \[8,16,32\]/);
  assert.match(
    help,
    /--\[no-\]vloss-half\s+value loss 0\.5\*MSE before vf-coef \(CleanRL\) .*\[true; paper false\]/,
  );
});

Deno.test("presets and explicit options: defaults < preset < options", () => {
  const paper = parseTrainArgs(["--preset", "paper"], "runs/x");
  assert.equal(paper.kind, "train");
  const c = (paper as { config: TrainConfig }).config;
  assert.deepEqual(c.env.window, [24, 48, 48]);
  assert.equal(c.env.stride, 4);
  assert.equal(c.env.tau, 0.3);
  assert.equal(c.ppo.minibatchSize, 8);
  assert.equal(c.ppo.updateEpochs, 1);
  assert.equal(c.ppo.numSteps, 32);
  assert.equal(c.selfPlay.competitorUpdateEvery, 32);
  assert.equal(c.selfPlay.pool.rule, "latest");
  assert.equal(c.totalSteps / (c.numEnvs * c.ppo.numSteps), 10_000, "10,000 iterations");
  // SB3's loss: vf_coef 0.5 on the plain mean squared error, no value clipping, no entropy bonus.
  assert.equal(c.ppo.valueLossHalf, false);
  assert.equal(c.ppo.vfCoef, 0.5);
  assert.equal(c.ppo.clipValueLoss, false);
  assert.equal(c.ppo.entCoef, 0);
  const mixed = parseTrainArgs(
    ["--preset", "paper", "--tau", "0.4", "--no-anneal-lr", "--target-kl", "0.02"],
    "r",
  );
  const m = (mixed as { config: TrainConfig }).config;
  assert.equal(m.env.tau, 0.4);
  assert.equal(m.ppo.minibatchSize, 8);
  assert.equal(m.ppo.annealLearningRate, false);
  assert.equal(m.ppo.targetKl, 0.02);
  const d = (parseTrainArgs([], "runs/default") as { config: TrainConfig }).config;
  assert.equal(d.run, "runs/default");
  assert.equal(d.scorer, "classifier");
  assert.equal(d.ppo.valueLossHalf, true, "the default preset keeps CleanRL's 0.5 * MSE");
  const sb3 = (parseTrainArgs(["--no-vloss-half"], "r") as { config: TrainConfig }).config;
  assert.equal(sb3.ppo.valueLossHalf, false);
  assert.throws(() => parseTrainArgs(["--window", "24x48"], "r"), /--window/);
  assert.throws(() => parseTrainArgs(["--opponent-rule", "best"], "r"), /latest \| uniform \| pfsp/);
  assert.throws(() => parseTrainArgs(["--bogus"], "r"), /bogus/);
  assert.throws(() => parseTrainArgs(["--resume", "runs/a", "--tau", "0.2"], "r"), /--tau/);
  const resume = parseTrainArgs(["--resume", "runs/a", "--total-steps", "99"], "r");
  assert.deepEqual(resume, { kind: "resume", run: "runs/a", overrides: { totalSteps: 99 } });
});

Deno.test("an existing run folder is never overwritten without --force", async () => {
  const root = await scratchDir("cli-exists");
  const run = join(root, "run");
  await Deno.mkdir(run);
  await Deno.writeTextFile(join(run, "config.json"), "{}");
  await Deno.writeTextFile(join(run, "keep.txt"), "precious");
  const io = sink();
  assert.equal(await runTrainCli(["--run", run, ...TINY], io), 2);
  assert.match(io.text(), /already exists/);
  assert.equal(await Deno.readTextFile(join(run, "keep.txt")), "precious");
  // --force refuses a folder that is not a run folder.
  const other = join(root, "other");
  await Deno.mkdir(other);
  await Deno.writeTextFile(join(other, "data.txt"), "x");
  assert.equal(await runTrainCli(["--run", other, "--force", ...TINY], sink()), 2);
  assert.equal(await Deno.readTextFile(join(other, "data.txt")), "x");
  await Deno.remove(root, { recursive: true });
});

Deno.test("end to end (oracle scorer): run folder, checkpoints, policy, curve, evaluation; then --resume", async () => {
  const root = await scratchDir("cli-e2e");
  const run = join(root, "run");
  const io = sink();
  // A constant learning rate, so that the resume below may extend the run (see the schedule test).
  assert.equal(await runTrainCli(["--run", run, ...TINY, "--no-anneal-lr"], io), 0, io.text());
  const text = io.text();
  assert.match(text, /ORACLE - window scores come from VOXEL LABELS/);
  // Progress bars: training, then the evaluation's validation sweep (8 phantoms split 4/2/2) and its
  // test case (--eval-limit 1), each ending full; a case counts once its last method ran.
  const progress = io.progressText().replaceAll("\r", "\n");
  assert.match(progress, /ppo \[#+\] 128\/128 steps/);
  assert.match(progress, /eval validation \[#+\] 2\/2 cases/);
  assert.match(progress, /eval test \[\.+\] 0\/1 cases .* agents\n/);
  assert.match(progress, /eval test \[#+\] 1\/1 cases/);
  assert.ok(progress.indexOf("eval validation") < progress.indexOf("eval test"), progress);
  for (
    const name of ["config.json", "metrics.jsonl", "learning_curve.png", "policy/policy.json", "eval/eval.md"]
  ) {
    assert.ok(text.includes(join(run, name.split("/")[0])), `printed ${name}`);
    await Deno.stat(join(run, name));
  }
  const config = JSON.parse(await Deno.readTextFile(join(run, "config.json")));
  assert.equal(config.scorer, "oracle");
  assert.deepEqual(config.env.window, [8, 16, 16]);
  const metrics = await readMetrics({
    dir: run,
    configPath: "",
    metricsPath: join(run, "metrics.jsonl"),
    checkpointsDir: "",
  });
  assert.deepEqual(metrics.map((r) => r.update), [1, 2, 3, 4]);
  assert.deepEqual(metrics.map((r) => r.globalStep), [32, 64, 96, 128]);
  for (
    const key of [
      "policyLoss",
      "valueLoss",
      "entropy",
      "approxKl",
      "clipFraction",
      "explainedVariance",
      "stepsPerSecond",
    ]
  ) {
    assert.equal(typeof metrics[0][key], "number", key);
  }
  assert.deepEqual((await listCheckpoints(join(run, "checkpoints"))).map((c) => c.update), [2, 4]);
  const png = decodePng(await Deno.readFile(join(run, "learning_curve.png")));
  assert.deepEqual([png.width, png.height], [1280, 1600]);
  const agent = await loadPolicyAgent(join(run, "policy"));
  assert.deepEqual(agent.network.architecture.observationShape, [4, 8, 8]);
  agent.network.dispose();

  // Resume with a larger budget: continues from update 4 to 6 and records the new budget.
  assert.equal(await runTrainCli(["--resume", run, "--total-steps", "192", "--no-eval"], sink()), 0);
  const resumed = await readMetrics({
    dir: run,
    configPath: "",
    metricsPath: join(run, "metrics.jsonl"),
    checkpointsDir: "",
  });
  assert.deepEqual(resumed.map((r) => r.update), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(resumed.map((r) => r.learningRate), [3e-4, 3e-4, 3e-4, 3e-4, 3e-4, 3e-4]);
  assert.equal(JSON.parse(await Deno.readTextFile(join(run, "config.json"))).totalSteps, 192);
  assert.equal(await runTrainCli(["--resume", run, "--seed", "3"], sink()), 2);
  await Deno.remove(root, { recursive: true });
});

Deno.test("--scorer-runtime: onnx by default, tfjs on request, in --help, changeable on --resume", async () => {
  const io = sink();
  assert.equal(await runTrainCli(["--help"], io), 0);
  assert.match(io.text(), /--scorer-runtime NAME\s+what scores windows .*\(tfjs \| onnx\) \[onnx\]/);
  const runtimeOf = (args: string[]) =>
    (parseTrainArgs(args, "r") as { config: TrainConfig }).config.classifier.runtime;
  assert.equal(runtimeOf([]), "onnx");
  assert.equal(runtimeOf(["--preset", "paper"]), "onnx");
  assert.equal(runtimeOf(["--scorer-runtime", "tfjs"]), "tfjs");
  assert.throws(() => parseTrainArgs(["--scorer-runtime", "webgl"], "r"), /--scorer-runtime.*tfjs \| onnx/);
  assert.deepEqual(parseTrainArgs(["--resume", "runs/a", "--scorer-runtime", "tfjs"], "r"), {
    kind: "resume",
    run: "runs/a",
    overrides: { "classifier.runtime": "tfjs" },
  });
});

// onnxruntime is optional: the end-to-end onnx run skips visibly where it cannot be loaded.
const ONNX = await probeOnnxRuntime();
if ("reason" in ONNX) console.warn(`SKIP: onnx end-to-end run (${ONNX.reason})`);

Deno.test({
  name: "end to end with --scorer-runtime onnx: rollouts and evaluation score on onnxruntime",
  ignore: "reason" in ONNX,
  fn: async () => {
    const root = await scratchDir("cli-onnx");
    // An untrained classifier for the 8x16x16 windows: the run reuses it rather than training one.
    const architecture = resolveArchitecture({ inputShape: [8, 16, 16] });
    const model = buildClassifier(architecture, 1);
    const meta = await saveClassifier(model, join(root, "classifier"), {
      intensityWindow: [-200, 250],
      architecture,
    });
    model.dispose();
    const run = join(root, "run");
    const args = ["--run", run, ...TINY.slice(2), "--classifier", join(root, "classifier")];
    const io = sink();
    assert.equal(
      await runTrainCli([...args, "--scorer-runtime", "onnx", "--total-steps", "64"], io),
      0,
      io.text(),
    );
    const id = `classifier-onnx:${meta.weights.sha256.slice(0, 12)}`;
    assert.match(io.text(), new RegExp(`scorer: ${id} on onnxruntime`));
    assert.equal(JSON.parse(await Deno.readTextFile(join(run, "config.json"))).classifier.runtime, "onnx");
    const policy = JSON.parse(await Deno.readTextFile(join(run, "policy", "policy.json")));
    assert.equal(JSON.stringify(policy).includes(`"scorer":"${id}"`), true, "policy records the onnx scorer");
    assert.ok(
      (await Deno.readTextFile(join(run, "eval", "eval.md"))).includes(id),
      "eval used the onnx scorer",
    );
    await Deno.remove(root, { recursive: true });
  },
});

Deno.test("progress line: bar, rate, ETA", () => {
  const line = progressLine({ label: "ppo", done: 50, total: 200, rate: 25, unit: "steps", width: 10 });
  assert.equal(line, "ppo [###.......] 50/200 steps  25.0 steps/s  ETA 6s");
  assert.match(
    progressLine({ label: "x", done: 0, total: 10, rate: NaN, unit: "steps", width: 4 }),
    /ETA \?/,
  );
});

Deno.test("--resume with another --total-steps keeps the learning-rate schedule: a note when shorter, refused when longer", async () => {
  // TINY: 2 games x 16 steps = 32 steps per update, 128 steps = 4 updates, lr 3e-4 annealed.
  const config = (parseTrainArgs(TINY, "r") as { config: TrainConfig }).config;
  const withTotal = (totalSteps: number, anneal = true): TrainConfig => ({
    ...config,
    totalSteps,
    ppo: { ...config.ppo, annealLearningRate: anneal },
  });
  assert.equal(resumeScheduleNote(withTotal(128), 4), undefined);
  assert.equal(resumeScheduleNote(withTotal(64), undefined), undefined, "a checkpoint without the record");
  // 2 of 4 updates: the last one uses 3e-4 * (1 - 1/4) = 2.25e-4
  const note = resumeScheduleNote(withTotal(64), 4) ?? "";
  assert.match(note, /ends after 2 updates \(64 steps\)/);
  assert.match(note, /annealing over 4 updates \(128 steps\)/);
  assert.ok(note.includes("0.000225"), note);
  assert.throws(() => resumeScheduleNote(withTotal(192), 4), /--total-steps.*at most 128 steps/);
  assert.equal(resumeScheduleNote(withTotal(192, false), 4), undefined, "a constant rate may be extended");
  const help = sink();
  await runTrainCli(["--help"], help);
  assert.match(help.text(), /--total-steps keeps the learning-rate schedule of the run's original/);

  // Through the CLI: a run folder whose newest checkpoint records a 4-update schedule. The refusal
  // comes before any work: config.json keeps its total.
  const root = await scratchDir("cli-schedule");
  const run = join(root, "run");
  await Deno.mkdir(join(run, "checkpoints", "update-00000004"), { recursive: true });
  await Deno.writeTextFile(join(run, "config.json"), JSON.stringify({ ...config, run }));
  await Deno.writeTextFile(
    join(run, "checkpoints", "update-00000004", "state.json"),
    JSON.stringify({ format: "spars-gym-train-checkpoint", version: 1, update: 4, scheduleUpdates: 4 }),
  );
  const io = sink();
  assert.equal(await runTrainCli(["--resume", run, "--total-steps", "192"], io), 2);
  assert.match(io.text(), /learning-rate schedule of this run/);
  assert.equal(JSON.parse(await Deno.readTextFile(join(run, "config.json"))).totalSteps, 128);
  await Deno.remove(root, { recursive: true });
});

Deno.test("train --env: patch and pixel hand their arguments to train:patch / train:pixel; others refused", async () => {
  const dir = await scratchDir("train_env_");
  const run = join(dir, "patch");
  const patch = ["--env", "patch", "--run", run, "--seeds", "0", "--updates", "1", "--cases", "14"];
  assert.equal(
    await runTrainCli([...patch, "--shape", "1x32x32", "--grid", "1x4x4", "--observation", "1x16x16"]),
    0,
  );
  assert.match(
    await Deno.readTextFile(join(run, "eval.md")),
    /^# Patch game: test split, 1 seed\(s\), scorer: oracle/,
  );
  assert.equal(JSON.parse(await Deno.readTextFile(join(run, "config.json"))).command, "train:patch");
  const bad = sink();
  assert.equal(await runTrainCli(["--env=chess", "--help"], bad), 2);
  assert.match(bad.text(), /--env is chess, expected spars, patch or pixel/);
  const help = sink();
  assert.equal(await runTrainCli(["--env", "spars", "--help"], help), 0);
  assert.match(help.text(), /--env GAME +spars \| patch \| pixel/);
  // A bad train:patch option is refused before its run folder exists.
  assert.equal(await runTrainCli(["--env", "patch", "--run", join(dir, "x"), "--updates", "0"]), 2);
  await assert.rejects(Deno.stat(join(dir, "x")));
  await Deno.remove(dir, { recursive: true });
});
