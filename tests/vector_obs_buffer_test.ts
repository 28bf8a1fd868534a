/**
 * Observations without per-step allocation (issue 16): `ObservationEncoder.encodeInto`/`encodeFrom`
 * and `VectorEnv({ copyObservations: false })`'s batch buffer. References are computed
 * independently: `resampleBoxLinear` on the raw volume at the corner the env reports (not the
 * encoder's phase grids or its sliding), and a second env on the allocating path. Equality is bit
 * for bit (the float32 bit patterns).
 */
import assert from "node:assert/strict";
import { PolicyAgent } from "../agents/policy_agent.ts";
import { PolicyNetwork } from "../agents/policy_network.ts";
import { SelfPlayRollout } from "../agents/rollout.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import { resampleBoxLinear } from "../data/resample.ts";
import { type Case, diagonalAffine, type Vec3, type Volume } from "../data/types.ts";
import { ObservationEncoder, type ObservationMode } from "../env/observation.ts";
import type { Scorer } from "../env/scorer.ts";
import { VectorEnv, type VectorEnvOptions, type VectorReset } from "../env/vector_env.ts";
import { initBackend } from "../models/backend.ts";

/** A case of random intensities (any misplaced voxel shows). */
function noiseCase(id: string, shape: Vec3, seed: number): Case {
  const rng = new Rng(seed), spacing: Vec3 = [1, 1, 1];
  const data = Float32Array.from({ length: shape[0] * shape[1] * shape[2] }, () => rng.float() * 200 - 100);
  return { id, image: { id, shape, spacing, affine: diagonalAffine(spacing), data } };
}

/** Scores by corner, below tau except at z = 0 (so episodes end both by tau and by truncation). */
const CORNER_SCORER: Scorer = {
  id: "corner-test",
  score: (_v: Volume, corners: Int32Array) =>
    Promise.resolve(
      Float32Array.from(
        { length: corners.length / 3 },
        (_, i) => corners[3 * i] === 0 ? 0.9 : 0.05 + 0.01 * ((corners[3 * i + 1] + corners[3 * i + 2]) % 40),
      ),
    ),
};

const CASES = [noiseCase("n1", [14, 30, 34], 1), noiseCase("n2", [18, 26, 30], 2)];

/** Bit patterns, so that -0 vs 0 and NaN payloads would count. */
function bits(x: Float32Array): Uint32Array {
  return new Uint32Array(x.buffer, x.byteOffset, x.length);
}

/** The intensity channel of an observation, resampled from the raw volume (the reference). */
function reference(c: Case, corner: Vec3, window: Vec3, shape: Vec3): Float32Array {
  return resampleBoxLinear(c.image.data, c.image.shape, corner, window, shape);
}

function channel(obs: Float32Array, k: number, channels: number): Float32Array {
  return Float32Array.from({ length: obs.length / channels }, (_, i) => obs[i * channels + k]);
}

interface Trajectory {
  readonly steps: number;
  readonly autoresets: number;
}

/**
 * Drives a batch-buffer env and an allocating env with the same seed and actions, and checks every
 * observation of every game and agent after the reset and every step.
 */
async function compareTrajectory(game: Partial<VectorEnvOptions>, steps: number): Promise<Trajectory> {
  const options = { numEnvs: 3, cases: CASES, scorer: CORNER_SCORER, maxSteps: 4, tau: 0.5, ...game };
  const shared = new VectorEnv({ ...options, copyObservations: false });
  const copied = new VectorEnv(options);
  const { window, observationShape: shape } = shared.config;
  const channels = shared.singleObservationSpace.shape[3];
  const actions = new Rng(11);
  const buffer = shared.observationBuffer!;
  let autoresets = 0;
  const check = (s: VectorReset, c: VectorReset, when: string) => {
    for (let i = 0; i < options.numEnvs; i++) {
      for (const agent of ["a", "b"] as const) {
        const view = s.observations[agent][i], own = c.observations[agent][i];
        const where = `${when}, game ${i}, agent ${agent}`;
        assert.equal(view.buffer, buffer.buffer, `${where}: a view of the batch buffer`);
        assert.equal(view.byteOffset, (2 * i + (agent === "a" ? 0 : 1)) * view.length * 4, where);
        assert.deepEqual(bits(view), bits(own), `${where}: batch buffer vs allocating path`);
        const info = s.infos[agent][i];
        assert.deepEqual(info.corner, c.infos[agent][i].corner, where);
        const volume = CASES.find((x) => x.id === info.caseId)!;
        const expected = reference(volume, info.corner, window, shape);
        assert.deepEqual(bits(channel(view, 0, channels)), bits(expected), `${where}: vs resampleBoxLinear`);
      }
    }
  };
  check(await shared.reset({ seed: 5 }), await copied.reset({ seed: 5 }), "reset");
  for (let t = 0; t < steps; t++) {
    const a = Int32Array.from({ length: options.numEnvs }, () => actions.int(6));
    const b = Int32Array.from({ length: options.numEnvs }, () => actions.int(6));
    const s = await shared.step({ a, b }), c = await copied.step({ a, b });
    assert.equal(shared.observationBuffer, buffer, "the same buffer object at every step");
    autoresets += s.autoreset.reduce((n, x) => n + x, 0);
    check(s, c, `step ${t}`);
  }
  return { steps, autoresets };
}

