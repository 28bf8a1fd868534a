import nodeAssert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  PixelA2cLearner,
  pixelA2cLoss,
  type PixelA2cOptions,
  pixelReturns,
  pixelTrunkVariableCount,
  stopGradient,
} from "../agents/pixel_a2c.ts";
import { PixelSegEnv, type PixelSlice } from "../env/pixel/pixel_env.ts";
import {
  dilatedConv2d,
  PAPER_PIXEL_NETWORK,
  PixelNetwork,
  SMALL_PIXEL_NETWORK,
} from "../models/pixel_network.ts";
import { Rng } from "../data/random.ts";

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void => {
  nodeAssert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    nodeAssert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `at ${i}: ${a[i]} vs ${b[i]}`);
  }
};
const t3 = (v: number[], h: number, w: number) => tf.tensor3d(v, [1, h, w]);
const identity = () => tf.tensor4d([0, 0, 0, 0, 1, 0, 0, 0, 0], [3, 3, 1, 1]);

Deno.test("pixel a2c: identity-kernel return equals the plain discounted return (by hand)", () => {
  const r0 = t3([1, 0, -1, 1], 2, 2), r1 = t3([0, 1, 1, -1], 2, 2);
  const [R0, R1] = pixelReturns([r0, r1], tf.zeros([1, 2, 2]) as tf.Tensor3D, identity(), 0.5);
  close(R1.dataSync(), [0, 1, 1, -1]);
  close(R0.dataSync(), [1, 0.5, -0.5, 0.5]); // r0 + 0.5 r1
  const boot = t3([2, 2, 2, 2], 2, 2);
  const [B0, B1] = pixelReturns([r0, r1], boot, identity(), 0.5);
  close(B1.dataSync(), [1, 2, 2, 0]); // r1 + 0.5 * 2
  close(B0.dataSync(), [1.5, 1, 0, 1]); // r0 + 0.5 * B1
});

/** Brute force in float64: R_t = r_t + gamma * sum_{dy,dx} w[dy+1][dx+1] R_{t+1}(y+dy, x+dx), zero outside. */
function bruteReturns(
  r: Float64Array[],
  w: ArrayLike<number>,
  gamma: number,
  h: number,
  wd: number,
): Float64Array[] {
  let R = new Float64Array(h * wd);
  const out: Float64Array[] = [];
  for (let t = r.length - 1; t >= 0; t--) {
    const next = new Float64Array(h * wd);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < wd; x++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy, xx = x + dx;
            if (yy >= 0 && yy < h && xx >= 0 && xx < wd) s += w[(dy + 1) * 3 + dx + 1] * R[yy * wd + xx];
          }
        }
        next[y * wd + x] = r[t][y * wd + x] + gamma * s;
      }
    }
    R = next;
    out[t] = R;
  }
  return out;
}

