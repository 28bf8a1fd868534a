import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import { RandomAgent } from "../env/baseline_agents.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import {
  closeMatches,
  make,
  parseEnvId,
  register,
  registry,
  RegistryError,
  spec,
  unregister,
} from "../env/registry.ts";
import { SelfPlayEnv } from "../env/self_play_env.ts";
import { DEFAULT_TASK_OPTIONS, taskCases } from "../tasks/spars_tasks.ts";
import "../tasks/spars_tasks.ts";

/** Asserts that `fn` throws an instance of `cls` whose message holds `part`; returns the error. */
function throwsWith(fn: () => unknown, cls: new (...a: never[]) => Error, part = ""): Error {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof cls, `${e} is not a ${cls.name}`);
    assert.ok(e.message.includes(part), `'${e.message}' lacks '${part}'`);
    return e;
  }
  throw new Error("did not throw");
}

Deno.test("registry: ids parse as Namespace/Name-vN; malformed ids are RegistryErrors", () => {
  assert.deepStrictEqual(parseEnvId("SparsGym/Spars-Oracle-v0"), {
    namespace: "SparsGym",
    name: "Spars-Oracle",
    version: 0,
  });
  assert.deepStrictEqual(parseEnvId("Toy-v12"), { name: "Toy", version: 12 });
  for (const bad of ["Toy", "Toy-v", "Toy-v01", "a/b/Toy-v0", "/Toy-v0", "1Toy-v0", "Toy v0-v0", ""]) {
    throwsWith(() => parseEnvId(bad), RegistryError, "Namespace/Name-vN");
  }
});

Deno.test("registry: register, spec, make merge overrides over defaults; re-register needs replace", async () => {
  const id = "Test/Counter-v0";
  try {
    const s = register(id, (o: { start: number; step: number }) => ({ value: o.start + o.step }), {
      start: 10,
      step: 1,
    });
    assert.deepStrictEqual(spec(id), s);
    assert.deepStrictEqual(s.version, 0);
    assert.deepStrictEqual(await make<{ value: number }>(id), { value: 11 });
    assert.deepStrictEqual(await make<{ value: number }, { start: number; step: number }>(id, { step: 5 }), {
      value: 15,
    });
    // undefined keeps the default
    assert.deepStrictEqual(
      await make<{ value: number }, { start: number; step: number }>(id, { step: undefined }),
      {
        value: 11,
      },
    );
    throwsWith(() => register(id, () => 0), RegistryError, "already registered");
    register(id, () => ({ value: -1 }), {}, { replace: true });
    assert.deepStrictEqual(await make(id), { value: -1 });
    assert.ok(registry().some((r) => r.id === id));
    const ids = registry().map((r) => r.id);
    assert.deepStrictEqual(ids, [...ids].sort((a, b) => a.localeCompare(b)));
  } finally {
    unregister(id);
  }
  assert.ok(!registry().some((r) => r.id === id));
});

Deno.test("registry: an unknown id names close matches (other versions first)", async () => {
  assert.deepStrictEqual(closeMatches("SparsGym/Spars-Oracle-v3")[0], "SparsGym/Spars-Oracle-v0");
  const e = throwsWith(() => spec("SparsGym/Spars-Oracel-v0"), RegistryError);
  assert.ok(e.message.includes("'SparsGym/Spars-Oracle-v0'"), e.message);
  await assert.rejects(
    () => make("Nothing/Like-This-At-All-v0"),
    (e: Error) => e instanceof RegistryError && e.message.includes("not registered"),
  );
});

Deno.test("tasks: make('SparsGym/Spars-Oracle-v0') plays the same trajectory as the hand-built env", async () => {
  const made = await make<SelfPlayEnv>("SparsGym/Spars-Oracle-v0");
  const cases = await taskCases(DEFAULT_TASK_OPTIONS.data, "train");
  assert.deepStrictEqual(cases.length, 36); // 72 phantoms, 50% train
  const hand = new SelfPlayEnv({
    scorer: new OracleScorer(cases, { target: 2 }),
    cases,
    window: [12, 24, 24],
    observation: "window+position",
    observationShape: [8, 16, 16],
    stride: 4,
    tau: 0.3,
    termination: "none",
    maxSteps: 32,
    reward: "absolute",
    start: "random",
    opponent: new RandomAgent(0),
  });
  assert.deepStrictEqual(made.env.config.window, [12, 24, 24]);
  assert.deepStrictEqual(made.observationSpace.shape, [8, 16, 16, 4]);
  const actions = [0, 2, 4, 1, 3, 5, 0, 0, 2, 2, 4, 4];
  let a = await made.reset({ seed: 7 });
  let b = await hand.reset({ seed: 7 });
  assert.deepStrictEqual(a.info, b.info);
  assert.deepStrictEqual(a.observation, b.observation);
  for (const act of actions) {
    const sa = await made.step(act), sb = await hand.step(act);
    assert.deepStrictEqual([sa.reward, sa.terminated, sa.truncated, sa.info], [
      sb.reward,
      sb.terminated,
      sb.truncated,
      sb.info,
    ]);
    assert.deepStrictEqual(sa.observation, sb.observation);
    if (sa.terminated || sa.truncated) {
      a = await made.reset();
      b = await hand.reset();
      assert.deepStrictEqual(a.info, b.info);
    }
  }
  made.close();
  hand.close();
});

Deno.test("tasks: paper variant and classifier task options", async () => {
  const s = spec("SparsGym/Spars-Oracle-Paper-v0");
  assert.deepStrictEqual((s.defaults as { window: number[] }).window, [24, 48, 48]);
  assert.deepStrictEqual((s.defaults as { ties: string }).ties, "a");
  await assert.rejects(
    () => make("SparsGym/Spars-Classifier-v0"),
    (e: Error) => e instanceof InvalidArgumentError && e.message.includes("checkpoint"),
  );
  // An overriding scorer and split: the validation cases, no network.
  const scorer = new OracleScorer([], { target: 2 });
  const env = await make<SelfPlayEnv>("SparsGym/Spars-Oracle-v0", {
    split: "val",
    scorer,
    opponent: "greedy",
  });
  assert.deepStrictEqual(env.env.scorer.id.includes("oracle"), true);
  env.close();
});
