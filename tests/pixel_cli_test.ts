import nodeAssert from "node:assert/strict";
import { parsePixelArgs, PixelCliError, runPixelCli } from "../train/pixel_cli.ts";
import { bestStepOnCurve, fitThresholdBaseline, thresholdMasks } from "../train/pixel_train.ts";
import type { PixelSlice } from "../env/pixel/pixel_env.ts";

Deno.test("train:pixel: defaults are the paper's; bad options are refused before anything is written", async () => {
  const p = parsePixelArgs([]);
  nodeAssert.ok(p !== "help");
  const { config } = p as Exclude<typeof p, "help">;
  nodeAssert.equal(config.a2c.gamma, 0.95);
  nodeAssert.equal(config.a2c.tMax, 10);
  nodeAssert.equal(config.a2c.learningRate, 1e-3);
  nodeAssert.equal(config.a2c.batchSize, 2);
  nodeAssert.equal(config.supervision, "voxel labels (fully supervised)");
  nodeAssert.equal(parsePixelArgs(["--help"]), "help");
  nodeAssert.throws(() => parsePixelArgs(["--network", "huge"]), PixelCliError);
  nodeAssert.throws(() => parsePixelArgs(["--gamma", "2"]), Error);
  nodeAssert.throws(() => parsePixelArgs(["--t-max", "0"]), PixelCliError);
  nodeAssert.throws(() => parsePixelArgs(["--warm-start", "--fcn-seconds", "0"]), PixelCliError);
  nodeAssert.equal(config.fcn.warmStart, false);
  nodeAssert.equal(config.a2c.freezeTrunk, false);
  nodeAssert.equal(config.fcn.maxSteps, null);
  const frozen = parsePixelArgs(["--warm-start", "--freeze-trunk", "--fcn-steps", "600"]) as Exclude<
    typeof p,
    "help"
  >;
  nodeAssert.deepEqual(
    [frozen.config.a2c.freezeTrunk, frozen.config.fcn.maxSteps, frozen.config.fcn.warmStart],
    [true, 600, true],
  );
  nodeAssert.deepEqual([config.fcn.maskStates, frozen.config.fcn.maskStates], ["start", "start"]);
  nodeAssert.deepEqual([frozen.config.fcn.warmSteps, frozen.config.fcn.warmLearningRate], [200, 1e-3]);
  const warm = parsePixelArgs(["--warm-start", "--warm-steps", "0", "--warm-lr", "0.01"]) as Exclude<
    typeof p,
    "help"
  >;
  nodeAssert.deepEqual([warm.config.fcn.warmSteps, warm.config.fcn.warmLearningRate], [0, 0.01]);
  nodeAssert.throws(() => parsePixelArgs(["--warm-steps", "10"]), /--warm-steps.*without --warm-start/);
  nodeAssert.throws(() => parsePixelArgs(["--warm-start", "--warm-steps", "-1"]), PixelCliError);
  nodeAssert.throws(() => parsePixelArgs(["--warm-start", "--warm-lr", "0"]), /--warm-lr/);
  const random = parsePixelArgs(["--warm-start", "--fcn-mask-states", "random"]) as Exclude<typeof p, "help">;
  nodeAssert.equal(random.config.fcn.maskStates, "random");
  nodeAssert.throws(
    () => parsePixelArgs(["--fcn-mask-states", "noise"]),
    /--fcn-mask-states.*start \| random \| visited/,
  );
  const refine = parsePixelArgs(["--preset", "refine", "--epochs", "3"]) as Exclude<typeof p, "help">;
  nodeAssert.deepEqual(
    [
      refine.config.preset,
      refine.config.fcn.maxSteps,
      refine.config.fcn.learningRate,
      refine.config.fcn.warmStart,
    ],
    ["refine", 600, 0.01, true],
  );
  nodeAssert.deepEqual(
    [refine.config.a2c.freezeTrunk, refine.config.a2c.entCoef, refine.config.a2c.learningRate],
    [true, 0, 1e-3],
  );
  nodeAssert.equal(refine.config.train.epochs, 3, "a given option overrides the preset");
  nodeAssert.equal(config.preset, "paper");
  nodeAssert.throws(() => parsePixelArgs(["--preset", "fast"]), /--preset.*paper \| refine/);
  nodeAssert.throws(() => parsePixelArgs(["--fcn-steps", "0"]), PixelCliError);
  nodeAssert.throws(() => parsePixelArgs(["--fcn-steps", "2.5"]), PixelCliError);
  nodeAssert.deepEqual([config.data.dir, config.data.target], [null, [2]]);
  const real = parsePixelArgs(["--data", "some/dir", "--slice-every", "4"]) as Exclude<typeof p, "help">;
  nodeAssert.deepEqual(
    [real.config.data.dir, real.config.data.channel, real.config.data.target, real.config.data.sliceEvery],
    ["some/dir", "flair", [1, 2, 4], 4],
  );
  nodeAssert.throws(() => parsePixelArgs(["--channel", "t1"]), PixelCliError); // needs --data
  nodeAssert.throws(() => parsePixelArgs(["--data", "d", "--target", "1,x"]), PixelCliError);
  await Deno.mkdir(".tmp", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: ".tmp", prefix: "pixel_cli_" });
  const run = `${dir}/run`;
  nodeAssert.equal(await runPixelCli(["--run", run, "--lr", "x"]), 2);
  await nodeAssert.rejects(Deno.stat(run));
  nodeAssert.equal(await runPixelCli(["--run", run, "--data", `${dir}/missing`]), 2);
  await nodeAssert.rejects(Deno.stat(run));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("threshold baseline: the band of best Dice on a hand-made pair of slices", () => {
  // Target pixels have intensity 0.5; others 0.1 or 0.9: the only perfect band holds 0.5 alone.
  const image = Float32Array.from([0.1, 0.5, 0.9, 0.5, 0.1, 0.9, 0.5, 0.1, 0.9]);
  const truth = Uint8Array.from(image, (v) => (v === 0.5 ? 1 : 0));
  const s: PixelSlice = { id: "a", shape: [3, 3], spacing: [1, 1], image, truth };
  const band = fitThresholdBaseline([s], 10);
  nodeAssert.ok(band.lo > 0.1 && band.lo <= 0.5 && band.hi >= 0.5 && band.hi < 0.9, JSON.stringify(band));
  nodeAssert.deepEqual(thresholdMasks([s], band)[0], truth);
});

Deno.test("bestStepOnCurve: argmax after the initial mask, earliest on ties, never step 0", () => {
  // Step 0 (the initial mask) is never chosen even when it is the best entry.
  nodeAssert.equal(bestStepOnCurve([0.9, 0.5, 0.7, 0.7, 0.6]), 2);
  nodeAssert.equal(bestStepOnCurve([0.1, 0.8, 0.7, 0.6]), 1);
  nodeAssert.equal(bestStepOnCurve([0.1, 0.2, 0.3, 0.4]), 3);
  nodeAssert.throws(() => bestStepOnCurve([0.5]), /diceByStep/);
});

Deno.test("train:pixel --warm-start: a tiny run writes the warm start's and both FCN baselines' rows", async () => {
  await Deno.mkdir(".tmp", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: ".tmp", prefix: "pixel_cli_warm_" });
  nodeAssert.equal(await runPixelCli(["--run", `${dir}/run`, "--count", "4", "--size", "16"]), 2); // 0 test slices
  await nodeAssert.rejects(Deno.stat(`${dir}/run`));
  const tiny = ["--count", "10", "--size", "16", "--fcn-steps", "2", "--fcn-seconds", "60", "--t-max", "2"];
  const code = await runPixelCli([
    "--run",
    `${dir}/run`,
    ...tiny,
    "--warm-start",
    "--warm-steps",
    "3",
    "--epochs",
    "1",
  ]);
  nodeAssert.equal(code, 0);
  const md = await Deno.readTextFile(`${dir}/run/eval.md`);
  nodeAssert.match(md, /warm start alone after tMax = 2 steps, before the actor-critic \(the FCN \+ 3 steps/);
  nodeAssert.match(md, /cross-entropy FCN, same network, one step \(2 steps; mask channels: start\)/);
  nodeAssert.match(md, /the same FCN with the warm start's supervised budget, one step \(5 steps\)/);
  const scores = JSON.parse(await Deno.readTextFile(`${dir}/run/eval.json`)).scores;
  nodeAssert.ok(scores.warmStart && scores.fcnExtended && scores.fcn);
  nodeAssert.ok(Number.isFinite(scores.warmStart.dice.mean), "test slices were scored");
  await Deno.remove(dir, { recursive: true });
});