Deno.test("pixel a2c: hand-set kernel return equals a brute-force convolution; kernel gradient matches finite differences", () => {
  const rng = new Rng(4), h = 5, wd = 6, T = 3, gamma = 0.9;
  const r = Array.from({ length: T }, () => Float64Array.from({ length: h * wd }, () => rng.int(3) - 1));
  const w = Array.from({ length: 9 }, () => rng.uniform(-0.5, 0.5));
  const got = pixelReturns(
    r.map((x) => tf.tensor3d(Float32Array.from(x), [1, h, wd])),
    tf.zeros([1, h, wd]) as tf.Tensor3D,
    tf.tensor4d(w, [3, 3, 1, 1]),
    gamma,
  );
  const want = bruteReturns(r, w, gamma, h, wd);
  for (let t = 0; t < T; t++) close(got[t].dataSync(), want[t], 1e-5);
  // d/dw of L = sum_t sum_i (R_t,i - V_i)^2 with V fixed.
  const V = Float64Array.from({ length: h * wd }, () => rng.uniform(-1, 1));
  const lossOf = (k: number[]) =>
    bruteReturns(r, k, gamma, h, wd).reduce((s, R) => s + R.reduce((a, v, i) => a + (v - V[i]) ** 2, 0), 0);
  const wv = tf.variable(tf.tensor4d(w, [3, 3, 1, 1]));
  const vt = tf.tensor3d(Float32Array.from(V), [1, h, wd]);
  const rt = r.map((x) => tf.tensor3d(Float32Array.from(x), [1, h, wd]));
  const { grads } = tf.variableGrads(() => {
    const Rs = pixelReturns(rt, tf.zeros([1, h, wd]) as tf.Tensor3D, wv as tf.Tensor4D, gamma);
    return tf.addN(Rs.map((R) => tf.sum(tf.square(tf.sub(R, vt))))) as tf.Scalar;
  }, [wv]);
  const g = grads[wv.name].dataSync();
  const fd = w.map((_, k) => {
    const e = 1e-6, up = [...w], down = [...w];
    up[k] += e, down[k] -= e;
    return (lossOf(up) - lossOf(down)) / (2 * e);
  });
  close(g, fd, 1e-3);
  nodeAssert.ok(fd.some((v) => Math.abs(v) > 0.1)); // the gradient reaches w
});

Deno.test("pixel network: dilatedConv2d equals tfjs' dilated conv2d; its gradients equal those of an im2col reference", () => {
  const rng = new Rng(1);
  const x = tf.variable(
    tf.tensor4d(Float32Array.from({ length: 2 * 8 * 8 * 3 }, () => rng.normal()), [2, 8, 8, 3]),
  );
  const w = tf.variable(
    tf.tensor4d(Float32Array.from({ length: 9 * 3 * 4 }, () => rng.normal()), [3, 3, 3, 4]),
  );
  for (const d of [1, 2, 4]) {
    close(dilatedConv2d(x, w, d).dataSync(), tf.conv2d(x, w, 1, "same", "NHWC", d).dataSync(), 1e-4);
    const ref = () => {
      const p = tf.pad(x, [[0, 0], [d, d], [d, d], [0, 0]]);
      const taps: tf.Tensor4D[] = [];
      for (let ky = 0; ky < 3; ky++) {
        for (let kx = 0; kx < 3; kx++) taps.push(tf.slice(p, [0, ky * d, kx * d, 0], [2, 8, 8, 3]));
      }
      const y = tf.matMul(tf.reshape(tf.concat(taps, 3), [128, 27]), tf.reshape(w, [27, 4]));
      return tf.sum(tf.square(y)) as tf.Scalar;
    };
    const a = tf.variableGrads(() => tf.sum(tf.square(dilatedConv2d(x, w, d))) as tf.Scalar, [x, w]).grads;
    const b = tf.variableGrads(ref, [x, w]).grads;
    close(a[w.name].dataSync(), b[w.name].dataSync(), 1e-3);
    close(a[x.name].dataSync(), b[x.name].dataSync(), 1e-3);
  }
});

