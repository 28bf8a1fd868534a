import nodeAssert from "node:assert/strict";
import { DEFAULT_PIXEL_A2C_OPTIONS } from "../agents/pixel_a2c.ts";
import { Rng } from "../data/random.ts";
import type { PixelSlice } from "../env/pixel/pixel_env.ts";
import { initBackend } from "../models/backend.ts";
import { PixelNetwork, SMALL_PIXEL_NETWORK } from "../models/pixel_network.ts";
import { trainCrossEntropyFcn } from "../train/pixel_train.ts";
import { runSupervisedPhase, type SupervisedPhaseOptions } from "../train/pixel_warm_start.ts";

await initBackend("wasm");

const PRESET = { ...SMALL_PIXEL_NETWORK, trunk: [{ channels: 4, dilation: 1 }] };

function slices(n: number): PixelSlice[] {
  const rng = new Rng(5);
  return Array.from({ length: n }, (_, k) => {
    const truth = Uint8Array.from({ length: 64 }, () => (rng.float() < 0.3 ? 1 : 0));
    const image = Float32Array.from(truth, (t) => (t ? 0.7 : 0.3) + 0.1 * rng.float());
    return { id: `s${k}`, shape: [8, 8], spacing: [1, 1], image, truth };
  });
}

const OPTIONS: SupervisedPhaseOptions = {
  maxSeconds: 60,
  maxSteps: 4,
  learningRate: 0.01,
  maskStates: "start",
  warmStart: true,
  warmSteps: 3,
  warmLearningRate: 0.001,
  batchSize: 2,
  seed: 2,
  tMax: 3,
};

Deno.test("runSupervisedPhase: the warm start is the FCN plus visited-state steps; the extended baseline counts them", async () => {
  const train = slices(4), test = slices(2);
  const net = new PixelNetwork(PRESET, 0);
  const phase = await runSupervisedPhase(net, train, test, DEFAULT_PIXEL_A2C_OPTIONS, OPTIONS);
  // Reference from the primitive: 4 FCN steps on start states, then 3 steps on visited states.
  const ref = new PixelNetwork(PRESET, 0);
  const common = { maxSeconds: 60, batchSize: 2, tMax: 3 };
  await trainCrossEntropyFcn(ref, train, {
    ...common,
    maxSteps: 4,
    learningRate: 0.01,
    seed: 2,
    maskStates: "start",
  });
  const fcnWeights = ref.getWeights();
  await trainCrossEntropyFcn(ref, train, {
    ...common,
    maxSteps: 3,
    learningRate: 0.001,
    seed: 3,
    maskStates: "visited",
  });
  nodeAssert.deepEqual(phase.warmWeights, ref.getWeights());
  nodeAssert.deepEqual(net.getWeights(), ref.getWeights(), "the network ends holding the warm start");
  nodeAssert.notDeepEqual(phase.warmWeights, fcnWeights);
  nodeAssert.equal(phase.fcn.steps, 4);
  nodeAssert.equal(phase.extended?.steps, 7);
  nodeAssert.equal(phase.fcn.masks.length, 2);
  nodeAssert.equal(phase.warmMasks?.length, 2);

  const none = await runSupervisedPhase(net, train, test, DEFAULT_PIXEL_A2C_OPTIONS, {
    ...OPTIONS,
    warmStart: false,
  });
  nodeAssert.deepEqual([none.extended, none.warmWeights, none.warmMasks], [null, null, null]);
  const fresh = new PixelNetwork(PRESET, 0);
  const asIs = await runSupervisedPhase(fresh, train, test, DEFAULT_PIXEL_A2C_OPTIONS, {
    ...OPTIONS,
    warmSteps: 0,
  });
  nodeAssert.equal(asIs.extended, null);
  nodeAssert.deepEqual(asIs.warmWeights, fcnWeights, "warmSteps 0: the FCN's weights as they are");
  [net, ref, fresh].forEach((n) => n.dispose());
});
