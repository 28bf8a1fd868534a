import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { type Case, diagonalAffine } from "../data/types.ts";
import { RandomAgent } from "../env/baseline_agents.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { VectorEnv } from "../env/vector_env.ts";
import { playMatch } from "../agents/match.ts";
import { PolicyAgent } from "../agents/policy_agent.ts";
import { PolicyNetwork } from "../agents/policy_network.ts";
import { type NamedWeight, weightsEqual } from "../agents/snapshot.ts";
import { listCheckpoints } from "../train/checkpoint.ts";
import { createRunFolder, readMetrics } from "../train/run_folder.ts";
import { type SelfPlayOptions, trainSelfPlay, type UpdateRecord } from "../train/self_play.ts";
import { initBackend } from "../models/backend.ts";
import { scratchDir } from "./_helpers.ts";

await initBackend("cpu", { quiet: true });

/**
 * A tiny deterministic game: an 8x16x16 volume, windows of 4x8x8 moved by 4 voxels, so corners
 * z in {0, 2, 4} (start 2), y and x in {0, 4, 8} (start 4). The target fills z >= 6, y >= 12,
 * x >= 12: only the window at corner (4, 8, 8) overlaps it (score 0.125), every other scores 0, and
 * with tau = 1 every episode runs its 16 steps. Best play: +z, +y, +x (any order), then stay in the
 * corner by pushing against the border. No constant action reaches it, so a policy must use its
 * observation (the window and its position).
 */
function boxCase(): Case {
  const shape = [8, 16, 16] as const, n = 8 * 16 * 16;
  const labels = new Uint8Array(n), image = new Float32Array(n);
  for (let z = 0; z < 8; z++) {
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        const i = (z * 16 + y) * 16 + x, inside = z >= 6 && y >= 12 && x >= 12;
        labels[i] = inside ? 1 : 0;
        image[i] = inside ? 1 : 0.2;
      }
    }
  }
  const spacing = [1, 1, 1] as const, affine = diagonalAffine(spacing);
  return {
    id: "box",
    image: { id: "box", shape, spacing, affine, data: image },
    labels: { id: "box", shape, spacing, affine, data: labels },
  };
}

const BOX = boxCase();
const GAME = {
  window: [4, 8, 8] as const,
  stride: 4,
  tau: 1,
  maxSteps: 16,
  observation: "window+position" as const,
  observationShape: [2, 4, 4] as const,
};
const NETWORK = { convChannels: [8, 16], hiddenUnits: 32, intensityWindow: null };

function options(extra: Partial<SelfPlayOptions>): SelfPlayOptions {
  return {
    cases: [BOX],
    scorer: new OracleScorer([BOX]),
    env: GAME,
    network: NETWORK,
    numEnvs: 4,
    totalSteps: 4 * 8 * 6,
    ppo: { numSteps: 8, minibatchSize: 16, updateEpochs: 2, learningRate: 1e-3 },
    seed: 3,
    ...extra,
  };
}

Deno.test("the frozen opponent is a copy: unchanged by learner updates, refreshed exactly every K updates", async () => {
  const learnerAfter: NamedWeight[][] = [], opponentAt: NamedWeight[][] = [], records: UpdateRecord[] = [];
  const result = await trainSelfPlay(options({
    totalSteps: 4 * 8 * 7, // 7 updates
    competitorUpdateEvery: 3,
    pool: { rule: "latest", latestRatio: 0 },
    onUpdate: async (record, view) => {
      records.push(record);
      learnerAfter.push(await view.learner.getWeights());
      opponentAt.push(await view.opponent!.getWeights());
    },
  }));
  const initial = opponentAt[0];
  // Updates 1-3 play against the initial weights although the learner changes after every update.
  assert.ok(!weightsEqual(learnerAfter[0], initial), "the learner must have changed");
  for (const u of [1, 2, 3]) assert.ok(weightsEqual(opponentAt[u - 1], initial), `update ${u}`);
  // Update 4 plays against the learner as it was after update 3, and keeps it through update 6.
  for (const u of [4, 5, 6]) assert.ok(weightsEqual(opponentAt[u - 1], learnerAfter[2]), `update ${u}`);
  assert.ok(!weightsEqual(opponentAt[3], learnerAfter[3]), "no shared reference with the learner");
  assert.ok(weightsEqual(opponentAt[6], learnerAfter[5]), "update 7");
  assert.deepEqual(records.map((r) => r.opponentUpdate), [0, 0, 0, 3, 3, 3, 6]);
  assert.deepEqual(records.map((r) => r.poolSize), [1, 1, 1, 2, 2, 2, 3]);
  // The tensor count is flat across updates (no leak in rollout, update, refresh).
  assert.ok(
    records.every((r) => r.tensors === records[0].tensors),
    `tensors ${records.map((r) => r.tensors)}`,
  );
  result.network.dispose();
});

