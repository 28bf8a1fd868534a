import assert from "node:assert/strict";
import { join } from "node:path";
import { InvalidArgumentError } from "../data/errors.ts";
import type { Case, Vec3 } from "../data/types.ts";
import type { Agent } from "../env/agent.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import type { Scorer } from "../env/scorer.ts";
import { runEvaluation } from "../eval/evaluate.ts";
import { type PolicyActionMode, type PolicyPlayers, policyPlayers } from "../eval/players.ts";
import { boxCase } from "./_cases.ts";
import { scratchDir } from "./_helpers.ts";

const BOX = boxCase("box", [4, 32, 32], [0, 16, 18], [4, 8, 12], 2);
const EMPTY = boxCase("empty", [4, 32, 32], [0, 4, 4], [4, 8, 8], 1); // no target voxel
const GAME = { window: [4, 8, 8] as Vec3, stride: 4, maxSteps: 6, tau: 1 };
const PLAIN = { starts: 1, refineTop: 0 } as const;
const ORACLE = new OracleScorer([BOX, EMPTY], { target: 2 });
const WEAK: Scorer = { id: "share-test", score: (v, c, s) => ORACLE.score(v, c, s) };

/** A policy factory whose players record (mode, seed) and act: argmax always +x, sampled always +y. */
class RecordingPlayers implements PolicyPlayers {
  readonly name = "recording";
  readonly made: { mode: PolicyActionMode; seed: number; agent: Agent }[] = [];
  readonly acted = new Set<Agent>();
  player(mode: PolicyActionMode, seed: number): Agent {
    const agent: Agent = {
      name: `rec-${mode}`,
      act: (obs) => {
        this.acted.add(agent);
        return Promise.resolve(Int32Array.from(obs, () => (mode === "greedy" ? 4 : 2)));
      },
    };
    this.made.push({ mode, seed, agent });
    return agent;
  }
}

Deno.test("players: by default the two sides of a policy row are distinct, side b samples with its own seed", () => {
  const f = new RecordingPlayers();
  for (const method of ["agents", "agents-argmax"] as const) {
    const pair = policyPlayers(method, f, { seed: 3, caseId: "c1" }) as { a: Agent; b: Agent };
    assert.notEqual(pair.a, pair.b);
    const [a, b] = f.made.slice(-2);
    assert.equal(a.agent, pair.a);
    assert.equal(b.agent, pair.b);
    assert.equal(a.mode, method === "agents" ? "sample" : "greedy");
    assert.equal(b.mode, "sample");
    assert.notEqual(a.seed, b.seed);
  }
  // Seeded per case: another case, other seeds; the same case, the same seeds.
  const again = new RecordingPlayers(), other = new RecordingPlayers();
  policyPlayers("agents", again, { seed: 3, caseId: "c1" });
  policyPlayers("agents", other, { seed: 3, caseId: "c2" });
  assert.deepEqual(again.made.map((m) => m.seed), f.made.slice(0, 2).map((m) => m.seed));
  assert.notDeepEqual(other.made.map((m) => m.seed), again.made.map((m) => m.seed));
  // argmax against argmax only when asked; baselines on side b when asked.
  const twins = policyPlayers("agents-argmax", f, { seed: 3, caseId: "c1", pairing: "argmax-twins" }) as {
    a: Agent;
    b: Agent;
  };
  assert.equal(twins.a, twins.b);
  const vsRandom = policyPlayers("agents", f, { seed: 3, caseId: "c1", pairing: "random" }) as { b: Agent };
  assert.equal(vsRandom.b.name, "random");
  assert.throws(
    () => policyPlayers("agents", f, { seed: 0, caseId: "c", pairing: "agent" }),
    InvalidArgumentError,
  );
  // Fixed agents cannot play the argmax row.
  const east: Agent = { name: "east", act: (o) => Promise.resolve(Int32Array.from(o, () => 4)) };
  assert.throws(() => policyPlayers("agents-argmax", east, { seed: 0, caseId: "c" }), InvalidArgumentError);
});

