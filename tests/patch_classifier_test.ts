/**
 * The patch game's classifier scorer: patch labels derived from voxel masks (by hand on tiny
 * images), the samples built from them (inputs computed by hand), the `train:patch` flags of the
 * classifier scorer (defaults, values, errors naming the flag), and a tiny end-to-end run whose
 * rows name their supervision level.
 */
import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import { type Case, diagonalAffine, type Vec3 } from "../data/types.ts";
import { PatchGrid } from "../env/patch/grid.ts";
import { initBackend } from "../models/backend.ts";
import { patchPresenceLabels, patchSamples } from "../models/patch_samples.ts";
import { parsePatchArgs } from "../train/patch_cli.ts";
import { DEFAULT_PATCH_CLASSIFIER_CONFIG } from "../train/patch_classifier.ts";
import { DEFAULT_PATCH_TRAIN_CONFIG, trainPatch } from "../train/patch_train.ts";
import { TINY_PATCH_RUN } from "./_patch_cases.ts";

await initBackend("wasm", { quiet: true });

/** A 1 x ny x nx case: labels as given (row-major), image = 10 * y + x. */
function labelled(id: string, rows: string[]): Case {
  const ny = rows.length, nx = rows[0].length, shape: Vec3 = [1, ny, nx];
  const labels = Uint8Array.from(rows.join(""), (ch) => Number(ch));
  const image = Float32Array.from({ length: ny * nx }, (_, i) => 10 * Math.floor(i / nx) + (i % nx));
  const affine = diagonalAffine([1, 1, 1]);
  return {
    id,
    image: { id, shape, spacing: [1, 1, 1], affine, data: image },
    labels: { id, shape, spacing: [1, 1, 1], affine, data: labels },
    presence: labels.includes(2) ? 1 : 0,
  };
}

// 4x6 image cut 2x3: six 2x2 patches (4 voxels each). Label 2 = tumour, 1 = liver (not target).
//   patch 0: 2 tumour voxels (share 0.5)  patch 1: 1 (0.25) + 2 liver  patch 2: liver only
//   patch 3: none                         patch 4: none      patch 5: 4 (1.0)
const tiny = labelled("tiny", [
  "220111",
  "002111",
  "000022",
  "000022",
]);

Deno.test("patchPresenceLabels: positive from the share, negative without target, ambiguous between (by hand)", () => {
  const grid = new PatchGrid([1, 4, 6], [1, 2, 3]);
  assert.deepEqual([...patchPresenceLabels(tiny.labels!, grid, [2], 0.3)], [1, -1, 0, 0, 0, 1]);
  assert.deepEqual([...patchPresenceLabels(tiny.labels!, grid, [2], 0.25)], [1, 1, 0, 0, 0, 1]);
  assert.deepEqual([...patchPresenceLabels(tiny.labels!, grid, [2], 0.75)], [-1, -1, 0, 0, 0, 1]);
  // liver counted as target too: patch 2 (4 liver voxels) becomes positive, patch 1 holds 3 of 4
  assert.deepEqual([...patchPresenceLabels(tiny.labels!, grid, [1, 2], 0.75)], [-1, 1, 1, 0, 0, 1]);
  // uneven grid: 5x5 cut 2x2 gives rows/cols of 3 and 2; patch 3 is 2x2 = 4 voxels, 1 tumour = 0.25
  const uneven = labelled("uneven", ["00000", "00000", "00000", "00000", "00002"]);
  const g = new PatchGrid([1, 5, 5], [1, 2, 2]);
  assert.deepEqual([...patchPresenceLabels(uneven.labels!, g, [2], 0.3)], [0, 0, 0, -1]);
  assert.deepEqual([...patchPresenceLabels(uneven.labels!, g, [2], 0.25)], [0, 0, 0, 1]);
  assert.throws(() => patchPresenceLabels(tiny.labels!, grid, [2], 0), /positiveShare/);
  assert.throws(() => patchPresenceLabels(tiny.labels!, g, [2], 0.3), InvalidArgumentError);
});

