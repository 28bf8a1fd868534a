/**
 * Issue 11, training checkpoints: deletion by rename, fallback from an invalid newest checkpoint,
 * and validation of `state.json` against its files and the run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { NamedWeight } from "../agents/snapshot.ts";
import {
  CheckpointFileError,
  checkpointName,
  listCheckpoints,
  loadCheckpoint,
  loadLatestCheckpoint,
  saveCheckpoint,
  type TrainerState,
} from "../train/checkpoint.ts";
import { readMetrics } from "../train/run_folder.ts";
import { runTrainCli, type TrainCliIo } from "../train/train_cli.ts";
import { scratchDir } from "./_helpers.ts";

const SHAPE = [2, 3];

function weights(fill: number, shape = SHAPE, name = "policy/w"): NamedWeight[] {
  return [{ name, shape, values: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill) }];
}

/** A consistent state of update `u` of a run with 32 steps per update and 10 updates. */
function state(u: number): TrainerState {
  const w = weights(u);
  return {
    update: u,
    globalStep: u * 32,
    elapsedSeconds: u,
    learner: w,
    optimizer: { step: u, m: weights(0.5, SHAPE, "m/policy/w"), v: weights(0.25, SHAPE, "v/policy/w") },
    opponent: w,
    opponentUpdate: 0,
    pool: [{ update: 0, weights: w }],
    rngs: { learner: [1, 2, 3, 4], opponent: [1, 2, 3, 4], shuffle: [1, 2, 3, 4], pool: [1, 2, 3, 4] },
    scheduleUpdates: 10,
  };
}

const EXPECT = { stepsPerUpdate: 32, totalUpdates: 10, weights: weights(0), opponent: true };

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

Deno.test("a kill while an old checkpoint is deleted leaves no partial update- folder", async () => {
  const dir = join(await scratchDir("ckpt-kill"), "checkpoints");
  await saveCheckpoint(dir, state(1), 2);
  await saveCheckpoint(dir, state(2), 2);
  // The "kill": the recursive removal of update 1 stops after deleting one of its files.
  const remove = Deno.remove;
  Deno.remove = async (path: string | URL, options?: Deno.RemoveOptions) => {
    if (options?.recursive && String(path).includes("update-00000001")) {
      await remove(join(String(path), "learner.bin"));
      throw new Error("killed");
    }
    return remove(path, options);
  };
  try {
    await assert.rejects(saveCheckpoint(dir, state(3), 2), /killed/);
  } finally {
    Deno.remove = remove;
  }
  // Every listed checkpoint is complete; the next load removes the hidden leftover.
  const listed = await listCheckpoints(dir);
  assert.deepEqual(listed.map((c) => c.update), [2, 3]);
  for (const c of listed) await loadCheckpoint(c.path);
  assert.equal((await loadLatestCheckpoint(dir, EXPECT))?.update, 3);
  assert.deepEqual(await names(dir), [checkpointName(2), checkpointName(3)]);
});

Deno.test("resume skips an invalid newest checkpoint with a warning and uses the newest valid one", async () => {
  const dir = join(await scratchDir("ckpt-fallback"), "checkpoints");
  for (const u of [1, 2, 3]) await saveCheckpoint(dir, state(u), 3);
  // 3: torn weights; 2: state.json claims update 9999 (it would train nothing).
  const learner = join(dir, checkpointName(3), "learner.bin");
  await Deno.writeFile(learner, (await Deno.readFile(learner)).slice(0, 20));
  const statePath = join(dir, checkpointName(2), "state.json");
  await Deno.writeTextFile(
    statePath,
    JSON.stringify({ ...JSON.parse(await Deno.readTextFile(statePath)), update: 9999 }),
  );
  const warnings: string[] = [];
  const restored = await loadLatestCheckpoint(dir, EXPECT, (w) => warnings.push(w));
  assert.equal(restored?.update, 1);
  assert.match(warnings.join("\n"), /skipping the invalid checkpoint .*update-00000003/);
  assert.match(warnings.join("\n"), /update-00000002.*state\.json: holds update 9999/);
  // The invalid ones are moved aside (kept, hidden), so the next save of 2 and 3 is the newest.
  assert.deepEqual((await listCheckpoints(dir)).map((c) => c.update), [1]);
  assert.equal((await names(dir)).filter((n) => n.startsWith(".invalid-update-")).length, 2);
});

