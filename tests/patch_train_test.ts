/**
 * Masked policy of the patch game (illegal actions never drawn, masked entropy at initialisation
 * = ln(legal count) for the near-uniform head), the masked PPO update, the CLI parser, the training
 * game's rules (hand-computed rewards on a hand-made score grid), the default test split, and a tiny
 * end-to-end training run.
 */
import assert from "node:assert/strict";
import { initBackend } from "../models/backend.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import { Adam } from "../agents/adam.ts";
import { maskBias, MASKED_LOGIT, maskedPpoUpdate, PatchPolicyAgent } from "../agents/patch_policy.ts";
import { PolicyNetwork } from "../agents/policy_network.ts";
import { resolvePpoOptions } from "../agents/ppo.ts";
import { parsePatchArgs } from "../train/patch_cli.ts";
import {
  DEFAULT_PATCH_TRAIN_CONFIG,
  PAPER_PATCH_RULES,
  patchData,
  patchGameOptions,
  trainPatch,
} from "../train/patch_train.ts";
import { envOn, handCase, scored, TINY_PATCH_RUN } from "./_patch_cases.ts";

await initBackend("cpu");
const arch = { observationShape: [1, 8, 8] as const, channels: 2, actions: 5, intensityWindow: null };

Deno.test("maskBias: 0 for legal, MASKED_LOGIT for illegal; wrong length refused", () => {
  assert.deepEqual([...maskBias([Uint8Array.of(1, 0, 1)], 3)], [0, MASKED_LOGIT, 0]);
  assert.throws(() => maskBias([Uint8Array.of(1, 0)], 3), InvalidArgumentError);
});

Deno.test("masked policy never draws an illegal action; log-probabilities are of the masked policy", async () => {
  const net = new PolicyNetwork(arch, 1);
  const agent = new PatchPolicyAgent(net, { seed: 2 });
  const rng = new Rng(3);
  const obs = Array.from({ length: 64 }, () => Float32Array.from({ length: 128 }, () => rng.float()));
  const mask = Uint8Array.of(0, 1, 0, 1, 1);
  const s = await agent.step(obs, obs.map(() => mask));
  for (let i = 0; i < 64; i++) {
    assert.equal(mask[s.actions[i]], 1);
    // near-uniform head (gain 0.01): each of the 3 legal actions has probability ~1/3
    assert.ok(Math.abs(s.logProbs[i] - Math.log(1 / 3)) < 0.05, `${s.logProbs[i]}`);
  }
  const greedy = new PatchPolicyAgent(net, { mode: "greedy" });
  const only = await greedy.step(obs.slice(0, 4), obs.slice(0, 4).map(() => Uint8Array.of(0, 0, 0, 0, 1)));
  assert.deepEqual([...only.actions], [4, 4, 4, 4]);
  net.dispose();
});

Deno.test("masked PPO update: finite stats, masked entropy ~ ln(3) at init, weights move", async () => {
  const net = new PolicyNetwork(arch, 4);
  const before = await net.getWeights();
  const n = 32, rng = new Rng(5);
  const observations = Float32Array.from({ length: n * 128 }, () => rng.float());
  const masks = new Uint8Array(n * 5);
  for (let i = 0; i < n; i++) masks.set([1, 1, 0, 0, 1], i * 5);
  const actions = Int32Array.from({ length: n }, (_, i) => [0, 1, 4][i % 3]);
  const batch = {
    size: n,
    observations,
    masks,
    actions,
    logProbs: new Float32Array(n).fill(Math.log(1 / 3)),
    values: new Float32Array(n),
    advantages: Float32Array.from({ length: n }, () => rng.normal()),
    returns: Float32Array.from({ length: n }, () => rng.normal()),
  };
  const options = resolvePpoOptions({ updateEpochs: 1, minibatchSize: 32 });
  const opt = new Adam(net.variables, { learningRate: 1e-3 });
  const stats = await maskedPpoUpdate(net, opt, batch, options, 1e-3, new Rng(6));
  assert.ok(Math.abs(stats.entropy - Math.log(3)) < 0.01, `entropy ${stats.entropy}`);
  assert.ok(Object.values(stats).every((v) => Number.isFinite(v)));
  const after = await net.getWeights();
  assert.ok(after.some((w, i) => w.values.some((v, j) => v !== before[i].values[j])));
  opt.dispose();
  net.dispose();
});