Deno.test("pixel a2c: per-pixel policy loss on a hand-made 3x3 case; no policy gradient into the values", () => {
  // Logits [0, ln 3] everywhere: pi(0) = 1/4, pi(1) = 3/4.
  const logits = tf.tensor4d(Array.from({ length: 9 }, () => [0, Math.log(3)]).flat(), [1, 3, 3, 2]);
  const actions = tf.tensor3d([0, 1, 1, 0, 0, 1, 1, 1, 0], [1, 3, 3], "int32");
  const returns = tf.tensor3d([1, 0, 0, -1, 0, 1, 2, 0, 0], [1, 3, 3]);
  const values = tf.variable(tf.tensor3d([0, 0, 0, 0, 1, 0, 0, 1, 0], [1, 3, 3]));
  const terms = pixelA2cLoss({ logits, values: values as tf.Tensor3D, actions, returns, steps: 1 }, {
    entCoef: 0,
    vfCoef: 1,
  });
  // advantages R - V: [1, 0, 0, -1, -1, 1, 2, -1, 0]; log pi(a): a=0 -> ln 1/4, a=1 -> ln 3/4.
  const lp = [0, 1, 1, 0, 0, 1, 1, 1, 0].map((a) => Math.log(a === 0 ? 0.25 : 0.75));
  const adv = [1, 0, 0, -1, -1, 1, 2, -1, 0];
  const want = -adv.reduce((s, a, i) => s + a * lp[i], 0) / 9;
  close([terms.policyLoss.dataSync()[0]], [want]);
  close([terms.valueLoss.dataSync()[0]], [adv.reduce((s, a) => s + a * a, 0) / 9]);
  close([terms.entropy.dataSync()[0]], [-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75))]);
  const g = tf.variableGrads(
    () =>
      pixelA2cLoss({ logits, values: values as tf.Tensor3D, actions, returns, steps: 1 }, {
        entCoef: 0,
        vfCoef: 1,
      })
        .policyLoss,
    [values],
  ).grads;
  close(g[values.name].dataSync(), new Array(9).fill(0));
  const x = tf.variable(tf.tensor1d([1, 2]));
  close(
    tf.variableGrads(() => tf.sum(tf.mul(stopGradient(x), x)) as tf.Scalar, [x]).grads[x.name].dataSync(),
    [1, 2],
  );
});

function tinySlices(n: number): PixelSlice[] {
  const rng = new Rng(9);
  return Array.from({ length: n }, (_, k) => {
    const truth = new Uint8Array(64), image = new Float32Array(64);
    for (let i = 0; i < 64; i++) {
      truth[i] = rng.float() < 0.3 ? 1 : 0;
      image[i] = truth[i] ? 0.8 : 0.2;
    }
    return { id: `t${k}`, shape: [8, 8], spacing: [1, 1], image, truth };
  });
}

async function train(seed: number, updates: number) {
  const net = new PixelNetwork({
    ...SMALL_PIXEL_NETWORK,
    trunk: [{ channels: 4, dilation: 1 }, { channels: 4, dilation: 2 }],
  }, seed);
  const learner = new PixelA2cLearner(net, { tMax: 2, batchSize: 2 }, seed);
  const envs = [0, 1].map(() => new PixelSegEnv({ slices: tinySlices(4), tMax: 2 }));
  const stats = [], counts: number[] = [];
  for (let u = 0; u < updates; u++) {
    const obs = envs.map((e, i) => e.reset({ seed: seed * 100 + u * 2 + i }).observation);
    const ep = await learner.collect(envs, obs);
    stats.push(await learner.update(ep, 1e-2));
    counts.push(tf.memory().numTensors);
  }
  const weights = net.getWeights();
  learner.dispose();
  net.dispose();
  return { stats, counts, weights };
}

Deno.test("pixel a2c: tensor count flat over updates; the kernel learns; same seed, same run", async () => {
  const before = tf.memory().numTensors;
  const a = await train(3, 4);
  nodeAssert.equal(a.counts[3], a.counts[1]);
  nodeAssert.equal(tf.memory().numTensors, before);
  nodeAssert.ok(a.stats.every((s) => Number.isFinite(s.loss)));
  nodeAssert.notEqual(a.stats[3].kernelCentre, 1); // w moved away from the identity
  const b = await train(3, 4);
  nodeAssert.deepEqual(b.stats, a.stats);
  nodeAssert.deepEqual(b.weights, a.weights);
});

Deno.test("pixel network: presets give per-pixel logits and values at full resolution; paper preset has attention", () => {
  for (const [config, size] of [[SMALL_PIXEL_NETWORK, 12], [PAPER_PIXEL_NETWORK, 16]] as const) {
    const net = new PixelNetwork(config, 1);
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => {
      const { logits, values } = net.forward(tf.zeros([2, size, size, 2]) as tf.Tensor4D);
      return [logits.shape, values.shape];
    });
    nodeAssert.deepEqual(out, [[2, size, size, 2], [2, size, size]]);
    nodeAssert.equal(tf.memory().numTensors, before);
    net.dispose();
  }
  const paper = new PixelNetwork(PAPER_PIXEL_NETWORK, 0);
  nodeAssert.ok(paper.parameterCount > 1e6, `${paper.parameterCount}`); // a GPU-sized network
  paper.dispose();
});

