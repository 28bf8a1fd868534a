import assert from "node:assert/strict";
import { join } from "node:path";
import { type Case, diagonalAffine } from "../data/types.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { weightsEqual } from "../agents/snapshot.ts";
import { type SelfPlayOptions, trainSelfPlay, type UpdateRecord } from "../train/self_play.ts";
import { initBackend } from "../models/backend.ts";
import { createRunFolder, readMetrics } from "../train/run_folder.ts";
import { scratchDir } from "./_helpers.ts";

await initBackend("cpu", { quiet: true });

/** The box game of tests/self_play_train_test.ts: 8x16x16, target in the corner z>=6, y>=12, x>=12. */
function boxCase(id: string, presence: 0 | 1): Case {
  const shape = [8, 16, 16] as const, n = 8 * 16 * 16;
  const labels = new Uint8Array(n), image = new Float32Array(n);
  for (let z = 0; z < 8; z++) {
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        const i = (z * 16 + y) * 16 + x, inside = presence === 1 && z >= 6 && y >= 12 && x >= 12;
        labels[i] = inside ? 1 : 0;
        image[i] = inside ? 1 : 0.2;
      }
    }
  }
  const spacing = [1, 1, 1] as const, affine = diagonalAffine(spacing);
  return {
    id,
    presence,
    image: { id, shape, spacing, affine, data: image },
    labels: { id, shape, spacing, affine, data: labels },
  };
}

const BOX = boxCase("box", 1);
const GAME = {
  window: [4, 8, 8] as const,
  stride: 4,
  tau: 1,
  maxSteps: 16,
  observation: "window+position" as const,
  observationShape: [2, 4, 4] as const,
};

function options(extra: Partial<SelfPlayOptions>): SelfPlayOptions {
  return {
    cases: [BOX],
    scorer: new OracleScorer([BOX]),
    env: GAME,
    network: { convChannels: [8, 16], hiddenUnits: 32, intensityWindow: null },
    numEnvs: 4,
    totalSteps: 4 * 8 * 7, // 7 updates
    ppo: { numSteps: 8, minibatchSize: 16, updateEpochs: 2, learningRate: 1e-3 },
    seed: 3,
    ...extra,
  };
}

async function train(
  extra: Partial<SelfPlayOptions>,
): Promise<{ records: UpdateRecord[]; weights: unknown }> {
  const records: UpdateRecord[] = [];
  const result = await trainSelfPlay(options({
    ...extra,
    onUpdate: (r) => {
      records.push(r);
    },
  }));
  const weights = await result.network.getWeights();
  result.network.dispose();
  return { records, weights };
}

Deno.test("reference matches run on schedule and leave training untouched (same weights, same records)", async () => {
  const withRef = await train({ referenceEvery: 3, referenceGames: 4, referenceMaxSteps: 6 });
  const without = await train({ referenceEvery: 0 });
  assert.ok(weightsEqual(withRef.weights as never, without.weights as never), "final weights");
  const due = withRef.records.filter((r) => !Number.isNaN(r.vsRandomWinRate)).map((r) => r.update);
  assert.deepEqual(due, [1, 3, 6, 7]);
  for (const r of withRef.records) {
    assert.equal(r.referenceEvery, 3);
    assert.equal(Number.isNaN(r.vsGreedyWinRate), !due.includes(r.update), `update ${r.update}`);
    if (!due.includes(r.update)) continue;
    for (const v of [r.vsRandomWinRate, r.vsRandomDrawRate, r.vsGreedyWinRate, r.vsGreedyDrawRate]) {
      assert.ok(v >= 0 && v <= 1 && (4 * v) % 1 === 0, `a share of 4 episodes: ${v}`);
    }
    for (const v of [r.vsRandomMargin, r.vsGreedyMargin]) assert.ok(v >= -0.125 && v <= 0.125, `margin ${v}`);
  }
  assert.ok(without.records.every((r) => Number.isNaN(r.vsRandomWinRate) && r.referenceEvery === 0));
  // Same training: every training field equal (only timing, cache and eval fields may differ).
  const training = (r: UpdateRecord) => [r.meanReturn, r.policyLoss, r.entropy, r.approxKl, r.opponentUpdate];
  assert.deepEqual(withRef.records.map(training), without.records.map(training));
  // The tensor count is flat with the reference matches too.
  assert.ok(withRef.records.every((r) => r.tensors === withRef.records[0].tensors));
});

