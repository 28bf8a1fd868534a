import assert from "node:assert/strict";
import { type Case, diagonalAffine } from "../data/types.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { PolicyNetwork } from "../agents/policy_network.ts";
import { type SelfPlayOptions, trainSelfPlay, type UpdateRecord } from "../train/self_play.ts";
import { validationDiceHook } from "../train/validation.ts";
import { initBackend } from "../models/backend.ts";

await initBackend("cpu", { quiet: true });

/** A 4x4x4 case whose first `targetVoxels` voxels (x fastest) are target (label 2); label 1 elsewhere on z=3. */
function cube(id: string, targetVoxels: number, labelled = true): Case {
  const shape = [4, 4, 4] as const, spacing = [1, 1, 1] as const, affine = diagonalAffine(spacing);
  const labels = new Uint8Array(64), image = new Float32Array(64);
  for (let i = 0; i < 64; i++) labels[i] = i < targetVoxels ? 2 : i >= 48 ? 1 : 0;
  return {
    id,
    image: { id, shape, spacing, affine, data: image },
    labels: labelled ? { id, shape, spacing, affine, data: labels } : undefined,
  };
}

Deno.test("validationDiceHook: mean Dice of hand-made cases, cases without target or labels skipped", async () => {
  // The window is the whole 4x4x4 volume: one corner, so every visit adds the same score to every
  // voxel, the map is flat and positive, and `peak` 0.5 (map > 0.5 * max) keeps all 64 voxels.
  // Dice(all, T target voxels) = 2T / (T + 64): T = 8 -> 16/72 = 2/9, T = 32 -> 64/96 = 2/3.
  const cases = [cube("none", 0), cube("eight", 8), cube("unlabelled", 8, false), cube("half", 32)];
  const hook = validationDiceHook({
    cases,
    scorer: new OracleScorer(cases.filter((c) => c.labels), { target: 2 }),
    target: 2,
    segment: { window: [4, 4, 4], stride: 1, tau: 1, maxSteps: 3, observationShape: [2, 2, 2] },
  });
  const net = new PolicyNetwork({ observationShape: [2, 2, 2], convChannels: [4], hiddenUnits: 8 }, 1);
  const value = await hook(net);
  assert.ok(Math.abs(value - (2 / 9 + 2 / 3) / 2) < 1e-12, `mean Dice ${value}`);
  // maxCases 1: only the first usable case ("eight")
  const one = validationDiceHook({
    cases,
    scorer: new OracleScorer(cases.filter((c) => c.labels), { target: 2 }),
    target: 2,
    maxCases: 1,
    segment: { window: [4, 4, 4], stride: 1, tau: 1, maxSteps: 3, observationShape: [2, 2, 2] },
  });
  assert.ok(Math.abs(await one(net) - 2 / 9) < 1e-12);
  assert.throws(
    () =>
      validationDiceHook({ cases: [cube("none", 0)], scorer: new OracleScorer([cube("n", 0)]), target: 2 }),
    /validation cases/,
  );
  net.dispose();
});

/** The box game of tests/self_play_train_test.ts, trimmed. */
function boxOptions(extra: Partial<SelfPlayOptions>): SelfPlayOptions {
  const shape = [8, 16, 16] as const, spacing = [1, 1, 1] as const, affine = diagonalAffine(spacing);
  const labels = new Uint8Array(8 * 16 * 16), image = new Float32Array(8 * 16 * 16).fill(0.2);
  const box: Case = {
    id: "box",
    image: { id: "box", shape, spacing, affine, data: image },
    labels: { id: "box", shape, spacing, affine, data: labels },
  };
  return {
    cases: [box],
    scorer: new OracleScorer([box]),
    env: { window: [4, 8, 8], stride: 4, tau: 1, maxSteps: 16, observationShape: [2, 4, 4] },
    network: { convChannels: [4], hiddenUnits: 8, intensityWindow: null },
    numEnvs: 2,
    totalSteps: 2 * 4 * 7, // 7 updates
    ppo: { numSteps: 4, minibatchSize: 4, updateEpochs: 1 },
    referenceEvery: 0,
    ...extra,
  };
}

Deno.test("validate hook: called every validateEvery updates and at the last, with the learner; logged as validationDice", async () => {
  const calls: number[] = [], seen: PolicyNetwork[] = [], learners: PolicyNetwork[] = [];
  const records: UpdateRecord[] = [];
  const result = await trainSelfPlay(boxOptions({
    validateEvery: 3,
    validate: (network, update) => {
      calls.push(update);
      seen.push(network);
      return Promise.resolve(update / 10);
    },
    onUpdate: (r, view) => {
      learners.push(view.learner);
      records.push(r);
    },
  }));
  assert.deepEqual(calls, [3, 6, 7]);
  assert.ok(seen.every((n) => n === learners[0]), "the hook gets the learner's network");
  assert.deepEqual(records.map((r) => r.validationDice), [NaN, NaN, 0.3, NaN, NaN, 0.6, 0.7]);
  assert.ok(records.every((r) => r.validateEvery === 3));
  result.network.dispose();

  // No hook: never validated, validateEvery 0.
  const plain: UpdateRecord[] = [];
  const r2 = await trainSelfPlay(boxOptions({ onUpdate: (r) => void plain.push(r) }));
  assert.ok(plain.every((r) => r.validateEvery === 0 && Number.isNaN(r.validationDice)));
  r2.network.dispose();
});