Deno.test("batch buffer equals the single-env observations bit for bit over a seeded trajectory with autoresets", async () => {
  // window 4x8x8 -> 2x4x4 (factor 2); stride 2 slides one observation voxel per move.
  const run = await compareTrajectory(
    { window: [4, 8, 8], stride: 2, observationShape: [2, 4, 4], start: "random" },
    40,
  );
  assert.ok(run.autoresets >= 10, `autoresets happened (${run.autoresets})`);
});

Deno.test("batch buffer: stride 4 (two voxels per move, more than the z extent allows) and stride 3 (off the factor)", async () => {
  for (const stride of [3, 4]) {
    await compareTrajectory(
      { window: [4, 8, 8], stride, observationShape: [2, 4, 4], start: "random" },
      30,
    );
  }
});

Deno.test("batch buffer: every observation mode and a non-integer resampling factor", async () => {
  const modes: [ObservationMode, Vec3, Vec3][] = [
    ["window+position", [4, 8, 8], [2, 4, 4]],
    ["window+map", [4, 8, 8], [2, 4, 4]],
    ["window", [5, 9, 7], [2, 4, 4]], // not a multiple: resampled and memoised, not slid
  ];
  for (const [observation, window, observationShape] of modes) {
    await compareTrajectory({ observation, window, observationShape, stride: 2, start: "random" }, 20);
  }
});

Deno.test("batch buffer: the caller writing into the views does not change later observations", async () => {
  const options = {
    numEnvs: 2,
    cases: CASES,
    scorer: CORNER_SCORER,
    window: [4, 8, 8] as Vec3,
    stride: 2,
    observationShape: [2, 4, 4] as Vec3,
    maxSteps: 50,
    tau: 1,
  };
  const env = new VectorEnv({ ...options, copyObservations: false });
  assert.deepEqual(env.observationBufferShape, [2, 2, 2, 4, 4, 1]);
  assert.equal(env.observationBuffer!.length, 2 * 2 * 32);
  const r = await env.reset({ seed: 3 });
  const rng = new Rng(4);
  for (let t = 0; t < 15; t++) {
    const before = Float32Array.from(r.observations.a[0]);
    env.observationBuffer!.fill(Number.NaN); // a caller normalising in place, say
    const a = Int32Array.from({ length: 2 }, () => rng.int(6)),
      b = Int32Array.from({ length: 2 }, () => rng.int(6));
    const s = await env.step({ a, b });
    assert.equal(s.observations.a, r.observations.a, "the same array of views at every step");
    for (let i = 0; i < 2; i++) {
      for (const agent of ["a", "b"] as const) {
        const info = s.infos[agent][i], volume = CASES.find((x) => x.id === info.caseId)!;
        const expected = reference(volume, info.corner, options.window, options.observationShape);
        assert.deepEqual(bits(s.observations[agent][i]), bits(expected), `step ${t}, game ${i}, ${agent}`);
      }
    }
    // The documented reuse: a view read before the step now holds the new observation.
    const moved = s.infos.a[0].corner.join() !== r.infos.a[0].corner.join();
    if (moved) assert.notDeepEqual(bits(s.observations.a[0]), bits(before));
  }
  assert.equal(new VectorEnv(options).observationBuffer, undefined, "no buffer on the copying path");
  assert.throws(
    () => new VectorEnv({ ...options, copyObservations: "no" as unknown as boolean }),
    InvalidArgumentError,
  );
});