Deno.test("runEvaluation: both policy rows run with distinct players per side; pairing is reported", async () => {
  const f = new RecordingPlayers();
  const r = await runEvaluation({ cases: [BOX], target: 2, scorer: WEAK, policy: f, game: GAME, ...PLAIN });
  assert.deepEqual(r.methods.map((m) => m.id), [
    "agents",
    "agents-argmax",
    "dense",
    "random",
    "greedy",
    "oracle",
  ]);
  assert.deepEqual(r.methods.slice(0, 2).map((m) => m.label), [
    "SPARS agents (sampled)",
    "SPARS agents (argmax)",
  ]);
  assert.equal(r.policy, "recording");
  assert.equal(r.pairing, "sampled");
  // Per row one (a, b) pair, both sides acted, never the same object; the argmax row's side b samples.
  assert.deepEqual(f.made.map((m) => m.mode), ["sample", "sample", "greedy", "sample"]);
  for (const m of f.made) assert.ok(f.acted.has(m.agent));
  assert.equal(new Set(f.made.map((m) => m.agent)).size, 4);
  assert.ok(r.cases[0].methods["agents-argmax"]!.steps >= 1);
  await assert.rejects(
    () => runEvaluation({ cases: [BOX], target: 2, scorer: WEAK, policy: f, game: GAME, pairing: "agent" }),
    (e: unknown) => e instanceof InvalidArgumentError && /opponent/.test(e.message),
  );
});

