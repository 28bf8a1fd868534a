import assert from "node:assert/strict";
import { SparsEnv } from "../env/spars_env.ts";
import { SelfPlayEnv } from "../env/self_play_env.ts";
import { VectorEnv } from "../env/vector_env.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { checkEnv, checkParallelEnv, EnvCheckError } from "../env/checkers.ts";
import { GreedyAgent, RandomAgent } from "../env/baseline_agents.ts";
import type { Scorer } from "../env/scorer.ts";
import { decodePng, encodePng, type RgbaFrame } from "../env/png.ts";
import { AGENT_COLORS } from "../env/frame.ts";
import type { Vec3, Volume } from "../data/types.ts";
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
  maxSteps: 25,
  observationShape: [2, 3, 3] as Vec3,
};

Deno.test("checkParallelEnv passes on SparsEnv (random and centre starts, every observation mode)", async () => {
  for (const observation of ["window", "window+position", "window+map", "window+context"] as const) {
    for (const start of ["random", "center"] as const) {
      await checkParallelEnv(() => new SparsEnv({ scorer: oracle, cases, ...game, start, observation }), {
        seed: 3,
      });
    }
  }
});

Deno.test("checkEnv passes on SelfPlayEnv with random and greedy opponents", async () => {
  await checkEnv(
    () => new SelfPlayEnv({ scorer: oracle, cases, ...game, start: "random", opponent: new RandomAgent(1) }),
    { seed: 5 },
  );
  await checkEnv(
    () => new SelfPlayEnv({ scorer: oracle, cases, ...game, learner: "b", opponent: new GreedyAgent() }),
    { seed: 6 },
  );
});

Deno.test("checkers fail on a broken env (observation outside the space)", async () => {
  const make = () => {
    const env = new SelfPlayEnv({
      scorer: oracle,
      cases,
      ...game,
      opponent: () => 0,
      intensityRange: [0, 1],
    });
    return env; // images are HU-like (-1000..), outside [0, 1]
  };
  await assert.rejects(() => checkEnv(make), EnvCheckError);
});

Deno.test("same seed and actions give identical trajectories; a different seed differs", async () => {
  const play = async (seed: number) => {
    const env = new SparsEnv({ scorer: oracle, cases, ...game, start: "random" });
    const a = new RandomAgent(9);
    const r = await env.reset({ seed });
    const trace = [r.infos.a.caseId, ...r.infos.a.corner, ...r.infos.b.corner];
    while (env.agents.length) {
      const [x, y] = await a.act([r.observations.a, r.observations.b], []);
      const s = await env.step({ a: x, b: y });
      trace.push(...s.infos.a.corner, ...s.infos.b.corner, s.rewards.a, s.infos.a.score);
    }
    return trace;
  };
  assert.deepEqual(await play(1), await play(1));
  assert.notDeepEqual(await play(1), await play(2));
});

class CountingScorer implements Scorer {
  readonly id = "counting";
  calls = 0;
  constructor(readonly inner: Scorer) {}
  score(v: Volume, c: Int32Array, s: Vec3): Promise<Float32Array> {
    this.calls++;
    return this.inner.score(v, c, s);
  }
  scoreBatch(requests: readonly { volume: Volume; corners: Int32Array }[], s: Vec3): Promise<Float32Array[]> {
    this.calls++;
    return Promise.all(requests.map((r) => this.inner.score(r.volume, r.corners, s)));
  }
}

