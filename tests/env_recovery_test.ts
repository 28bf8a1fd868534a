/**
 * Issue 11 (fault recovery): a failed scorer call or a bad action leaves SparsEnv, SelfPlayEnv and
 * VectorEnv exactly as they were; retrying gives the result that an env without the fault gives.
 */
import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3, Volume } from "../data/types.ts";
import { RandomAgent } from "../env/baseline_agents.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import type { Scorer } from "../env/scorer.ts";
import { SelfPlayEnv } from "../env/self_play_env.ts";
import { SparsEnv } from "../env/spars_env.ts";
import { VectorEnv } from "../env/vector_env.ts";
import { boxCase } from "./_cases.ts";

const cases = [
  boxCase("c0", [10, 16, 16], [2, 4, 8], [5, 6, 6], 2),
  boxCase("c1", [12, 16, 20], [6, 2, 2], [4, 8, 8], 2),
];
const oracle = new OracleScorer(cases, { target: 2 });
const game = {
  window: [4, 6, 6] as Vec3,
  stride: 2,
  tau: 0.6,
  maxSteps: 6,
  start: "random" as const,
  observationShape: [2, 3, 3] as Vec3,
};

/** The oracle, except that the next call fails when `fault` is set ("reject" or NaN scores). */
class FlakyScorer implements Scorer {
  readonly id = "flaky";
  fault: "reject" | "nan" | undefined;
  calls = 0;
  score(volume: Volume, corners: Int32Array, size: Vec3): Promise<Float32Array> {
    this.calls++;
    const fault = this.fault;
    this.fault = undefined;
    if (fault === "reject") return Promise.reject(new Error("scorer device lost"));
    if (fault === "nan") return Promise.resolve(new Float32Array(corners.length / 3).fill(NaN));
    return oracle.score(volume, corners, size);
  }
}

/** A fixed action sequence, enough for several episodes. */
const ACTIONS: readonly number[] = [0, 2, 4, 1, 3, 5, 0, 0, 2, 2, 4, 4, 1, 5, 3, 0, 2, 4, 1, 3];

/** Everything an env state shows: corners, scores, step, map sum, agents. */
function snapshot(env: SparsEnv): unknown {
  const g = env.game;
  return { corners: g.corners, scores: g.scores, step: g.step, map: g.map?.scoreSum, agents: env.agents };
}

/** Plays seeds 3 then an unseeded reset, injecting `fault` at every step (and reset) in `faultAt`. */
async function playSparsEnv(
  fault: "reject" | "nan" | undefined,
  faultAt: ReadonlySet<number>,
): Promise<unknown[]> {
  const scorer = new FlakyScorer();
  const env = new SparsEnv({ scorer, cases, ...game, cache: false });
  const trace: unknown[] = [];
  let t = 0;
  const attempt = async <T>(f: () => Promise<T>): Promise<T> => {
    if (fault && faultAt.has(t)) {
      const before = snapshot(env);
      scorer.fault = fault;
      await assert.rejects(f, fault === "nan" ? InvalidArgumentError : /device lost/);
      assert.deepEqual(snapshot(env), before, `state changed by the failed call ${t}`);
    }
    t++;
    return await f();
  };
  for (const seed of [3, undefined]) {
    const r = await attempt(() => env.reset({ seed }));
    trace.push(r.infos.a.caseId, r.infos.a.corner, r.infos.b.corner, r.infos.a.score);
    for (let i = 0; env.agents.length; i++) {
      const s = await attempt(() => env.step({ a: ACTIONS[i], b: ACTIONS[ACTIONS.length - 1 - i] }));
      trace.push(s.infos.a.corner, s.infos.b.corner, s.rewards, s.terminations.a, s.truncations.a);
    }
    trace.push(Array.from(env.map.toArray()));
  }
  return trace;
}

Deno.test("SparsEnv: after a rejected or NaN scorer call (reset or step) the same call can be retried", async () => {
  const reference = await playSparsEnv(undefined, new Set());
  for (const fault of ["reject", "nan"] as const) {
    // Faults at the first reset, at steps, and at the second (unseeded) reset: its generator must
    // be restored, or the retried reset would draw another case and start.
    assert.deepEqual(await playSparsEnv(fault, new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])), reference);
  }
});

Deno.test("SparsEnv: a failed step keeps the agents and does not say 'called before reset'", async () => {
  const scorer = new FlakyScorer();
  const env = new SparsEnv({ scorer, cases, ...game, cache: false });
  await env.reset({ seed: 1 });
  scorer.fault = "reject";
  await assert.rejects(() => env.step({ a: 0, b: 1 }), /device lost/);
  assert.deepEqual(env.agents, ["a", "b"]);
  const s = await env.step({ a: 0, b: 1 });
  assert.equal(s.infos.a.step, 1);
});

