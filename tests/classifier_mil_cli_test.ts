/**
 * `train:classifier --supervision image-level`: option parsing (errors name the flag) and a tiny end
 * to end run whose checkpoint records "image-level".
 */
import assert from "node:assert/strict";
import { initBackend } from "../models/backend.ts";
import { loadClassifier } from "../models/checkpoint.ts";
import { parseClassifierCliArgs, runClassifierCli } from "../train/classifier_cli.ts";
import { MIL_CLI_DEFAULTS, trainMilClassifierTo } from "../train/classifier_mil.ts";
import { phantomDataset } from "../data/dataset.ts";
import { scratchDir } from "./_helpers.ts";

Deno.test("CLI --supervision image-level: MIL options, defaults and errors naming the flag", () => {
  const plain = parseClassifierCliArgs(["--out", "x"]);
  assert.ok(plain !== "help");
  assert.equal(plain.mil, null);
  const mil = parseClassifierCliArgs(["--supervision", "image-level"]);
  assert.ok(mil !== "help");
  assert.deepEqual(mil.mil, MIL_CLI_DEFAULTS);
  const custom = parseClassifierCliArgs([
    "--supervision",
    "image-level",
    "--mil-pooling",
    "lse",
    "--mil-instances",
    "1,5",
    "--mil-bags",
    "3",
    "--mil-steps",
    "7",
    "--mil-stride",
    "2x4x4",
  ]);
  assert.ok(custom !== "help");
  assert.deepEqual(custom.mil, {
    pooling: "lse",
    topK: 1,
    randomK: 5,
    bagsPerStep: 3,
    stepsPerEpoch: 7,
    stride: [2, 4, 4],
  });
  const bad: [string[], RegExp][] = [
    [["--supervision", "crops"], /Error: --supervision/],
    [["--supervision", "image-level", "--samples", "crops"], /Error: --supervision image-level/],
    [["--mil-pooling", "max"], /Error: --mil-pooling needs --supervision image-level/],
    [["--supervision", "image-level", "--mil-pooling", "mean"], /Error: --mil-pooling/],
    [["--supervision", "image-level", "--mil-instances", "0,0"], /Error: --mil-instances/],
    [["--supervision", "image-level", "--mil-bags", "0"], /Error: --mil-bags/],
    [["--supervision", "image-level", "--mil-steps", "1.5"], /Error: --mil-steps/],
    [["--supervision", "image-level", "--mil-stride", "2x4"], /Error: --mil-stride/],
  ];
  for (const [args, message] of bad) {
    assert.throws(() => parseClassifierCliArgs(args), message, args.join(" "));
  }
});

Deno.test({
  name: "CLI --supervision image-level end to end: the checkpoint and summary record image-level",
  sanitizeResources: false,
  fn: async () => {
    const out = `${await scratchDir("mil-cli")}/run`;
    try {
      const code = await runClassifierCli([
        "--supervision",
        "image-level",
        "--out",
        out,
        "--phantoms",
        "8",
        "--epochs",
        "1",
        "--input-shape",
        "6x12x12",
        "--mil-steps",
        "2",
        "--mil-bags",
        "2",
      ]);
      assert.equal(code, 0);
      const { model, meta } = await loadClassifier(`${out}/classifier`);
      model.dispose();
      assert.equal(meta.supervision, "image-level");
      const summary = JSON.parse(await Deno.readTextFile(`${out}/summary.json`));
      assert.equal(summary.supervision, "image-level");
      assert.equal(summary.balance.train.supervision, "image-level");
      const config = JSON.parse(await Deno.readTextFile(`${out}/config.json`));
      assert.equal(config.mil.pooling, "max");
    } finally {
      await initBackend("cpu", { quiet: true });
    }
  },
});

Deno.test({
  name: "pipeline MIL path: trainMilClassifierTo saves an image-level checkpoint of the game's window",
  sanitizeResources: false,
  fn: async () => {
    await initBackend("cpu", { quiet: true });
    const dir = `${await scratchDir("mil-pipeline")}/classifier`;
    const dataset = phantomDataset({ count: 8, seed: 3, shape: [16, 32, 32] });
    const lines: string[] = [];
    const history = await trainMilClassifierTo(dir, dataset, {
      window: [8, 16, 16],
      intensityWindow: [-50, 150],
      epochs: 1,
      seed: 1,
      mil: { stepsPerEpoch: 1, bagsPerStep: 2 },
      training: { data: "phantoms" },
    }, (line) => lines.push(line));
    assert.equal(history.epochs.length, 1);
    const { model, meta } = await loadClassifier(dir);
    model.dispose();
    assert.equal(meta.supervision, "image-level");
    assert.deepEqual(meta.inputShape, [8, 16, 16]);
    assert.equal((meta.training as { data: string }).data, "phantoms");
    assert.ok(lines.some((l) => l.startsWith("MIL: pooling max")), lines.join("\n"));
  },
});