Deno.test("patchSamples: positives kept, negatives drawn up to the cap, ambiguous dropped; inputs by hand", () => {
  const options = {
    target: [2],
    positiveShare: 0.3,
    negativesPerCase: 64,
    inputShape: [1, 2, 2] as Vec3,
    intensityWindow: [0, 100] as [number, number],
    seed: 0,
  };
  const all = patchSamples([tiny], [1, 2, 3], options);
  assert.deepEqual(all.samples.map((s) => [s.id, s.presence]), [
    ["tiny#p0", 1],
    ["tiny#p2", 0],
    ["tiny#p3", 0],
    ["tiny#p4", 0],
    ["tiny#p5", 1],
  ]);
  assert.deepEqual(all.report, {
    cases: 1,
    positives: 2,
    negatives: 3,
    negativesSkipped: 0,
    ambiguous: 1,
    supervision: "crops labelled from voxel masks",
  });
  // patch 5 = rows 2..3, cols 4..5: image 10y + x = 24, 25, 34, 35, windowed by [0, 100]
  const p5 = all.samples.find((s) => s.id === "tiny#p5")!;
  assert.deepEqual([...p5.input].map((v) => Math.round(v * 1000) / 1000), [0.24, 0.25, 0.34, 0.35]);
  const capped = patchSamples([tiny, tiny], [1, 2, 3], { ...options, negativesPerCase: 1 });
  assert.equal(capped.report.negatives, 2);
  assert.equal(capped.report.negativesSkipped, 4);
  assert.equal(capped.report.positives, 4);
  assert.throws(
    () => patchSamples([{ ...tiny, labels: undefined }], [1, 2, 3], options),
    /no voxel labels/,
  );
  assert.throws(
    () => patchSamples([tiny], [1, 2, 3], { ...options, negativesPerCase: -1 }),
    /negativesPerCase/,
  );
});

Deno.test("train:patch --scorer and --classifier-* flags: defaults, values, errors naming the flag", () => {
  const d = parsePatchArgs([]);
  assert.ok(d !== "help");
  assert.deepEqual([d.config.scorer, d.config.presenceThreshold], ["oracle", 0.3]);
  const c = parsePatchArgs(["--scorer", "classifier"]);
  assert.ok(c !== "help");
  assert.deepEqual([c.config.scorer, c.config.presenceThreshold], ["classifier", 0.5]);
  assert.deepEqual(c.config.classifier, DEFAULT_PATCH_CLASSIFIER_CONFIG);
  const v = parsePatchArgs([
    "--classifier-epochs",
    "3",
    "--scorer",
    "classifier",
    "--presence-threshold",
    "0.7",
    "--classifier-input",
    "1x16x16",
    "--classifier-channels",
    "4,8",
    "--classifier-hidden",
    "5",
    "--classifier-batch",
    "16",
    "--classifier-lr",
    "0.01",
    "--classifier-patience",
    "0",
    "--classifier-balanced",
    "--classifier-positive-share",
    "1",
    "--classifier-negatives",
    "0",
  ]);
  assert.ok(v !== "help");
  assert.equal(v.config.presenceThreshold, 0.7);
  assert.deepEqual(v.config.classifier, {
    inputShape: [1, 16, 16],
    channels: [4, 8],
    hiddenUnits: [5],
    epochs: 3,
    batchSize: 16,
    learningRate: 0.01,
    patience: 0,
    balanceClasses: true,
    positiveShare: 1,
    negativesPerCase: 0,
  });
  const bad: [string[], RegExp][] = [
    [["--scorer", "cnn"], /--scorer/],
    [["--scorer"], /--scorer/],
    [["--presence-threshold", "1.5"], /--presence-threshold/],
    [["--scorer", "classifier", "--classifier-epochs", "0"], /--classifier-epochs/],
    [["--scorer", "classifier", "--classifier-input", "8x8"], /--classifier-input/],
    [["--scorer", "classifier", "--classifier-channels", "8,,16"], /--classifier-channels/],
    [["--scorer", "classifier", "--classifier-hidden", "x"], /--classifier-hidden/],
    [["--scorer", "classifier", "--classifier-lr", "0"], /--classifier-lr/],
    [["--scorer", "classifier", "--classifier-patience", "-1"], /--classifier-patience/],
    [["--scorer", "classifier", "--classifier-positive-share", "0"], /--classifier-positive-share/],
    [["--scorer", "classifier", "--classifier-negatives", "2.5"], /--classifier-negatives/],
    // a classifier flag without the classifier scorer is a mistake, not silently ignored
    [["--classifier-epochs", "3"], /--classifier-epochs.*--scorer classifier/s],
    [["--classifier-balanced"], /--classifier-balanced/],
    [["--seeds", ""], /--seeds/],
  ];
  for (const [argv, re] of bad) assert.throws(() => parsePatchArgs(argv), re, argv.join(" "));
  assert.throws(() => parsePatchArgs(["--scorer", "cnn"]), InvalidArgumentError);
});