Deno.test("state.json is validated against its folder, its files and the run", async () => {
  const cases: [string, (s: TrainerState) => TrainerState, RegExp][] = [
    [
      "beyond the run",
      (s) => ({ ...s, update: 11, globalStep: 11 * 32 }),
      /holds update 11 .*at most the run's 10/,
    ],
    ["env steps", (s) => ({ ...s, globalStep: 5 }), /holds globalStep 5/],
    ["opponent update", (s) => ({ ...s, opponentUpdate: 7 }), /holds opponentUpdate 7/],
    [
      "learner shapes",
      (s) => ({ ...s, learner: weights(1, [3, 2]) }),
      /learner\.bin: holds 1 tensors that do not match/,
    ],
    [
      "pool shapes",
      (s) => ({ ...s, pool: [{ update: 0, weights: weights(1, [6]) }] }),
      /pool\.bin: .*snapshot 0/,
    ],
  ];
  for (const [label, change, message] of cases) {
    const dir = join(await scratchDir("ckpt-validate"), "checkpoints");
    await saveCheckpoint(dir, change(state(4)), 2);
    const warnings: string[] = [];
    await assert.rejects(
      loadLatestCheckpoint(dir, EXPECT, (w) => warnings.push(w)),
      (e) =>
        e instanceof CheckpointFileError && /holds no valid checkpoint/.test(e.message) &&
        message.test(e.message),
      label,
    );
    assert.match(warnings.join("\n"), message, label);
  }
  // A consistent checkpoint passes.
  const ok = join(await scratchDir("ckpt-validate"), "checkpoints");
  await saveCheckpoint(ok, state(4), 2);
  assert.equal((await loadLatestCheckpoint(ok, EXPECT))?.update, 4);
});

Deno.test("deno task train --resume falls back from a corrupt newest checkpoint and redoes its update", async () => {
  const root = await scratchDir("ckpt-resume");
  const run = join(root, "run");
  const tiny = [
    ...["--scorer", "oracle", "--phantoms", "8", "--phantom-shape", "16x32x32", "--window", "8x16x16"],
    ...["--observation-shape", "4x8x8", "--num-envs", "2", "--num-steps", "16", "--minibatch-size", "16"],
    ...["--update-epochs", "1", "--checkpoint-every", "1", "--total-steps", "128", "--no-eval"],
  ];
  const lines: string[] = [];
  const io: TrainCliIo = { out: (t) => lines.push(t), err: (t) => lines.push(t), progress: () => {} };
  assert.equal(await runTrainCli(["--run", run, ...tiny], io), 0, lines.join("\n"));
  const newest = join(run, "checkpoints", checkpointName(4), "state.json");
  const good = JSON.parse(await Deno.readTextFile(newest));
  await Deno.writeTextFile(newest, JSON.stringify({ ...good, update: 9999 }));
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...a: unknown[]) => warnings.push(a.join(" "));
  try {
    assert.equal(await runTrainCli(["--resume", run], io), 0, lines.join("\n"));
  } finally {
    console.warn = warn;
  }
  assert.match(warnings.join("\n"), /skipping the invalid checkpoint .*update-00000004/);
  assert.equal(JSON.parse(await Deno.readTextFile(newest)).update, 4, "update 4 trained again");
  const metrics = await readMetrics({
    dir: run,
    configPath: "",
    metricsPath: join(run, "metrics.jsonl"),
    checkpointsDir: "",
  });
  assert.deepEqual(metrics.map((r) => r.update), [1, 2, 3, 4]);
  await Deno.remove(root, { recursive: true });
});
