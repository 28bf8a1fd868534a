import nodeAssert from "node:assert/strict";
import { main as evalMain } from "../eval/eval_cli.ts";
import { assertRunEvalRefusals, captureIo } from "./_run_eval_refusals.ts";
import { phantomPixelSlices } from "../env/pixel/pixel_data.ts";
import { decodePng } from "../env/png.ts";
import { runPixelCli } from "../train/pixel_cli.ts";

Deno.test("deno task eval on a train:pixel run folder: the train-time test Dice again, masks and overlays per slice", async () => {
  await Deno.mkdir(".tmp", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: ".tmp", prefix: "pixel_eval_" }), run = `${dir}/run`;
  const data = ["--count", "20", "--size", "32", "--data-seed", "3"];
  const recipe = [
    "--preset",
    "refine",
    "--fcn-steps",
    "150",
    "--warm-steps",
    "20",
    "--epochs",
    "1",
    "--t-max",
    "2",
  ];
  nodeAssert.equal(await runPixelCli(["--run", run, ...data, ...recipe]), 0);
  const trained = JSON.parse(await Deno.readTextFile(`${run}/eval.json`)).scores.policy.dice.mean;
  nodeAssert.ok(trained > 0.1, `a policy that segments something (${trained}), so the weights matter`);

  const { io, lines } = captureIo();
  nodeAssert.equal(await evalMain(["--run", run], io), 0, lines.join(""));
  const evaluated = JSON.parse(await Deno.readTextFile(`${run}/eval/eval.json`));
  nodeAssert.equal(
    evaluated.scores.policy.dice.mean,
    trained,
    "the saved weights give the train-time test Dice",
  );
  nodeAssert.equal(evaluated.supervision, "voxel labels (fully supervised)");
  nodeAssert.equal(evaluated.diceByStep.length, 3);

  // Each mask PNG, decoded, scored by hand against the slice's truth: their mean is the reported Dice.
  const test = phantomPixelSlices({ count: 20, seed: 3, shape: [16, 32, 32], target: [2] }).test;
  const dices = await Promise.all(test.map(async (s) => {
    const png = decodePng(await Deno.readFile(`${run}/eval/masks/${s.id.replaceAll("/", "_")}.png`));
    let both = 0, pred = 0, truth = 0;
    s.truth.forEach((t, i) => {
      const p = png.data[i * 4] === 255 ? 1 : 0;
      [both, pred, truth] = [both + p * t, pred + p, truth + t];
    });
    await Deno.stat(`${run}/eval/overlays/${s.id.replaceAll("/", "_")}.png`);
    return pred + truth ? (2 * both) / (pred + truth) : NaN;
  }));
  const valid = dices.filter((d) => !Number.isNaN(d));
  const mean = valid.reduce((a, b) => a + b, 0) / valid.length;
  nodeAssert.ok(
    Math.abs(mean - evaluated.scores.policy.dice.mean) < 1e-9,
    `${mean} vs ${evaluated.scores.policy.dice.mean}`,
  );

  await assertRunEvalRefusals(run, dir);
  await Deno.remove(dir, { recursive: true });
});