Deno.test("train:patch flags: defaults, values, errors naming the flag", () => {
  const d = parsePatchArgs([]);
  assert.ok(d !== "help");
  assert.deepEqual(d.seeds, [0, 1, 2]);
  const a = parsePatchArgs(["--seeds", "4,5", "--updates", "7", "--grid", "1x4x4"]);
  assert.ok(a !== "help");
  assert.deepEqual(a.seeds, [4, 5]);
  assert.equal(a.config.updates, 7);
  assert.deepEqual(a.config.grid, [1, 4, 4]);
  assert.equal(parsePatchArgs(["--help"]), "help");
  assert.throws(() => parsePatchArgs(["--updates", "0"]), /--updates/);
  assert.throws(() => parsePatchArgs(["--grid", "4x4"]), /--grid/);
  assert.throws(() => parsePatchArgs(["--nope", "1"]), InvalidArgumentError);
});

Deno.test("train:patch --network and --observation: fcn and wasm by default, values, errors naming the flag", () => {
  const d = parsePatchArgs([]);
  assert.ok(d !== "help");
  assert.deepEqual([d.config.network, d.backend, d.config.observationShape], ["fcn", "wasm", [1, 32, 32]]);
  const a = parsePatchArgs(["--network", "dense", "--observation", "1x64x64", "--backend", "cpu"]);
  assert.ok(a !== "help");
  assert.deepEqual([a.config.network, a.backend, a.config.observationShape], ["dense", "cpu", [1, 64, 64]]);
  assert.throws(() => parsePatchArgs(["--network", "cnn"]), /--network/);
  assert.throws(() => parsePatchArgs(["--observation", "1x32"]), /--observation/);
  // fewer observation cells than patches along y
  assert.throws(() => parsePatchArgs(["--observation", "1x4x32"]), /--observation/);
});

Deno.test("train:patch rule flags: balanced defaults, --paper-rules, explicit flags override in any order", () => {
  const rules = (argv: string[]) => {
    const a = parsePatchArgs(argv);
    assert.ok(a !== "help");
    const { terminationWeight: w, earlyTerminationPenalty: p, rewardScale: s, cases } = a.config;
    return { w, p, s, cases };
  };
  assert.deepEqual(rules([]), { w: 1, p: 0, s: 1, cases: 106 });
  assert.deepEqual(rules(["--paper-rules"]), { w: 100, p: 1, s: 0.1, cases: 106 });
  assert.deepEqual(rules(["--paper-rules", "--termination-weight", "10"]), {
    w: 10,
    p: 1,
    s: 0.1,
    cases: 106,
  });
  assert.deepEqual(rules(["--reward-scale", "0.5", "--paper-rules"]), { w: 100, p: 1, s: 0.5, cases: 106 });
  assert.deepEqual(rules(["--early-termination-penalty", "0.25", "--seeds", "1"]), {
    w: 1,
    p: 0.25,
    s: 1,
    cases: 106,
  });
  assert.throws(() => parsePatchArgs(["--termination-weight", "-1"]), /--termination-weight/);
  assert.throws(() => parsePatchArgs(["--early-termination-penalty", "x"]), /--early-termination-penalty/);
  assert.throws(() => parsePatchArgs(["--reward-scale", "0"]), /--reward-scale/);
  assert.throws(() => parsePatchArgs(["--reward-scale"]), /--reward-scale/);
});

