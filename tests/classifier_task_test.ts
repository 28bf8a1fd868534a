import assert from "node:assert/strict";
import { initBackend } from "../models/backend.ts";
import { buildClassifier } from "../models/classifier.ts";
import { saveClassifier } from "../models/checkpoint.ts";
import type { Vec3 } from "../data/types.ts";
import { make } from "../env/registry.ts";
import type { SelfPlayEnv } from "../env/self_play_env.ts";
import "../tasks/spars_tasks.ts";
import { scratchDir } from "./_helpers.ts";

await initBackend("cpu", { quiet: true });

Deno.test("tasks: SparsGym/Spars-Classifier-v0 scores with the checkpoint given as `checkpoint`", async () => {
  const shape: Vec3 = [4, 6, 6];
  const model = buildClassifier({ inputShape: shape, hiddenUnits: [8] }, 5);
  const dir = `${await scratchDir("classifier-task")}/classifier`;
  const meta = await saveClassifier(model, dir, {
    intensityWindow: [-200, 250],
    architecture: {
      inputShape: shape,
      channels: [8, 16, 32, 64],
      hiddenUnits: [8],
      batchNormMomentum: 0.9,
      head: "globalMax",
    },
  });
  model.dispose();
  const env = await make<SelfPlayEnv>("SparsGym/Spars-Classifier-v0", { checkpoint: dir, batchSize: 4 });
  // The env's scorer is the cache around the checkpoint's scorer, whose id is its weights' hash.
  assert.match(env.env.scorer.id, new RegExp(`classifier:${meta.weights.sha256.slice(0, 12)}`));
  const r = await env.reset({ seed: 0 });
  for (const v of [r.info.score, r.info.opponentScore]) assert.ok(v >= 0 && v <= 1, `${v}`);
  const s = await env.step(0);
  assert.ok(Number.isFinite(s.reward));
  env.close();
});

Deno.test("tasks: the duplicated game numbers equal train/train_config.ts PRESETS", async () => {
  const { PRESETS } = await import("../train/train_config.ts");
  const { DEFAULT_TASK_OPTIONS, PAPER_TASK_OPTIONS } = await import("../tasks/spars_tasks.ts");
  const keys = [
    "window",
    "stride",
    "tau",
    "termination",
    "maxSteps",
    "ties",
    "terminationBonus",
    "observationShape",
    "start",
  ] as const;
  // The v0 tasks keep the game they were published with; the default preset moved on (see the doc):
  // reward, map and (since window+context) the observation mode.
  assert.deepEqual([DEFAULT_TASK_OPTIONS.reward, DEFAULT_TASK_OPTIONS.mapMode], ["absolute", "sum"]);
  assert.deepEqual([DEFAULT_TASK_OPTIONS.observation, PRESETS.default.env.observation], [
    "window+position",
    "window+context",
  ]);
  assert.equal(PAPER_TASK_OPTIONS.observation, PRESETS.paper.env.observation);
  assert.deepEqual([PRESETS.paper.env.reward, PRESETS.paper.env.mapMode], [
    PAPER_TASK_OPTIONS.reward,
    PAPER_TASK_OPTIONS.mapMode,
  ]);
  for (
    const [task, preset] of [[DEFAULT_TASK_OPTIONS, PRESETS.default], [
      PAPER_TASK_OPTIONS,
      PRESETS.paper,
    ]] as const
  ) {
    for (const k of keys) assert.deepEqual(task[k], preset.env[k], `${preset.preset}: ${k}`);
    assert.deepEqual(
      [task.data.count, task.data.seed, task.data.shape, task.data.tumourRadiusMm, task.data.fractions],
      [
        preset.data.count,
        preset.data.seed,
        preset.data.shape,
        preset.data.tumourRadiusMm,
        preset.data.fractions,
      ],
    );
  }
});