Deno.test("pixel a2c: the trunk's variable count matches the network's weight names (both presets)", () => {
  for (const config of [SMALL_PIXEL_NETWORK, PAPER_PIXEL_NETWORK]) {
    const net = new PixelNetwork(config, 0);
    const names = net.getWeights().map((w) => w.name);
    const trunk = names.filter((n) => n.startsWith("trunk") || n.startsWith("att/")).length;
    nodeAssert.equal(pixelTrunkVariableCount(config), trunk);
    // The heads follow the trunk in the variable order.
    nodeAssert.ok(names.slice(trunk).every((n) => n.startsWith("pi") || n.startsWith("v")), names.join());
    net.dispose();
  }
});

/** Policy probabilities at a fixed state after `updates` updates with the given options. */
async function policyAfter(options: Partial<PixelA2cOptions>, updates: number) {
  const net = new PixelNetwork({
    ...SMALL_PIXEL_NETWORK,
    trunk: [{ channels: 4, dilation: 1 }, { channels: 4, dilation: 2 }],
  }, 5);
  const trunkBefore = net.getWeights().slice(0, 4);
  const learner = new PixelA2cLearner(net, { tMax: 2, batchSize: 2, entCoef: 0, ...options }, 5);
  const envs = [0, 1].map(() => new PixelSegEnv({ slices: tinySlices(4), tMax: 2 }));
  for (let u = 0; u < updates; u++) {
    const obs = envs.map((e, i) => e.reset({ seed: u * 2 + i }).observation);
    await learner.update(await learner.collect(envs, obs), 1e-2);
  }
  const probe = envs[0].reset({ seed: 99 }).observation;
  const probs = tf.tidy(() => tf.softmax(net.forward(tf.tensor4d(probe, [1, 8, 8, 2])).logits).dataSync());
  const trunkAfter = net.getWeights().slice(0, 4);
  learner.dispose();
  net.dispose();
  return { probs: Array.from(probs), trunkBefore, trunkAfter };
}

Deno.test("pixel a2c: freezeTrunk keeps the trunk bitwise and the value loss away from the policy", async () => {
  // With the trunk frozen, the value loss only reaches the value head: the policy after one update
  // is the same whatever vfCoef (the policy head's gradient does not involve it; later updates would
  // see the critic's new baseline). Training the trunk, the value loss moves the shared features and
  // with them the policy.
  const frozen0 = await policyAfter({ freezeTrunk: true, vfCoef: 0 }, 1);
  const frozen100 = await policyAfter({ freezeTrunk: true, vfCoef: 100 }, 1);
  nodeAssert.deepEqual(frozen0.trunkAfter, frozen0.trunkBefore);
  nodeAssert.deepEqual(frozen100.trunkAfter, frozen100.trunkBefore);
  nodeAssert.deepEqual(frozen100.probs, frozen0.probs);
  const free0 = await policyAfter({ vfCoef: 0 }, 1);
  const free100 = await policyAfter({ vfCoef: 100 }, 1);
  nodeAssert.notDeepEqual(free0.trunkAfter, free0.trunkBefore);
  const gap = Math.max(...free100.probs.map((p, i) => Math.abs(p - free0.probs[i])));
  nodeAssert.ok(gap > 1e-5, `policy moved by the value loss only by ${gap}`);
  // Frozen or not, the policy head learns: the frozen run's policy differs from the initial one.
  const initial = await policyAfter({ freezeTrunk: true }, 0);
  nodeAssert.notDeepEqual(frozen0.probs, initial.probs);
});