Deno.test("train:patch --observe-scores, --lr, --ent-coef: parsed into the config, bad values name the flag", () => {
  const d = parsePatchArgs([]);
  assert.ok(d !== "help");
  assert.deepEqual([d.config.observeScores, d.config.ppo.learningRate, d.config.ppo.entCoef], [
    false,
    1e-3,
    0.01,
  ]);
  const v = parsePatchArgs(["--ent-coef", "0.03", "--observe-scores", "--lr", "0.0005"]);
  assert.ok(v !== "help");
  assert.deepEqual([v.config.observeScores, v.config.ppo.learningRate, v.config.ppo.entCoef], [
    true,
    5e-4,
    0.03,
  ]);
  assert.equal(v.config.ppo.numSteps, 32, "the other PPO options are kept");
  assert.equal(parsePatchArgs(["--ent-coef", "0"]) !== "help", true);
  for (
    const [argv, re] of [[["--lr", "0"], /--lr/], [["--ent-coef", "-1"], /--ent-coef/], [
      ["--lr"],
      /--lr/,
    ]] as const
  ) {
    assert.throws(() => parsePatchArgs(argv), re);
  }
});

Deno.test("trainPatch --scorer classifier: a tiny run trains the classifier and every row names its supervision", async () => {
  const progress: string[] = [];
  const r = await trainPatch(
    {
      ...DEFAULT_PATCH_TRAIN_CONFIG,
      ...TINY_PATCH_RUN,
      updates: 1,
      scorer: "classifier",
      presenceThreshold: 0.5,
      classifier: { ...DEFAULT_PATCH_CLASSIFIER_CONFIG, epochs: 1, channels: [4], hiddenUnits: [4] },
      ppo: { ...DEFAULT_PATCH_TRAIN_CONFIG.ppo, numSteps: 4, minibatchSize: 8, updateEpochs: 1 },
    },
    () => {},
    (line) => progress.push(line),
  );
  assert.ok(r.classifier);
  assert.equal(r.classifier.scorer.supervision, "crops labelled from voxel masks");
  assert.equal(r.classifier.samples.train.supervision, "crops labelled from voxel masks");
  assert.ok(progress.some((l) => l.startsWith("classifier epoch 1:")));
  assert.deepEqual(r.rows.map((x) => [x.player, x.supervision]), [
    ["learned (argmax)", "crops labelled from voxel masks"],
    ["learned (sampled)", "crops labelled from voxel masks"],
    ["random", "none"],
    ["greedy", "crops labelled from voxel masks"],
    ["spatial prior", "voxel labels (training masks)"],
  ]);
  r.network.dispose();
  r.classifier.scorer.dispose();
});