Deno.test("VectorEnv: one scorer call per step; each game equals a single SparsEnv fed the same actions", async () => {
  const counting = new CountingScorer(oracle);
  const n = 3;
  const vec = new VectorEnv({
    numEnvs: n,
    cases: [cases[1]],
    scorer: counting,
    cache: false,
    ...game,
    tau: 1,
    start: "center",
  });
  const singles = Array.from(
    { length: n },
    () => new SparsEnv({ scorer: oracle, cases: [cases[1]], ...game, tau: 1, start: "center" }),
  );
  let v = await vec.reset({ seed: 4 });
  assert.equal(counting.calls, 1);
  const s = await Promise.all(singles.map((e) => e.reset()));
  for (let i = 0; i < n; i++) assert.deepEqual(v.observations.a[i], s[i].observations.a);
  const rng = new RandomAgent(2);
  for (let t = 1; t <= 6; t++) {
    const a = await rng.act(v.observations.a, []), b = await rng.act(v.observations.b, []);
    const step = await vec.step({ a, b });
    assert.equal(counting.calls, 1 + t);
    for (let i = 0; i < n; i++) {
      const r = await singles[i].step({ a: a[i], b: b[i] });
      assert.deepEqual(step.observations.b[i], r.observations.b);
      assert.equal(step.rewards.a[i], r.rewards.a);
      assert.equal(step.infos.a[i].score, r.infos.a.score);
      assert.deepEqual(vec.games[i].map!.toArray(), singles[i].map.toArray());
    }
    v = step;
  }
});

Deno.test("VectorEnv NEXT_STEP autoreset: the ending step reports the flag, the next one resets with reward 0", async () => {
  const vec = new VectorEnv({
    numEnvs: 2,
    cases,
    scorer: oracle,
    ...game,
    maxSteps: 2,
    tau: 1,
    start: "center",
  });
  assert.equal(vec.metadata.autoresetMode, "next_step");
  await vec.reset({ seed: 0 });
  const moves = { a: Int32Array.of(0, 2), b: Int32Array.of(1, 3) };
  const s1 = await vec.step(moves);
  assert.deepEqual(Array.from(s1.truncations.a), [0, 0]);
  const s2 = await vec.step(moves);
  assert.deepEqual(Array.from(s2.truncations.a), [1, 1]);
  assert.deepEqual(Array.from(s2.autoreset), [0, 0]);
  assert.equal(s2.infos.a[0].step, 2);
  const s3 = await vec.step(moves);
  assert.deepEqual(Array.from(s3.autoreset), [1, 1]);
  assert.deepEqual(Array.from(s3.rewards.a), [0, 0]);
  assert.deepEqual(Array.from(s3.truncations.a), [0, 0]);
  assert.equal(s3.infos.a[0].step, 0);
  assert.equal(vec.games[0].map!.events, 0);
  const s4 = await vec.step(moves);
  assert.equal(s4.infos.a[1].step, 1);
  await assert.rejects(() => vec.step({ a: Int32Array.of(0), b: Int32Array.of(0, 0) }), /length/);
});

Deno.test("render: ansi text and an rgba_array frame that encodes to a decodable PNG", async () => {
  const ansi = new SparsEnv({ scorer: oracle, cases, ...game, start: [0, 0, 0] });
  await ansi.reset({ options: { case: cases[0] } });
  await ansi.step({ a: 0, b: 2 });
  const text = ansi.render() as string;
  assert.match(text, /case c0 {2}step 1\/25/);
  assert.match(text, /a {2}corner 2,0,0/);
  const env = new SparsEnv({
    scorer: oracle,
    cases,
    ...game,
    start: [0, 0, 0],
    renderMode: "rgba_array",
    render: { scale: 1 },
  });
  await env.reset({ options: { case: cases[0] } });
  const frame = env.render() as RgbaFrame;
  // Two 16x16 slices side by side with a 4-pixel gap.
  assert.equal(frame.width, 36);
  assert.equal(frame.height, 16);
  const png = encodePng(frame);
  assert.deepEqual(Array.from(png.subarray(0, 8)), [137, 80, 78, 71, 13, 10, 26, 10]);
  const back = decodePng(png);
  assert.deepEqual(back.data, frame.data);
  // Both windows start at (0,0,0): pixel (0,0) is b's outline colour (drawn last), opaque.
  assert.deepEqual(Array.from(back.data.subarray(0, 4)), [...AGENT_COLORS.b, 255]);
});