Deno.test("training game rules: hand-computed rewards on a hand-made score grid (balanced and paper)", async () => {
  // scored: patch 0 scores 1, patch 5 0.75, patch 10 0.25, the rest 0; threshold 0.3; 16 = terminate
  const play = async (rules: object, moves: [string, number][], c = scored) => {
    const { presenceThreshold, terminationWeight, earlyTerminationPenalty } = patchGameOptions({
      ...DEFAULT_PATCH_TRAIN_CONFIG,
      ...rules,
    });
    const env = envOn(c, { presenceThreshold, terminationWeight, earlyTerminationPenalty });
    await env.reset();
    const sums = { a: 0, b: 0 };
    for (const [who, a] of moves) {
      const r = await env.step({ [who]: a });
      sums.a += r.rewards.a;
      sums.b += r.rewards.b;
    }
    return sums;
  };
  const balanced = {}, paper = PAPER_PATCH_RULES;
  // a terminates at once with patches 0 and 5 above 0.3 left: -w (no early penalty in balanced)
  assert.deepEqual(await play(balanced, [["a", 16]]), { a: -1, b: 1 });
  assert.deepEqual(await play(paper, [["a", 16]]), { a: -101, b: 100 });
  // a 0 (1.0) vs b 5 (0.75): a +1; a terminates, only 0.25 <= 0.3 left: a +w
  assert.deepEqual(await play(balanced, [["a", 0], ["b", 5], ["a", 16]]), { a: 2, b: -2 });
  assert.deepEqual(await play(paper, [["a", 0], ["b", 5], ["a", 16]]), { a: 101, b: -101 });
  // a 10 (0.25) vs b 0 (1.0): b +1; a terminates with 5 (0.75) left: a -w
  assert.deepEqual(await play(balanced, [["a", 10], ["b", 0], ["a", 16]]), { a: -2, b: 2 });
  // object-free image: stopping at once is worth exactly +w (paper: +100 - 1)
  const empty = handCase("empty", [1, 8, 8], []);
  assert.deepEqual(await play(balanced, [["a", 16]], empty), { a: 1, b: -1 });
  assert.deepEqual(await play(paper, [["a", 16]], empty), { a: 99, b: -100 });
});

Deno.test("default phantoms: 106 cases, 16 test phantoms (11 with tumour), each in 4 mirror variants", () => {
  // 30% negatives: round(31.8) = 32; 15% of each stratum: round(11.1) = 11 and round(4.8) = 5
  const { train, test, all } = patchData({ ...DEFAULT_PATCH_TRAIN_CONFIG, mirror: false });
  assert.equal(all.length, 106);
  assert.equal(test.length, 16);
  assert.equal(test.filter((c) => c.presence === 1).length, 11);
  assert.ok(train.every((c) => !test.includes(c)));
  const m = patchData(DEFAULT_PATCH_TRAIN_CONFIG);
  assert.equal(m.all.length, 4 * 106);
  assert.deepEqual(
    m.test.map((c) => c.id),
    test.flatMap((c) => ["", "-flipx", "-flipy", "-flipxy"].map((s) => c.id + s)),
  );
  assert.equal(m.train.length, 4 * train.length);
  // every played case is one the scorer is given (same objects)
  assert.ok([...m.train, ...m.test].every((c) => m.all.includes(c)));
});

Deno.test("trainPatch: a tiny run logs every update and evaluates 5 players on the test split", async () => {
  const lines: number[] = [];
  const shares: [number, number][] = [];
  const r = await trainPatch({
    ...DEFAULT_PATCH_TRAIN_CONFIG,
    ...TINY_PATCH_RUN,
    updates: 2,
    snapshotEvery: 1,
    // no score exceeds 1: no pick can count as above the threshold
    presenceThreshold: 1,
    ppo: { ...DEFAULT_PATCH_TRAIN_CONFIG.ppo, numSteps: 8, minibatchSize: 8, updateEpochs: 1 },
  }, (l) => {
    lines.push(l.update);
    shares.push([l.hitShare, l.terminateShare]);
  });
  assert.deepEqual(lines, [1, 2]);
  for (const [hit, term] of shares) {
    assert.equal(hit, 0);
    // 16 learner actions per update: the share is a count / 16
    assert.ok(term >= 0 && term <= 1 && Number.isInteger(term * 16), `${term}`);
  }
  assert.deepEqual(r.rows.map((x) => x.player), [
    "learned (argmax)",
    "learned (sampled)",
    "random",
    "greedy",
    "spatial prior",
  ]);
  assert.ok(r.testIds.length >= 2);
  for (const row of r.rows) assert.equal(row.perCase.length, r.testIds.length);
  r.network.dispose();
});
