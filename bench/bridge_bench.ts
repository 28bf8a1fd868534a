/**
 * In-process reference of the bridge benchmark (`python python/bench_client.py` runs it): env-steps/s
 * of the served envs' exact setup (self-play view against a random opponent, and a vector of N
 * self-play games) without the server, as one JSON line `{"single": ..., "vector": ...}`.
 *
 * `deno run --allow-read bench/bridge_bench.ts [--seconds 5] [--num-envs 16]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { RandomAgent } from "../env/baseline_agents.ts";
import { SelfPlayEnv } from "../env/self_play_env.ts";
import { VectorEnv } from "../env/vector_env.ts";
import { CaseStore } from "../serve/catalog.ts";

/** Steps/s of the single view and of the vector (env-steps, i.e. games x calls). */
export async function measure(seconds: number, numEnvs: number): Promise<{ single: number; vector: number }> {
  const { cases, oracle } = new CaseStore().get({ count: 8, seed: 0, shape: [32, 64, 64] });
  const rng = new RandomAgent(0);
  const env = new SelfPlayEnv({ scorer: oracle, cases, window: [16, 32, 32], opponent: new RandomAgent(1) });
  await env.reset({ seed: 0 });
  let steps = 0, t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    const r = await env.step((await rng.act([new Float32Array(0)]))[0]);
    steps++;
    if (r.terminated || r.truncated) await env.reset();
    void r.observation.length; // observations are built lazily: build them, as the server does
  }
  const single = steps / ((performance.now() - t0) / 1000);
  const vec = new VectorEnv({ numEnvs, cases, scorer: oracle, window: [16, 32, 32] });
  const opponent = new RandomAgent(2);
  let r = await vec.reset({ seed: 0 });
  let calls = 0;
  t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    const a = await rng.act(r.observations.a), b = await opponent.act(r.observations.b, vec.contexts("b"));
    r = await vec.step({ a, b });
    calls++;
  }
  return { single, vector: (calls * numEnvs) / ((performance.now() - t0) / 1000) };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { seconds: { type: "string", default: "5" }, "num-envs": { type: "string", default: "16" } },
  });
  console.log(JSON.stringify(await measure(Number(values.seconds), Number(values["num-envs"]))));
}
