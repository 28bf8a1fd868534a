/**
 * Issue 11, data loss: `--force` of every command replaces only a folder that command wrote, and a
 * run folder has one writer at a time. Each test runs the real CLI on folders it must not touch and
 * compares the whole tree before and after.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type CliIo, main as evalMain } from "../eval/eval_cli.ts";
import { runDemo } from "../eval/demo_cli.ts";
import { runClassifierCli } from "../train/classifier_cli.ts";
import { createRunFolder, readMetrics } from "../train/run_folder.ts";
import { runTrainCli, type TrainCliIo } from "../train/train_cli.ts";
import { scratchDir } from "./_helpers.ts";

/** Every file under `dir` with its content, and every folder (sorted paths). */
async function tree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name), name = `${prefix}${e.name}`;
    if (e.isDirectory) out.push(`${name}/`, ...await tree(path, `${name}/`));
    else out.push(`${name}: ${await Deno.readTextFile(path)}`);
  }
  return out.sort();
}

function evalIo(): CliIo & { text: () => string } {
  const parts: string[] = [];
  return {
    out: (t) => parts.push(t),
    err: (t) => parts.push(t),
    terminal: false,
    text: () => parts.join(""),
  };
}

function trainIo(): TrainCliIo & { text: () => string } {
  const parts: string[] = [];
  return {
    out: (t) => parts.push(t),
    err: (t) => parts.push(t),
    progress: () => {},
    text: () => parts.join("\n"),
  };
}

/** A fast oracle evaluation of 10 small phantoms. */
const EVAL = [
  ...["--phantoms", "10", "--phantom-shape", "16x32x32", "--window", "4x8x8", "--stride", "2"],
  ...["--max-steps", "4", "--scorer", "oracle", "--nifti", "none", "--overlays", "0"],
  ...["--methods", "random", "--no-sweep"],
];

/** A tiny oracle-scored training (as in train_cli_test.ts), 4 updates, no evaluation. */
const TINY = [
  ...["--scorer", "oracle", "--phantoms", "8", "--phantom-shape", "16x32x32", "--window", "8x16x16"],
  ...["--observation-shape", "4x8x8", "--num-envs", "2", "--num-steps", "16", "--minibatch-size", "16"],
  ...["--update-epochs", "1", "--checkpoint-every", "1", "--competitor-update-every", "2"],
  ...["--total-steps", "128", "--no-eval", "--no-anneal-lr"],
];

Deno.test("eval --force never replaces the evaluated run, its checkpoints, a parent, a file or another run", async () => {
  const root = await scratchDir("loss-eval");
  const run = join(root, "run");
  await createRunFolder(run, { env: { maxSteps: 4 } });
  await Deno.mkdir(join(run, "checkpoints", "update-00000002"), { recursive: true });
  await Deno.writeTextFile(join(run, "checkpoints", "update-00000002", "state.json"), "{}");
  await Deno.writeTextFile(join(root, "notes.txt"), "precious");
  await Deno.mkdir(join(root, "other"));
  await Deno.writeTextFile(join(root, "other", "config.json"), "{}");
  const before = await tree(root);
  for (const out of [run, join(run, "checkpoints"), root, join(root, "notes.txt"), join(root, "other")]) {
    const io = evalIo();
    assert.notEqual(await evalMain(["--run", run, ...EVAL, "--out", out, "--force"], io), 0, out);
    assert.match(io.text(), /error: --out .*(was not written by|is a training run|is a file)/, io.text());
    assert.match(io.text(), /delete it yourself/);
    assert.deepEqual(await tree(root), before, `--out ${out} --force left everything as it was`);
  }
  // Its own report is replaced with --force.
  assert.equal(await evalMain(["--run", run, ...EVAL], evalIo()), 0);
  assert.equal(await evalMain(["--run", run, ...EVAL, "--force"], evalIo()), 0);
  assert.deepEqual((await tree(root)).filter((p) => !p.startsWith("run/eval/")), before);
  await Deno.remove(root, { recursive: true });
});