Deno.test({
  name: "PPO learns the box game: win rate against a random opponent rises above 0.9",
  fn: async () => {
    const evalEnv = new VectorEnv({ ...GAME, numEnvs: 8, cases: [BOX], scorer: new OracleScorer([BOX]) });
    const initial = new PolicyNetwork(
      { ...NETWORK, observationShape: GAME.observationShape, channels: 4 },
      1,
    );
    const initialRate =
      (await playMatch(evalEnv, new PolicyAgent(initial, { seed: 8 }), new RandomAgent(9), 200, 1)).winRate;
    initial.dispose();
    const started = performance.now();
    const result = await trainSelfPlay(options({
      opponent: new RandomAgent(5),
      numEnvs: 8,
      totalSteps: 8 * 16 * 40,
      ppo: { numSteps: 16, minibatchSize: 32, updateEpochs: 4, learningRate: 2.5e-3 },
    }));
    const seconds = (performance.now() - started) / 1000;
    // The trained policy is evaluated as it plays (sampled): in the corner it spreads its mass over the
    // three moves that keep it there, so its arg-max can stall on the way (a deterministic loop).
    const after = await playMatch(
      evalEnv,
      new PolicyAgent(result.network, { seed: 8 }),
      new RandomAgent(9),
      200,
      1,
    );
    console.log(
      `box game: win rate ${initialRate.toFixed(3)} -> ${after.winRate.toFixed(3)} in ${
        seconds.toFixed(1)
      } s`,
    );
    assert.ok(initialRate < 0.3, `initial win rate ${initialRate}`);
    assert.ok(after.winRate > 0.9, `win rate after training ${after.winRate}`);
    result.network.dispose();
  },
});

Deno.test("resume: N updates straight equal N/2, a kill, and a resume (bit-identical weights and metrics)", async () => {
  const root = await scratchDir("resume");
  const base = options({
    totalSteps: 4 * 8 * 6, // 6 updates
    checkpointEvery: 3,
    competitorUpdateEvery: 2,
    pool: { rule: "pfsp", latestRatio: 0.3, pfspMean: 1, pfspSd: 1 },
  });
  const straightRun = await createRunFolder(join(root, "straight"), {});
  const straight = await trainSelfPlay({ ...base, run: straightRun });

  const killedRun = await createRunFolder(join(root, "killed"), {});
  await assert.rejects(
    trainSelfPlay({
      ...base,
      run: killedRun,
      onUpdate: (r) => {
        if (r.update === 5) throw new Error("simulated kill after update 5");
      },
    }),
    /simulated kill/,
  );
  // The kill lost update 4-5 (after the checkpoint at 3) and left a torn checkpoint write behind.
  assert.deepEqual((await listCheckpoints(killedRun.checkpointsDir)).map((c) => c.update), [3]);
  await Deno.mkdir(join(killedRun.checkpointsDir, ".tmp-update-00000006-torn"));
  assert.equal((await readMetrics(killedRun)).length, 5);
  const resumed = await trainSelfPlay({ ...base, run: killedRun, resume: true });
  assert.equal(resumed.resumedFrom, 3);
  assert.equal(resumed.updates, 6);

  assert.ok(
    weightsEqual(await resumed.network.getWeights(), await straight.network.getWeights()),
    "final weights",
  );
  const strip = (r: Record<string, unknown>) => {
    const {
      seconds: _s,
      stepsPerSecond: _r,
      rolloutSeconds: _a,
      updateSeconds: _b,
      evalSeconds: _e,
      scorerCacheHitRate: _c,
      tensors: _t,
      ...rest
    } = r;
    return rest;
  };
  const a = (await readMetrics(straightRun)).map(strip), b = (await readMetrics(killedRun)).map(strip);
  assert.deepEqual(b, a, "metrics of the resumed run equal the uninterrupted run's");
  assert.deepEqual((await listCheckpoints(killedRun.checkpointsDir)).map((c) => c.update), [3, 6]);
  straight.network.dispose();
  resumed.network.dispose();
  await Deno.remove(root, { recursive: true });
});

