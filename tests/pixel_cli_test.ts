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
  nodeAssert.deepEqual([config.fcn.maskStates, frozen.config.fcn.maskStates], ["start", "visited"]);
  const random = parsePixelArgs(["--warm-start", "--fcn-mask-states", "random"]) as Exclude<typeof p, "help">;
  nodeAssert.equal(random.config.fcn.maskStates, "random");
  nodeAssert.throws(
    () => parsePixelArgs(["--fcn-mask-states", "noise"]),
    /--fcn-mask-states.*start \| random \| visited/,
  );
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
