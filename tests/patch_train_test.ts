/**
 * Masked policy of the patch game (illegal actions never drawn, masked entropy at initialisation
 * = ln(legal count) for the near-uniform head), the masked PPO update, the CLI parser, and a tiny
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
import { DEFAULT_PATCH_TRAIN_CONFIG, trainPatch } from "../train/patch_train.ts";

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

Deno.test("trainPatch: a tiny run logs every update and evaluates 4 players on the test split", async () => {
  const lines: number[] = [];
  const r = await trainPatch({
    ...DEFAULT_PATCH_TRAIN_CONFIG,
    cases: 14,
    shape: [1, 32, 32],
    grid: [1, 4, 4],
    observationShape: [1, 16, 16],
    envs: 2,
    updates: 2,
    snapshotEvery: 1,
    ppo: { ...DEFAULT_PATCH_TRAIN_CONFIG.ppo, numSteps: 8, minibatchSize: 8, updateEpochs: 1 },
  }, (l) => void lines.push(l.update));
  assert.deepEqual(lines, [1, 2]);
  assert.deepEqual(r.rows.map((x) => x.player), [
    "learned (argmax)",
    "learned (sampled)",
    "random",
    "greedy",
  ]);
  assert.ok(r.testIds.length >= 2);
  for (const row of r.rows) assert.equal(row.perCase.length, r.testIds.length);
  r.network.dispose();
});