Deno.test("runEvaluation: the presence gate is chosen on validation positives and negatives, and empties tumour-free masks", async () => {
  // A weak scorer with false positives: every window of the tumour-free volume scores 0.3.
  const confuser: Scorer = {
    id: "confuser",
    score: (v, corners, size) =>
      v === EMPTY.image
        ? Promise.resolve(new Float32Array(corners.length / 3).fill(0.3))
        : ORACLE.score(v, corners, size),
  };
  const dir = await scratchDir("eval-gate");
  const r = await runEvaluation({
    cases: [BOX, EMPTY],
    target: 2,
    scorer: confuser,
    methods: ["greedy"],
    game: GAME,
    ...PLAIN,
    ruleKinds: ["peak"],
    validation: { cases: [BOX, EMPTY], taus: [1] },
    report: { dir, nifti: "none", overlays: 0 },
  });
  // Validation: BOX best window 1 (greedy reaches the tumour), EMPTY best 0.3 with a non-empty peak mask
  // (the peak voxel is always above a * peak). Candidates 0 and (0.3 + 1) / 2: the gate 0.65 turns the
  // tumour-free case from 0 into 1 and leaves BOX open.
  const g = r.methods[0].setting;
  assert.equal(g.rule?.kind, "peak");
  assert.equal(g.gate, (Math.fround(0.3) + 1) / 2);
  assert.equal(g.gateSource, "sweep");
  const choice = r.choices![0];
  assert.equal(choice.gateChoice!.ungatedScore, (r.choices![0].dice + 0) / 2);
  assert.equal(choice.gateChoice!.score, (r.choices![0].dice + 1) / 2);
  // Test: EMPTY gated (empty mask), BOX open.
  assert.equal(r.cases[1].methods.greedy!.gated, true);
  assert.equal(r.cases[1].methods.greedy!.predictedVoxels, 0);
  assert.equal(r.cases[0].methods.greedy!.gated, false);
  assert.ok(r.cases[0].methods.greedy!.predictedVoxels > 0);
  assert.deepEqual(r.methods[0].gated, { positives: 0, negatives: 1 });
  const md = await Deno.readTextFile(join(dir, "eval.md"));
  assert.match(md, /## Validation choices/);
  assert.match(md, /gate 0\.65/);
  assert.match(md, /- Presence gate: the mask is empty when/);
  // A given gate wins over the sweep; a bad one is refused naming the option.
  const given = await runEvaluation({
    cases: [BOX],
    target: 2,
    scorer: confuser,
    methods: ["greedy"],
    game: GAME,
    ...PLAIN,
    gate: 0,
    validation: { cases: [BOX, EMPTY], taus: [1] },
  });
  assert.equal(given.methods[0].setting.gate, 0);
  assert.equal(given.methods[0].setting.gateSource, "given");
  await assert.rejects(
    () => runEvaluation({ cases: [BOX], target: 2, scorer: confuser, gate: 2 }),
    (e: unknown) => e instanceof InvalidArgumentError && e.message.startsWith("gate:"),
  );
});

Deno.test("runEvaluation: the rule kind is chosen by mean validation Dice, ties to the earlier kind", async () => {
  // Greedy oracle on BOX (4 x 4 cells of the hand-checked map, segment_test.ts): peak a = 0.2 keeps every
  // cell with a sum > 0.85 (y16..23 x16..27): Dice 160/192; visit t = 0.4 keeps the cells with a mean
  // per visit > 0.4, the same cells: Dice 160/192 too. Smaller values keep y12..15 as well (5/7).
  const run = (ruleKinds: ("peak" | "visit")[]) =>
    runEvaluation({
      cases: [BOX],
      target: 2,
      scorer: WEAK,
      methods: ["greedy"],
      game: GAME,
      ...PLAIN,
      ruleKinds,
      gate: 0,
      validation: { cases: [BOX], taus: [1] },
    });
  const peakFirst = await run(["peak", "visit"]);
  assert.deepEqual(peakFirst.methods[0].setting.rule, { kind: "peak", value: 0.2 });
  assert.equal(peakFirst.choices![0].dice, 160 / 192);
  assert.equal(peakFirst.cases[0].methods.greedy!.scores.dice, 160 / 192);
  const visitFirst = await run(["visit", "peak"]);
  assert.deepEqual(visitFirst.methods[0].setting.rule, { kind: "visit", value: 0.4 });
  assert.equal(visitFirst.sweeps.length, 2);
  assert.deepEqual(visitFirst.sweeps.map((s) => (s as { rule?: string }).rule), ["visit", "peak"]);
});

Deno.test("runEvaluation: the oracle row sweeps its own rule kinds (deconv by default); bad oracle options are refused", async () => {
  const run = (extra: Record<string, unknown>) =>
    runEvaluation({
      cases: [BOX],
      target: 2,
      scorer: WEAK,
      methods: ["greedy", "oracle"],
      game: GAME,
      ...PLAIN,
      gate: 0,
      validation: { cases: [BOX], taus: [1] },
      ...extra,
    });
  const kindsOf = (r: Awaited<ReturnType<typeof run>>, m: string) =>
    r.sweeps.filter((s) => s.method === m).map((s) => (s as { rule?: string }).rule);
  const byDefault = await run({});
  assert.deepEqual(kindsOf(byDefault, "greedy"), ["absolute", "peak", "visit"]);
  assert.deepEqual(kindsOf(byDefault, "oracle"), ["absolute", "peak", "visit", "deconv"]);
  const given = await run({ ruleKinds: ["peak"], oracleRuleKinds: ["deconv", "visit"] });
  assert.deepEqual(kindsOf(given, "greedy"), ["peak"]);
  assert.deepEqual(kindsOf(given, "oracle"), ["deconv", "visit"]);
  for (
    const [extra, name] of [
      [{ oracleRuleKinds: [] }, "oracleRuleKinds"],
      [{ oracleRuleKinds: ["median"] }, "oracleRuleKinds"],
      [{ oracleRefineRadius: -1 }, "oracleRefineRadius"],
      [{ oracleRefineRadius: 1.5 }, "oracleRefineRadius"],
    ] as const
  ) {
    await assert.rejects(
      () => run(extra),
      (e: unknown) => e instanceof InvalidArgumentError && e.message.startsWith(`${name}:`),
      JSON.stringify(extra),
    );
  }
});

Deno.test("runEvaluation: each row names its supervision level", async () => {
  const r = await runEvaluation({
    cases: [BOX] as Case[],
    target: 2,
    scorer: WEAK,
    methods: ["dense", "oracle"],
    game: GAME,
    ...PLAIN,
    scorerSupervision: "image-level",
  });
  assert.deepEqual(r.methods.map((m) => m.supervision), ["image-level", "voxel labels"]);
  const labelled = await runEvaluation({
    cases: [BOX],
    target: 2,
    scorer: WEAK,
    methods: ["dense"],
    game: GAME,
    ...PLAIN,
    scorerUsesVoxelLabels: true,
  });
  assert.equal(labelled.methods[0].supervision, "voxel labels");
  await assert.rejects(
    () => runEvaluation({ cases: [BOX], target: 2, scorer: WEAK, scorerSupervision: "weak" as never }),
    (e: unknown) => e instanceof InvalidArgumentError && e.message.startsWith("scorerSupervision:"),
  );
});