Deno.test("encodeInto checks its output; encodeFrom equals encodeInto from any previous corner", () => {
  const c = CASES[0], window: Vec3 = [4, 8, 8], shape: Vec3 = [2, 4, 4];
  const encoder = new ObservationEncoder(c.image, window, shape, "window", 0);
  assert.equal(encoder.incremental, true);
  assert.throws(() => encoder.encodeInto([0, 0, 0], new Float32Array(31)), InvalidArgumentError);
  assert.throws(
    () => encoder.encodeInto([0, 0, 0], new Float64Array(32) as unknown as Float32Array),
    InvalidArgumentError,
  );
  const mapEncoder = new ObservationEncoder(c.image, window, shape, "window+map", 0);
  assert.throws(() => mapEncoder.encodeInto([0, 0, 0], new Float32Array(64)), InvalidArgumentError);
  // 2x4x4 and 4x4x4 observations: shifts of 1..3 voxels slide along every axis.
  for (const [w, o] of [[window, shape], [[8, 8, 8], [4, 4, 4]]] as [Vec3, Vec3][]) {
    const sliding = new ObservationEncoder(c.image, w, o, "window", 0);
    const max: Vec3 = [c.image.shape[0] - w[0], c.image.shape[1] - w[1], c.image.shape[2] - w[2]];
    const rng = new Rng(9), buffer = new Float32Array(sliding.length);
    let from: Vec3 = [0, 0, 0];
    sliding.encodeInto(from, buffer);
    for (let k = 0; k < 3000; k++) {
      // Mostly single-axis moves of 1..7 voxels (on and off the factor), sometimes a jump.
      const to = [...from] as [number, number, number];
      if (k % 10 === 0) { for (let a = 0; a < 3; a++) to[a] = rng.int(max[a] + 1); }
      else {
        const a = rng.int(3);
        to[a] = Math.min(max[a], Math.max(0, to[a] + (rng.int(2) ? 1 : -1) * (1 + rng.int(7))));
      }
      sliding.encodeFrom(from, to, buffer);
      assert.deepEqual(bits(buffer), bits(reference(c, to, w, o)), `${o}: from ${from} to ${to}`);
      from = to;
    }
  }
  const max: Vec3 = [c.image.shape[0] - 4, c.image.shape[1] - 8, c.image.shape[2] - 8];
  const from: Vec3 = [2, 2, max[2]], out = new Float32Array(32);
  encoder.encodeInto(from, out);
  // A slide whose window leaves the volume (by one observation voxel) throws and leaves `out` as it was.
  const kept = Float32Array.from(out);
  assert.throws(() => encoder.encodeFrom(from, [from[0], from[1], max[2] + 2], out), InvalidArgumentError);
  assert.deepEqual(bits(out), bits(kept));
});

Deno.test("PPO rollout on the batch buffer stores the same observations as on the allocating path", async () => {
  await initBackend("cpu", { quiet: true });
  const net = {
    observationShape: [2, 4, 4] as Vec3,
    channels: 1,
    convChannels: [4],
    hiddenUnits: 8,
    intensityWindow: null,
  };
  const buffers = [];
  for (const copyObservations of [true, false]) {
    const env = new VectorEnv({
      numEnvs: 3,
      cases: CASES,
      scorer: CORNER_SCORER,
      window: [4, 8, 8],
      stride: 2,
      observationShape: net.observationShape,
      maxSteps: 4,
      tau: 0.5,
      start: "random",
      copyObservations,
    });
    const network = new PolicyNetwork(net, 1);
    const learner = new PolicyAgent(network, { seed: 3 });
    const rollout = new SelfPlayRollout(env, network.observationLength, {
      numSteps: 10,
      trainBothSides: true,
    });
    await rollout.reset(7);
    await rollout.collect(learner, learner);
    buffers.push(rollout.buffer);
    network.dispose();
  }
  const [copied, shared] = buffers;
  assert.ok(copied.valid.includes(0), "autoreset rows were part of the rollout");
  assert.deepEqual(bits(shared.observations), bits(copied.observations));
  assert.deepEqual(shared.actions, copied.actions);
  assert.deepEqual(shared.valid, copied.valid);
  assert.deepEqual(bits(shared.bootstrapValues), bits(copied.bootstrapValues));
});
