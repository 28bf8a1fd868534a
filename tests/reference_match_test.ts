import assert from "node:assert/strict";
import { type Case, diagonalAffine } from "../data/types.ts";
import type { Agent } from "../env/agent.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { VectorEnv } from "../env/vector_env.ts";
import { playReferenceMatch } from "../agents/reference_match.ts";
import { isDue, resolveEvery } from "../train/progress_metrics.ts";

/**
 * 8x16x16 volume, 4x8x8 windows moved by 4 voxels, centre start (2, 4, 4). The target fills
 * z >= 6, y >= 12, x >= 12: only the window at (4, 8, 8) touches it, with 2*4*4 = 32 of its 256
 * voxels, so its oracle score is 0.125 and every other window scores 0. tau = 1: no termination.
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

/** Plays scripts[game][t] at the t-th call of its episode; counts calls itself. */
class ScriptedAgent implements Agent {
  readonly name = "scripted";
  #t = 0;
  constructor(readonly scripts: readonly (readonly number[])[]) {}
  act(observations: readonly Float32Array[]): Promise<Int32Array> {
    const t = this.#t++;
    return Promise.resolve(
      Int32Array.from(observations, (_, i) => this.scripts[i][t % this.scripts[i].length]),
    );
  }
}

const [PZ, MZ, PY, , PX, MX] = [0, 1, 2, 3, 4, 5];

Deno.test("reference match: win/draw rates, return and per-step score margin of hand-made games", async () => {
  const box = boxCase();
  const env = new VectorEnv({
    numEnvs: 3,
    cases: [box],
    scorer: new OracleScorer([box]),
    window: [4, 8, 8],
    stride: 4,
    tau: 1,
    maxSteps: 5,
    observation: "window",
    observationShape: [2, 4, 4],
  });
  // game 0: a reaches the target at step 3 and pushes against the border (stays); b goes to z = 0.
  //   a's scores 0, 0, .125, .125, .125 vs 0 -> rewards 0, 0, 1, 1, 1: return 3 (win), margin sum .375
  // game 1: both go to z = 0 every step: all ties -> return 0 (draw), margin 0
  // game 2: b reaches the target at step 3, then leaves it (-x twice); a stays at z = 0.
  //   b's scores 0, 0, .125, 0, 0 -> a's rewards 0, 0, -1, 0, 0: return -1 (loss), margin sum -.125
  const a = new ScriptedAgent([[PZ, PY, PX, PX, PX], [MZ], [MZ]]);
  const b = new ScriptedAgent([[MZ], [MZ], [PZ, PY, PX, MX, MX]]);
  const r = await playReferenceMatch(env, a, b, 7);
  assert.equal(r.episodes, 3);
  assert.equal(r.steps, 15);
  assert.equal(r.meanLength, 5);
  assert.equal(r.winRate, 1 / 3);
  assert.equal(r.drawRate, 1 / 3);
  assert.ok(Math.abs(r.meanReturn - 2 / 3) < 1e-12, `mean return ${r.meanReturn}`);
  assert.ok(Math.abs(r.meanMargin - 0.25 / 15) < 1e-9, `mean margin ${r.meanMargin}`);
});

Deno.test("reference match: games that end early are not counted twice (one episode per game)", async () => {
  const box = boxCase();
  // tau = 0.1: game 0 terminates at step 3 (a reaches .125); game 1 runs to maxSteps 6.
  const env = new VectorEnv({
    numEnvs: 2,
    cases: [box],
    scorer: new OracleScorer([box]),
    window: [4, 8, 8],
    stride: 4,
    tau: 0.1,
    maxSteps: 6,
    observationShape: [2, 4, 4],
  });
  const a = new ScriptedAgent([[PZ, PY, PX, MZ, MZ, MZ], [MZ]]);
  const b = new ScriptedAgent([[MZ], [MZ]]);
  const r = await playReferenceMatch(env, a, b, 1);
  assert.equal(r.episodes, 2);
  assert.equal(r.steps, 3 + 6);
  assert.equal(r.winRate, 1 / 2);
  assert.equal(r.drawRate, 1 / 2);
  assert.ok(Math.abs(r.meanMargin - 0.125 / 9) < 1e-9, `mean margin ${r.meanMargin}`);
});

Deno.test("schedules: auto periods scale with the run; due at every k-th, the first and the last update", () => {
  // opponent refresh: round(updates / 8)
  assert.equal(resolveEvery("x", "auto", 16, "round", 1), 2);
  assert.equal(resolveEvery("x", "auto", 100, "round", 1), 13);
  assert.equal(resolveEvery("x", "auto", 3, "round", 1), 1);
  // logging: floor(updates / 8), so >= 8 points whenever the run has >= 8 updates
  assert.equal(resolveEvery("x", "auto", 15, "floor"), 1);
  assert.equal(resolveEvery("x", "auto", 23, "floor"), 2);
  assert.equal(resolveEvery("x", 0, 23, "floor"), 0);
  assert.throws(() => resolveEvery("competitorUpdateEvery", 0, 16, "round", 1), /competitorUpdateEvery/);
  assert.throws(() => resolveEvery("referenceEvery", 1.5, 16, "floor"), /referenceEvery/);
  const due = (every: number, total: number, first: boolean) =>
    Array.from({ length: total }, (_, k) => k + 1).filter((u) => isDue(every, u, total, first));
  assert.deepEqual(due(3, 7, true), [1, 3, 6, 7]);
  assert.deepEqual(due(3, 7, false), [3, 6, 7]);
  assert.deepEqual(due(0, 7, true), []);
  // the default run (16 updates, auto): 9 reference points
  assert.equal(due(resolveEvery("x", "auto", 16, "floor"), 16, true).length, 9);
});