Deno.test("competitorUpdateEvery auto: a 16-update run refreshes every 2 updates and samples the pool", async () => {
  const { records } = await train({
    totalSteps: 2 * 4 * 16,
    numEnvs: 2,
    ppo: { numSteps: 4, minibatchSize: 8, updateEpochs: 1, learningRate: 1e-3 },
    pool: { rule: "uniform", latestRatio: 0 },
    referenceEvery: 0,
  });
  assert.equal(records.length, 16);
  assert.ok(records.every((r) => r.competitorUpdateEvery === 2));
  // Refreshes before updates 3, 5, ..., 15 add the learner after updates 2, 4, ..., 14.
  const expectedPool = records.map((r) => 1 + Math.floor((r.update - 1) / 2));
  assert.deepEqual(records.map((r) => r.poolSize), expectedPool);
  assert.equal(records.at(-1)!.poolSize, 8);
  for (const r of records) {
    const latest = 2 * Math.floor((r.update - 1) / 2);
    assert.ok(
      r.opponentUpdate % 2 === 0 && r.opponentUpdate <= latest,
      `update ${r.update}: ${r.opponentUpdate}`,
    );
  }
  // Uniform sampling over the pool: not always the newest snapshot.
  const refreshed = records.filter((r) => r.update >= 3 && r.update % 2 === 1);
  assert.ok(refreshed.some((r) => r.opponentUpdate !== r.update - 1), "some draw is an older snapshot");
  assert.ok(new Set(records.map((r) => r.opponentUpdate)).size >= 3, "the opponent changes");
});

Deno.test("rollout measures in the records: valid share, ends by presence, visited windows, on-target share", async () => {
  const { records } = await train({ referenceEvery: 0, evalTarget: 1 });
  // 4 games reset together, 16-step episodes (tau 1), one autoreset row after each: rows 17, 34, 51
  // fall in updates 3, 5, 7 (8 rows per game per update); episodes end at rows 16, 33, 50.
  assert.deepEqual(records.map((r) => r.validShare), [1, 1, 7 / 8, 1, 7 / 8, 1, 7 / 8]);
  const ended = [2, 5, 7];
  for (const r of records) {
    const ends = ended.includes(r.update);
    assert.equal(r.terminatedSharePositive, ends ? 0 : NaN, `update ${r.update}`); // never terminated
    assert.ok(Number.isNaN(r.terminatedShareNegative), "no negative case");
    // 3 corners per axis: 1..17 distinct windows of 27 in a 16-step episode
    if (ends) assert.ok(r.distinctWindows >= 1 && r.distinctWindows <= 17, `${r.distinctWindows}`);
    else assert.ok(Number.isNaN(r.distinctWindows));
    // box game: the oracle scores 0.125 on the one target window, else 0; the share of
    // on-target steps times 0.125 is the mean visited score.
    assert.ok(Math.abs(r.visitedScore - 0.125 * r.onTargetShareLabels) < 1e-9, `update ${r.update}`);
  }
});

Deno.test("auto refresh period follows the run's schedule when a resume changes the total", async () => {
  const root = await scratchDir("auto-resume");
  const run = await createRunFolder(join(root, "run"), {});
  const tiny = {
    numEnvs: 2,
    ppo: { numSteps: 4, minibatchSize: 8, updateEpochs: 1, learningRate: 1e-3 },
    pool: { rule: "latest" as const, latestRatio: 1 },
    referenceEvery: 0,
    checkpointEvery: 4,
    run,
  };
  // 24 updates: auto = round(24 / 8) = 3. Killed after update 5 (checkpoint at 4).
  await assert.rejects(
    trainSelfPlay(options({
      ...tiny,
      totalSteps: 2 * 4 * 24,
      onUpdate: (r) => {
        if (r.update === 5) throw new Error("simulated kill");
      },
    })),
    /simulated kill/,
  );
  // Resumed with 12 updates in all: round(12 / 8) would be 2; the run's schedule keeps 3.
  const resumed = await trainSelfPlay(options({ ...tiny, totalSteps: 2 * 4 * 12, resume: true }));
  resumed.network.dispose();
  const records = await readMetrics(run);
  assert.deepEqual(records.map((r) => r.update), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.ok(records.every((r) => r.competitorUpdateEvery === 3));
  // latest rule: the opponent is the learner after update 3, 6, 9 from updates 4, 7, 10 on
  assert.deepEqual(records.map((r) => r.opponentUpdate), [0, 0, 0, 3, 3, 3, 6, 6, 6, 9, 9, 9]);
  await Deno.remove(root, { recursive: true });
});