/** A self-play run with a stochastic opponent; `faultAt` steps fail once before succeeding. */
async function playSelfPlay(
  faultAt: ReadonlySet<number>,
): Promise<{ trace: unknown[]; opponentCalls: number }> {
  const scorer = new FlakyScorer();
  const random = new RandomAgent(11);
  let opponentCalls = 0;
  const opponent = async (o: Float32Array): Promise<number> => {
    opponentCalls++;
    return (await random.act([o]))[0];
  };
  const env = new SelfPlayEnv({ scorer, cases, ...game, cache: false, opponent });
  let r = await env.reset({ seed: 4 });
  const trace: unknown[] = [r.info.corner];
  for (let i = 0; i < 40; i++) {
    if (faultAt.has(i)) {
      scorer.fault = "reject";
      await assert.rejects(() => env.step(ACTIONS[i % ACTIONS.length]), /device lost/);
      // A bad learner action is refused before the opponent moves.
      const calls = opponentCalls;
      await assert.rejects(
        () => env.step(7),
        (e: unknown) => e instanceof InvalidArgumentError && e.source === "action",
      );
      assert.equal(opponentCalls, calls);
    }
    const s = await env.step(ACTIONS[i % ACTIONS.length]);
    trace.push(s.info.corner, s.info.opponentCorner, s.reward, s.terminated, s.truncated);
    if (s.terminated || s.truncated) r = await env.reset();
  }
  return { trace, opponentCalls };
}

Deno.test("SelfPlayEnv: a failed step is retried with the same opponent move; the run equals a fault-free one", async () => {
  const reference = await playSelfPlay(new Set());
  const faulty = await playSelfPlay(new Set([0, 3, 4, 9, 17, 30]));
  assert.deepEqual(faulty.trace, reference.trace);
  // The opponent (a stochastic agent) moved once per successful step, not once per attempt.
  assert.equal(faulty.opponentCalls, reference.opponentCalls);
});

/** A vector run (with autoresets, maxSteps 6) where `faultAt` steps fail once first. */
async function playVector(
  faultAt: ReadonlySet<number>,
  badActionAt: ReadonlySet<number>,
): Promise<{ trace: unknown[]; autoresets: number; badActions: number }> {
  const scorer = new FlakyScorer();
  const env = new VectorEnv({ numEnvs: 4, scorer, cases, ...game, cache: false });
  const state = () => env.games.map((g) => ({ corners: g.corners, step: g.step, map: g.map?.scoreSum }));
  if (faultAt.has(-1)) {
    scorer.fault = "reject";
    await assert.rejects(() => env.reset({ seed: 9 }), /device lost/);
  }
  const r = await env.reset({ seed: 9 });
  const trace: unknown[] = [r.infos.a.map((i) => i.corner), r.infos.b.map((i) => i.corner)];
  let autoresets = 0, badActions = 0;
  for (let t = 0; t < 20; t++) {
    const a = Int32Array.from({ length: 4 }, (_, i) => ACTIONS[(t + i) % ACTIONS.length]);
    const b = Int32Array.from({ length: 4 }, (_, i) => ACTIONS[(t + 3 * i) % ACTIONS.length]);
    const before = state();
    // Only the last running game's action is bad (autoreset games ignore theirs): no game may move.
    const k = env.games.findLastIndex((g) => !g.done);
    if (badActionAt.has(t) && k >= 0) {
      badActions++;
      const bad = Int32Array.from(b);
      bad[k] = 6;
      await assert.rejects(
        () => env.step({ a, b: bad }),
        (e: unknown) => e instanceof InvalidArgumentError && e.source === `actions.b[${k}]`,
      );
      assert.deepEqual(state(), before);
    }
    if (faultAt.has(t)) {
      scorer.fault = t % 2 ? "reject" : "nan";
      await assert.rejects(() => env.step({ a, b }));
      assert.deepEqual(state(), before);
    }
    const s = await env.step({ a, b });
    trace.push(
      s.infos.a.map((i) => i.corner),
      s.infos.b.map((i) => i.corner),
      s.infos.a.map((i) => i.caseId),
    );
    trace.push(Array.from(s.rewards.a), Array.from(s.terminations.a), Array.from(s.autoreset));
    autoresets += s.autoreset.reduce((n, x) => n + x, 0);
  }
  return { trace, autoresets, badActions };
}

Deno.test("VectorEnv: a bad action in one game or a scorer failure moves no game; retries match a fault-free run", async () => {
  const reference = await playVector(new Set(), new Set());
  assert.ok(reference.autoresets >= 4, `the run should contain autoresets (${reference.autoresets})`);
  // Faults at the reset (-1) and at every step, so some hit steps that autoreset games.
  const allSteps = new Set(Array.from({ length: 21 }, (_, t) => t - 1));
  const faulty = await playVector(allSteps, allSteps);
  assert.deepEqual(faulty.trace, reference.trace);
  assert.ok(faulty.badActions >= 10, `${faulty.badActions} steps with a bad action`);
});
