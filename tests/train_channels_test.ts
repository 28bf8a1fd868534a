/**
 * Multi-channel end to end (issue 12): `train --channels flair,t2` on BraTS-style per-case folders
 * trains a policy whose observations hold both image channels (plus the position channels), and the
 * evaluation reads the channels back from config.json; `train:classifier --channels flair,t2`
 * writes a 2-channel checkpoint.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadPolicyAgent } from "../agents/policy_io.ts";
import { readRunConfig } from "../eval/run_config.ts";
import { loadClassifier } from "../models/checkpoint.ts";
import { modelInputChannels } from "../models/classifier.ts";
import { runClassifierCli } from "../train/classifier_cli.ts";
import { runTrainCli, type TrainCliIo } from "../train/train_cli.ts";
import { build } from "./_nifti_build.ts";
import { scratchDir } from "./_helpers.ts";

/** Four cases of 16x16x16 voxels with flair, t2 and a seg holding a 6-voxel cube of label 2. */
async function bratsFolder(dir: string): Promise<string> {
  const data = join(dir, "brats");
  const size: [number, number, number] = [16, 16, 16];
  for (let k = 0; k < 4; k++) {
    const id = `C_${k}`;
    await Deno.mkdir(join(data, id), { recursive: true });
    const inCube = (i: number) => {
      const x = i % 16, y = Math.floor(i / 16) % 16, z = Math.floor(i / 256);
      return x >= 4 + k && x < 10 + k && y >= 5 && y < 11 && z >= 4 && z < 10;
    };
    const flair = Array.from({ length: 4096 }, (_, i) => (inCube(i) ? 300 : 100 + (i % 13)));
    const t2 = Array.from({ length: 4096 }, (_, i) => (inCube(i) ? 50 : 200 + (i % 7)));
    await Deno.writeFile(join(data, id, `${id}_flair.nii`), build({ type: "int16", values: flair, size }));
    await Deno.writeFile(join(data, id, `${id}_t2.nii`), build({ type: "int16", values: t2, size }));
    const seg = Array.from({ length: 4096 }, (_, i) => (inCube(i) ? 2 : 0));
    await Deno.writeFile(join(data, id, `${id}_seg.nii`), build({ type: "uint8", values: seg, size }));
  }
  return data;
}

function sink(): TrainCliIo & { text: () => string } {
  const parts: string[] = [];
  return {
    out: (t) => parts.push(t),
    err: (t) => parts.push(t),
    progress: () => {},
    text: () => parts.join("\n"),
  };
}

Deno.test("train --channels flair,t2: 2-channel observations end to end, recorded for evaluation", async () => {
  const dir = await scratchDir("train-channels");
  const data = await bratsFolder(dir);
  const run = join(dir, "run");
  const io = sink();
  const args = [
    ...[
      "--run",
      run,
      "--data",
      data,
      "--channels",
      "flair,t2",
      "--intensity",
      "zscore-nonzero",
      "--target",
      "2",
    ],
    ...[
      "--split",
      "0.5,0.25,0.25",
      "--scorer",
      "oracle",
      "--window",
      "4x8x8",
      "--observation-shape",
      "2x4x4",
    ],
    ...[
      "--stride",
      "2",
      "--num-envs",
      "2",
      "--num-steps",
      "8",
      "--minibatch-size",
      "8",
      "--update-epochs",
      "1",
    ],
    ...["--total-steps", "32", "--tau-quantile", "none", "--max-steps", "8", "--eval-limit", "1"],
  ];
  assert.equal(await runTrainCli(args, io), 0, io.text());
  assert.match(io.text(), /channels: flair,t2/);
  const agent = await loadPolicyAgent(join(run, "policy"));
  // window+context (the default): 2 image channels, their 2 context channels, then z, y, x.
  assert.equal(agent.network.architecture.channels, 7);
  // The intensity window applies to the 4 intensity channels, not to the position channels.
  assert.deepEqual(agent.network.architecture.windowedChannels, [0, 1, 2, 3]);
  agent.network.dispose();
  const view = await readRunConfig(run);
  assert.deepEqual(view.channels, ["flair", "t2"]);
  assert.equal(view.game.imageChannels, 2);
  await Deno.stat(join(run, "eval", "eval.json"));
});

Deno.test("train:classifier --channels flair,t2 writes a 2-channel classifier", async () => {
  const dir = await scratchDir("classifier-channels");
  const data = await bratsFolder(dir);
  const out = join(dir, "out");
  const code = await runClassifierCli([
    ...[
      "--data",
      data,
      "--channels",
      "flair,t2",
      "--target",
      "2",
      "--out",
      out,
      "--epochs",
      "1",
      "--input-shape",
      "4x8x8",
    ],
    ...["--crop-size", "4x8x8", "--split", "0.5,0.25,0.25", "--recalibration", "16", "--backend", "cpu"],
    ...["--min-target-voxels", "1"],
  ]);
  assert.equal(code, 0);
  const { model, meta } = await loadClassifier(join(out, "classifier"));
  assert.equal(modelInputChannels(model), 2);
  assert.equal(meta.inputShape.join("x"), "4x8x8");
  model.dispose();
});
