/**
 * Every classifier records its supervision level: the data builder reports it per sample mode, the
 * checkpoint stores it, loading returns it (old checkpoints: from `training.samples`, else
 * "unknown"), and `ClassifierScorer` exposes it.
 */
import assert from "node:assert/strict";
import { generatePhantomDataset } from "../data/phantom.ts";
import { SUPERVISION_LEVELS } from "../data/supervision.ts";
import { initBackend } from "../models/backend.ts";
import { buildClassifier, resolveArchitecture } from "../models/classifier.ts";
import { samplesFromDataset } from "../models/classifier_data.ts";
import { ClassifierScorer } from "../models/classifier_scorer.ts";
import { CheckpointError, loadClassifier, saveClassifier } from "../models/checkpoint.ts";
import { scratchDir } from "./_helpers.ts";

await initBackend("cpu", { quiet: true });

const ARCH = resolveArchitecture({ inputShape: [4, 8, 8], channels: [2], hiddenUnits: [4] });

Deno.test("supervision level round-trips through save/load of a checkpoint and reaches the scorer", async () => {
  const root = await scratchDir("supervision");
  const model = buildClassifier(ARCH, 1);
  try {
    for (const [i, level] of SUPERVISION_LEVELS.entries()) {
      const dir = `${root}/c${i}`;
      const written = await saveClassifier(model, dir, {
        intensityWindow: null,
        architecture: ARCH,
        supervision: level,
      });
      assert.equal(written.supervision, level);
      const onDisk = JSON.parse(await Deno.readTextFile(`${dir}/classifier.json`));
      assert.equal(onDisk.supervision, level);
      const { model: loaded, meta } = await loadClassifier(dir);
      assert.equal(meta.supervision, level);
      loaded.dispose();
      const scorer = await ClassifierScorer.load(dir);
      assert.equal(scorer.supervision, level);
      scorer.dispose();
    }
    // Not said: recorded as unknown, never as a level.
    const meta = await saveClassifier(model, `${root}/unsaid`, { intensityWindow: null, architecture: ARCH });
    assert.equal(meta.supervision, "unknown");
    assert.equal((await ClassifierScorer.fromModel(model, null)).supervision, "unknown");
    assert.equal(
      (await ClassifierScorer.fromModel(model, null, { supervision: "image-level" })).supervision,
      "image-level",
    );
    await assert.rejects(
      saveClassifier(model, `${root}/bad`, {
        intensityWindow: null,
        architecture: ARCH,
        supervision: "weak" as unknown as "image-level",
      }),
      (e: unknown) => e instanceof CheckpointError && e.message.includes("meta.supervision"),
    );
  } finally {
    model.dispose();
  }
});

Deno.test("checkpoints without a supervision field read from training.samples, else unknown; bad values fail", async () => {
  const root = await scratchDir("supervision-legacy");
  const model = buildClassifier(ARCH, 2);
  const expected: [unknown, string][] = [
    [{ samples: "crops", epochs: 3 }, "crops labelled from voxel masks"],
    [{ samples: "tiles" }, "tile-level (derived from masks)"],
    [{ samples: "images" }, "image-level"],
    [{ epochs: 3 }, "unknown"],
    [undefined, "unknown"],
  ];
  try {
    for (const [i, [training, level]] of expected.entries()) {
      const dir = `${root}/c${i}`;
      await saveClassifier(model, dir, {
        intensityWindow: null,
        architecture: ARCH,
        supervision: "voxel labels",
      });
      const path = `${dir}/classifier.json`;
      const json = JSON.parse(await Deno.readTextFile(path));
      delete json.supervision; // as written before the field existed
      if (training === undefined) delete json.training;
      else json.training = training;
      await Deno.writeTextFile(path, JSON.stringify(json));
      const { model: loaded, meta } = await loadClassifier(dir);
      loaded.dispose();
      assert.equal(meta.supervision, level, JSON.stringify(training));
    }
    const path = `${root}/c0/classifier.json`;
    const json = JSON.parse(await Deno.readTextFile(path));
    await Deno.writeTextFile(path, JSON.stringify({ ...json, supervision: "image level" }));
    await assert.rejects(
      loadClassifier(`${root}/c0`),
      (e: unknown) => e instanceof CheckpointError && e.message.includes("classifier.json"),
    );
  } finally {
    model.dispose();
  }
});

Deno.test("the data builder reports the supervision level of each sample mode", async () => {
  const cases = generatePhantomDataset({ count: 2, seed: 5, shape: [8, 16, 16], negativeShare: 0 });
  const level = async (mode: "images" | "tiles" | "crops") =>
    (await samplesFromDataset(cases, [4, 8, 8], null, {
      mode,
      target: [2],
      grid: [1, 2, 2],
      cropSize: [4, 8, 8],
      crops: { around: 1, near: 0, elsewhere: 1 },
    })).report.supervision;
  assert.equal(await level("images"), "image-level");
  assert.equal(await level("tiles"), "tile-level (derived from masks)");
  assert.equal(await level("crops"), "crops labelled from voxel masks");
});
