/**
 * `deno task eval --run <train:patch run>`: the saved policies and classifier checkpoints give the
 * train-time table again; each mask PNG, decoded and scored by hand against the case's labels,
 * gives the reported Dice; refusals exit 2 and name the flag.
 */
import assert from "node:assert/strict";
import { main as evalMain } from "../eval/eval_cli.ts";
import { assertRunEvalRefusals, captureIo } from "./_run_eval_refusals.ts";
import { patchRunData } from "../eval/patch_run_eval.ts";
import { decodePng } from "../env/png.ts";
import { runPatchCli } from "../train/patch_cli.ts";

const TINY = [
  "--cases",
  "14",
  "--shape",
  "1x32x32",
  "--grid",
  "1x4x4",
  "--observation",
  "1x16x16",
  "--envs",
  "2",
];

Deno.test("deno task eval on a train:patch run: the train-time table again, a mask and an overlay per case", async () => {
  await Deno.mkdir(".tmp", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: ".tmp", prefix: "patch_eval_" }), run = `${dir}/run`;
  const flags = ["--scorer", "classifier", "--observe-scores", "--updates", "30", "--classifier-epochs", "2"];
  assert.equal(await runPatchCli(["--run", run, "--seeds", "0,1", ...TINY, ...flags]), 0);
  const trained = JSON.parse(await Deno.readTextFile(`${run}/eval.json`));

  const { io, lines } = captureIo();
  assert.equal(await evalMain(["--run", run], io), 0, lines.join(""));
  const evaluated = JSON.parse(await Deno.readTextFile(`${run}/eval/eval.json`));
  assert.deepEqual(
    evaluated.perSeed,
    trained.perSeed.map((s: { seed: number; rows: unknown }) => ({
      seed: s.seed,
      rows: s.rows,
    })),
  );
  assert.ok(trained.perSeed[0].rows[0].dice > 0, "the learned agent picks something, so its weights matter");

  // Masks of seed 0, decoded and scored by hand (tumour label 2 of the phantoms).
  const test = (await patchRunData({ cases: 14, data: null, shape: [1, 32, 32], mirror: true })).test;
  const dices: number[] = [];
  for (const c of test) {
    const png = decodePng(await Deno.readFile(`${run}/eval/masks/seed0/${c.id}.png`));
    await Deno.stat(`${run}/eval/overlays/seed0/${c.id}.png`);
    let both = 0, pred = 0, truth = 0;
    c.labels!.data.forEach((l, i) => {
      const p = png.data[i * 4] === 255 ? 1 : 0, t = l === 2 ? 1 : 0;
      [both, pred, truth] = [both + p * t, pred + p, truth + t];
    });
    if (truth) dices.push((2 * both) / (pred + truth));
  }
  const mean = dices.reduce((a, b) => a + b, 0) / dices.length;
  assert.ok(Math.abs(mean - evaluated.perSeed[0].rows[0].dice) < 1e-12, `${mean}`);
  assert.match(
    await Deno.readTextFile(`${run}/eval/eval.md`),
    /\| learned \(argmax\) \| crops labelled from voxel masks \|/,
  );

  await assertRunEvalRefusals(run, dir);
  await Deno.remove(dir, { recursive: true });
});
