import assert from "node:assert/strict";
import { generatePhantom } from "../data/phantom.ts";
import { Box, Discrete } from "../env/spaces.ts";
import { EnvStateError } from "../env/errors.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { RandomAgent } from "../env/baseline_agents.ts";
import { SelfPlayEnv } from "../env/self_play_env.ts";
import { checkEnv, type GymEnvLike } from "../env/checkers.ts";
import {
  type Env,
  type EnvReset,
  type EnvStep,
  FrameStack,
  NormalizeObservation,
  RecordEpisodeStatistics,
  TimeLimit,
  TransformObservation,
  TransformReward,
} from "../env/wrappers/mod.ts";

interface ToyInfo {
  readonly t: number;
}

/**
 * A deterministic toy env: after t steps the observation is [10 + t, -t] and the reward of a step
 * is its action; it terminates when t reaches `terminateAt`.
 */
class Toy implements Env<Float32Array, number, ToyInfo> {
  readonly observationSpace: Box = new Box([2], -100, 100);
  readonly actionSpace: Discrete = new Discrete(10);
  t = 0;
  closed = false;
  lastInfo?: ToyInfo;
  constructor(readonly terminateAt = 1000) {}
  reset(): Promise<EnvReset<Float32Array, ToyInfo>> {
    this.t = 0;
    return Promise.resolve({ observation: this.#obs(), info: { t: 0 } });
  }
  step(action: number): Promise<EnvStep<Float32Array, ToyInfo>> {
    this.t++;
    this.lastInfo = { t: this.t };
    return Promise.resolve({
      observation: this.#obs(),
      reward: action,
      terminated: this.t >= this.terminateAt,
      truncated: false,
      info: this.lastInfo,
    });
  }
  render(): string {
    return `t=${this.t}`;
  }
  close(): void {
    this.closed = true;
  }
  #obs(): Float32Array {
    return Float32Array.of(10 + this.t, 0 - this.t);
  }
}

Deno.test("TimeLimit: truncated on the k-th step after reset, terminated passed through, count restarts", async () => {
  const env = new TimeLimit(new Toy(), 3);
  await env.reset();
  const flags = [];
  for (let i = 0; i < 3; i++) {
    const r = await env.step(1);
    flags.push([r.terminated, r.truncated]);
  }
  assert.deepStrictEqual(flags, [[false, false], [false, false], [false, true]]);
  assert.equal(env.elapsedSteps, 3);
  await assert.rejects(() => env.step(0), EnvStateError); // until reset
  await env.reset();
  assert.equal(env.elapsedSteps, 0);
  assert.equal((await env.step(0)).truncated, false);
  // Limit and termination on the same step: both true.
  const both = new TimeLimit(new Toy(2), 2);
  await both.reset();
  await both.step(0);
  const r = await both.step(0);
  assert.deepStrictEqual([r.terminated, r.truncated], [true, true]);
  assert.throws(() => new TimeLimit(new Toy(), 0), /positive integer/);
});

Deno.test("RecordEpisodeStatistics: info.episode {r, l, t} on the final step only; queues keep the last n", async () => {
  const toy = new Toy(3);
  const env = new RecordEpisodeStatistics(toy, 2);
  await env.reset();
  const a = await env.step(1), b = await env.step(2), c = await env.step(4);
  assert.equal(a.info.episode, undefined);
  assert.equal(b.info.episode, undefined);
  assert.equal(c.info.episode!.r, 7);
  assert.equal(c.info.episode!.l, 3);
  assert.ok(c.info.episode!.t >= 0 && c.info.episode!.t < 5);
  assert.equal(c.info.t, 3); // the wrapped info's keys are kept
  assert.equal("episode" in toy.lastInfo!, false); // and the wrapped info is not modified
  for (const rewards of [[5, 5, 5], [0, 0, 9]]) {
    await env.reset();
    for (const x of rewards) await env.step(x);
  }
  assert.deepStrictEqual(env.returnQueue, [15, 9]);
  assert.deepStrictEqual(env.lengthQueue, [3, 3]);
  assert.equal(env.timeQueue.length, 2);
  assert.equal(env.episodeCount, 3);
  // Over a TimeLimit: a truncated episode is recorded too, with the steps since reset.
  const limited = new RecordEpisodeStatistics(new TimeLimit(new Toy(), 2));
  await limited.reset();
  await limited.step(3);
  const end = await limited.step(-1);
  assert.deepStrictEqual([end.truncated, end.info.episode!.r, end.info.episode!.l], [true, 2, 2]);
  assert.ok(limited.unwrapped instanceof Toy);
});

Deno.test("TransformObservation / TransformReward apply their function; space as given", async () => {
  const space = new Box([2], -200, 200);
  const env = new TransformReward(
    new TransformObservation(new Toy(), (o: Float32Array) => o.map((v) => 2 * v), space),
    (r) => Math.min(r, 3),
  );
  assert.equal(env.observationSpace, space);
  assert.deepStrictEqual((await env.reset()).observation, Float32Array.of(20, 0));
  const s = await env.step(7);
  assert.deepStrictEqual([...s.observation, s.reward], [22, -2, 3]);
  assert.equal((await env.step(1)).reward, 1);
  env.close();
  assert.ok((env.unwrapped as Toy).closed);
});

Deno.test("NormalizeObservation: (x - mean) / sqrt(var + 1e-8) with Gymnasium's running statistics", async () => {
  const env = new NormalizeObservation(new Toy());
  assert.deepStrictEqual(env.observationSpace.shape, [2]);
  assert.equal(env.observationSpace.high[0], Infinity);
  // Independent reference: pooling the prior (mean 0, var 1, weight 1e-4) with the samples.
  const pooled = (xs: number[]): [number, number] => {
    const w = 1e-4, n = w + xs.length;
    const m = xs.reduce((p, x) => p + x, 0) / n;
    const ss = w * (1 + m * m) + xs.reduce((p, x) => p + (x - m) ** 2, 0);
    return [m, ss / n];
  };
  const expect = (xs: number[]): number => {
    const [m, v] = pooled(xs);
    return (xs[xs.length - 1] - m) / Math.sqrt(v + 1e-8);
  };
  const r0 = await env.reset(); // x = [10, 0]
  assert.ok(Math.abs(r0.observation[0] - expect([10])) < 1e-4);
  // By hand: n = 1.0001, mean = 10 / n, var = (1e-4 + 100e-4 / n) / n = 0.010097990...,
  // (10 - mean) / sqrt(var + 1e-8) = 0.00099990 / 0.10048876 = 0.0099504.
  assert.ok(Math.abs(r0.observation[0] - 0.0099504) < 1e-6, `${r0.observation[0]}`);
  const r1 = await env.step(0); // x = [11, -1]
  assert.ok(Math.abs(r1.observation[0] - expect([10, 11])) < 1e-5, `${r1.observation[0]}`);
  assert.ok(Math.abs(r1.observation[1] - expect([0, -1])) < 1e-5, `${r1.observation[1]}`);
  const r2 = await env.step(0); // x = [12, -2]
  assert.ok(Math.abs(r2.observation[0] - expect([10, 11, 12])) < 1e-5);
  assert.ok(Math.abs(env.rms.count - 3.0001) < 1e-12);
  // Frozen statistics: the same input gives the same output.
  env.updateRunningMean = false;
  await env.reset();
  const frozen = (await env.reset()).observation[0];
  assert.ok(
    Math.abs(frozen - (10 - pooled([10, 11, 12])[0]) / Math.sqrt(pooled([10, 11, 12])[1] + 1e-8)) < 1e-5,
  );
});

Deno.test("FrameStack: last k frames oldest first; reset repeats the first frame (or zero padding)", async () => {
  const env = new FrameStack(new Toy(), 3);
  assert.deepStrictEqual(env.observationSpace.shape, [3, 2]);
  assert.deepStrictEqual([...(await env.reset()).observation], [10, 0, 10, 0, 10, 0]);
  assert.deepStrictEqual([...(await env.step(0)).observation], [10, 0, 10, 0, 11, -1]);
  const kept = (await env.step(0)).observation;
  assert.deepStrictEqual([...kept], [10, 0, 11, -1, 12, -2]);
  assert.deepStrictEqual([...(await env.step(0)).observation], [11, -1, 12, -2, 13, -3]);
  assert.deepStrictEqual([...kept], [10, 0, 11, -1, 12, -2]); // earlier results are not overwritten
  assert.deepStrictEqual([...(await env.reset()).observation], [10, 0, 10, 0, 10, 0]);
  const zero = new FrameStack(new Toy(), 2, "zero");
  assert.deepStrictEqual([...(await zero.reset()).observation], [0, 0, 10, 0]);
  assert.ok(zero.observationSpace.contains((await zero.reset()).observation));
});

Deno.test("wrappers: compose over a SelfPlayEnv; unwrapped and close reach it", async () => {
  const c = generatePhantom({ seed: 3, shape: [16, 32, 32] });
  const inner = new SelfPlayEnv({
    scorer: new OracleScorer([c], { target: 2 }),
    cases: [c],
    window: [8, 16, 16],
    observationShape: [4, 8, 8],
    opponent: new RandomAgent(1),
  });
  const env = new RecordEpisodeStatistics(new FrameStack(new TimeLimit(inner, 4), 2));
  assert.deepStrictEqual((env.observationSpace as Box).shape, [2, 4, 8, 8, 1]);
  const r = await env.reset({ seed: 0 });
  assert.equal(r.observation.length, 2 * 4 * 8 * 8);
  assert.ok(env.observationSpace.contains(r.observation));
  let s;
  let total = 0, steps = 0;
  do {
    s = await env.step(steps % 6);
    total += s.reward;
    steps++;
  } while (!s.terminated && !s.truncated);
  assert.ok(steps <= 4);
  assert.deepStrictEqual([s.info.episode!.r, s.info.episode!.l], [total, steps]);
  assert.equal(env.unwrapped, inner);
  env.close();
  await assert.rejects(() => inner.step(0), /close/);
});

Deno.test("wrappers: a wrapped SelfPlayEnv passes checkEnv (Gymnasium's check_env port)", async () => {
  const c = generatePhantom({ seed: 5, shape: [16, 32, 32] });
  const scorer = new OracleScorer([c], { target: 2 });
  const make = () =>
    // Not RecordEpisodeStatistics: its info.episode.t is wall time, so two rollouts differ by design.
    new FrameStack(
      new NormalizeObservation(
        new TimeLimit(
          new SelfPlayEnv({
            scorer,
            cases: [c],
            window: [8, 16, 16],
            observationShape: [4, 8, 8],
            opponent: new RandomAgent(2),
          }),
          6,
        ),
      ),
      3,
    ) as unknown as GymEnvLike;
  await checkEnv(make, { seed: 1, maxSteps: 20 });
});