Deno.test("training on both sides stores side b's transitions too", async () => {
  const records: UpdateRecord[] = [];
  const r = await trainSelfPlay(options({
    totalSteps: 4 * 8 * 2,
    trainBothSides: true,
    onUpdate: (x) => {
      records.push(x);
    },
  }));
  // 4 games x 8 steps x 2 sides, minus autoreset steps (none: episodes last 16 steps > 8)
  assert.equal(records[0].samples, 64);
  await assert.rejects(
    trainSelfPlay(options({ trainBothSides: true, opponent: new RandomAgent(1) })),
    /trainBothSides/,
  );
  assert.ok(tf.memory().numTensors > 0);
  r.network.dispose();
});

Deno.test("resume with a new total keeps the learning-rate schedule of the original total", async () => {
  const root = await scratchDir("schedule");
  const base = options({ totalSteps: 4 * 8 * 6, checkpointEvery: 2 }); // 6 updates of lr 1e-3, annealed
  const run = await createRunFolder(join(root, "run"), {});
  const kill = (r: UpdateRecord) => {
    if (r.update === 2) throw new Error("simulated kill after update 2");
  };
  await assert.rejects(trainSelfPlay({ ...base, run, onUpdate: kill }), /simulated kill/);
  // Shorter: 4 updates in all, the rate still annealing over 6 (it stops at 3/6 of lr, not 1/4).
  const shorter = await trainSelfPlay({ ...base, totalSteps: 4 * 8 * 4, run, resume: true });
  assert.equal(shorter.updates, 4);
  shorter.network.dispose();
  // Longer than the schedule: refused before anything is written (the extra updates would have lr 0).
  await assert.rejects(
    trainSelfPlay({ ...base, totalSteps: 4 * 8 * 8, run, resume: true }),
    /totalSteps.* 6/,
  );
  assert.equal((await readMetrics(run)).length, 4);
  // Back to the original total: updates 5 and 6 finish the original schedule.
  const full = await trainSelfPlay({ ...base, run, resume: true });
  assert.equal(full.resumedFrom, 4);
  full.network.dispose();
  // lr * (1 - (u - 1) / 6) for u = 1..6
  const expected = [1, 5 / 6, 4 / 6, 3 / 6, 2 / 6, 1 / 6].map((f) => 1e-3 * f);
  const rates = (await readMetrics(run)).map((r) => r.learningRate as number);
  assert.equal(rates.length, 6);
  rates.forEach((lr, k) => assert.ok(Math.abs(lr - expected[k]) < 1e-12, `update ${k + 1}: ${lr}`));

  // Without annealing the rate is constant and a resume may extend the run.
  const constant = await createRunFolder(join(root, "constant"), {});
  const flat = {
    ...base,
    ppo: { ...base.ppo, annealLearningRate: false },
    totalSteps: 4 * 8 * 1,
    run: constant,
  };
  (await trainSelfPlay(flat)).network.dispose();
  const longer = await trainSelfPlay({ ...flat, totalSteps: 4 * 8 * 2, resume: true });
  assert.equal(longer.updates, 2);
  longer.network.dispose();
  assert.deepEqual((await readMetrics(constant)).map((r) => r.learningRate), [1e-3, 1e-3]);
  await Deno.remove(root, { recursive: true });
});