Deno.test("train --run --force replaces only a training run folder it wrote", async () => {
  const root = await scratchDir("loss-train");
  // A user's folder that happens to hold a config.json, another run of another command, a file.
  const user = join(root, "user");
  await Deno.mkdir(join(user, "classifier"), { recursive: true });
  await Deno.writeTextFile(join(user, "config.json"), '{"mine": true}');
  await Deno.writeTextFile(join(user, "classifier", "weights.bin"), "weights");
  await Deno.writeTextFile(join(root, "file"), "precious");
  const before = await tree(root);
  for (const dir of [user, join(root, "file"), root]) {
    const io = trainIo();
    assert.equal(await runTrainCli(["--run", dir, "--force", ...TINY], io), 2, io.text());
    assert.match(
      io.text(),
      /error: --run .*(was not written by deno task train|is a file).*delete it yourself/,
    );
    assert.deepEqual(await tree(root), before);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test({
  name: "train:classifier --out --force never overwrites a user's config.json and classifier/",
  sanitizeResources: false,
  fn: async () => {
    const root = await scratchDir("loss-clf");
    await Deno.mkdir(join(root, "classifier"));
    await Deno.writeTextFile(join(root, "config.json"), '{"mine": true}');
    await Deno.writeTextFile(join(root, "classifier", "classifier.json"), "{}");
    const before = await tree(root);
    const args = ["--out", root, "--force", "--phantoms", "7", "--epochs", "1", "--input-shape", "6x12x12"];
    assert.equal(await runClassifierCli([...args, "--backend", "cpu"]), 2);
    assert.deepEqual(await tree(root), before);
    await Deno.remove(root, { recursive: true });
  },
});

Deno.test("demo --out --force never overwrites a folder the demo did not write", async () => {
  const root = await scratchDir("loss-demo");
  await Deno.writeTextFile(join(root, "episode-0.png"), "not a frame");
  const before = await tree(root);
  assert.equal(await runDemo(["--out", root, "--force", "--episodes", "1", "--max-steps", "2"]), 2);
  assert.deepEqual(await tree(root), before);
  // Its own output is replaced.
  const out = join(root, "demo");
  assert.equal(await runDemo(["--out", out, "--episodes", "1", "--max-steps", "2"]), 0);
  assert.equal(await runDemo(["--out", out, "--episodes", "1", "--max-steps", "2"]), 2);
  assert.equal(await runDemo(["--out", out, "--force", "--episodes", "1", "--max-steps", "2"]), 0);
  await Deno.remove(root, { recursive: true });
});

Deno.test("two --resume of one run at once: one is refused (naming the pid), metrics stay in order", async () => {
  const root = await scratchDir("loss-lock");
  const run = join(root, "run");
  assert.equal(await runTrainCli(["--run", run, ...TINY, "--total-steps", "64"], trainIo()), 0);
  const a = trainIo(), b = trainIo();
  const codes = await Promise.all([
    runTrainCli(["--resume", run, "--total-steps", "128"], a),
    runTrainCli(["--resume", run, "--total-steps", "128"], b),
  ]);
  assert.deepEqual([...codes].sort(), [0, 1], a.text() + b.text());
  const refused = codes[0] === 1 ? a.text() : b.text();
  assert.match(
    refused,
    new RegExp(`error: .*run: is in use: locked by process ${Deno.pid} \\(deno task train`),
  );
  const metrics = await readMetrics({
    dir: run,
    configPath: "",
    metricsPath: join(run, "metrics.jsonl"),
    checkpointsDir: "",
  });
  assert.deepEqual(metrics.map((r) => r.update), [1, 2, 3, 4]);
  // --force refuses a run folder a process is writing (this one holds it here).
  const { acquireFolderLock } = await import("../data/folder_lock.ts");
  await using _held = await acquireFolderLock(run, "deno task train");
  const io = trainIo();
  assert.equal(await runTrainCli(["--run", run, "--force", ...TINY], io), 1, io.text());
  assert.match(io.text(), /is in use: locked by process/);
  assert.deepEqual(
    (await readMetrics({
      dir: run,
      configPath: "",
      metricsPath: join(run, "metrics.jsonl"),
      checkpointsDir: "",
    }))
      .map((r) => r.update),
    [1, 2, 3, 4],
  );
  await Deno.remove(root, { recursive: true });
});
