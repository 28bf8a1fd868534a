import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { initBackend } from "../models/backend.ts";
import { BatchNorm3d } from "../models/batch_norm3d.ts";
import { Rng } from "../data/random.ts";

await initBackend("cpu", { quiet: true });

function randomTensor(shape: number[], seed: number, scale = 1, offset = 0): tf.Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => offset + scale * rng.normal()), shape);
}

function built(channels: number, momentum = 0.9): BatchNorm3d {
  const layer = new BatchNorm3d({ momentum });
  layer.apply(tfl.input({ shape: [null, null, null, channels] }));
  return layer;
}

Deno.test("BatchNorm3d training output has per-channel mean 0 and variance 1", () => {
  // Channels with very different means and spreads.
  const x = tf.tidy(() =>
    tf.add(tf.mul(randomTensor([3, 4, 5, 6, 3], 1), tf.tensor1d([1, 10, 0.1])), tf.tensor1d([5, -3, 100]))
  );
  const layer = built(3);
  const y = layer.apply(x, { training: true }) as tf.Tensor;
  const { mean, variance } = tf.moments(y, [0, 1, 2, 3]);
  const m = mean.dataSync(), v = variance.dataSync();
  for (let c = 0; c < 3; c++) {
    assert.ok(Math.abs(m[c]) < 1e-4, `channel ${c} mean ${m[c]}`);
    assert.ok(Math.abs(v[c] - 1) < 2e-3, `channel ${c} variance ${v[c]}`);
  }
  tf.dispose([x, y, mean, variance]);
  layer.dispose();
});

Deno.test("BatchNorm3d updates running statistics (unbiased variance) and uses them in inference", () => {
  // One channel, values 1..4 -> mean 2.5, biased var 1.25, unbiased var 5/3.
  const x = tf.tensor5d([1, 2, 3, 4], [1, 1, 2, 2, 1]);
  const layer = built(1, 0.9);
  tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
  const [gamma, beta, runningMean, runningVar] = layer.getWeights().map((w) => w.dataSync()[0]);
  assert.equal(gamma, 1);
  assert.equal(beta, 0);
  assert.ok(Math.abs(runningMean - 0.25) < 1e-6, `running mean ${runningMean}`);
  assert.ok(Math.abs(runningVar - (0.9 + 0.1 * 5 / 3)) < 1e-6, `running var ${runningVar}`);
  // Inference: (x - mean) / sqrt(var + eps) * gamma + beta with the stored statistics.
  layer.setWeights([tf.tensor1d([2]), tf.tensor1d([1]), tf.tensor1d([3]), tf.tensor1d([4])]);
  const y = (layer.apply(x, { training: false }) as tf.Tensor).dataSync();
  [1, 2, 3, 4].forEach((v, i) => {
    const expected = (v - 3) / Math.sqrt(4 + 1e-5) * 2 + 1;
    assert.ok(Math.abs(y[i] - expected) < 1e-5, `y[${i}] = ${y[i]}, expected ${expected}`);
  });
  x.dispose();
  layer.dispose();
});

Deno.test("BatchNorm3d gradients match central finite differences", () => {
  const shape = [2, 2, 2, 2, 2];
  const x = randomTensor(shape, 3, 1.5, 0.5);
  const r = randomTensor(shape, 4);
  const layer = built(2);
  layer.setWeights([
    tf.tensor1d([1.3, 0.7]),
    tf.tensor1d([0.2, -0.4]),
    tf.tensor1d([0, 0]),
    tf.tensor1d([1, 1]),
  ]);
  const [gammaVar, betaVar] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  // L(x, gamma, beta) = sum(r * BN_train(x)): a loss whose gradient touches every path.
  const loss = (input: tf.Tensor) => tf.sum(tf.mul(r, layer.apply(input, { training: true }) as tf.Tensor));
  const { grads } = tf.variableGrads(() => loss(x) as tf.Scalar, [gammaVar, betaVar]);
  const dx = tf.grad((input: tf.Tensor) => loss(input))(x).dataSync();
  const h = 1e-2;
  const xs = x.dataSync();
  const at = (values: Float32Array) => tf.tidy(() => loss(tf.tensor(values, shape)).dataSync()[0]);
  for (let i = 0; i < xs.length; i++) {
    const plus = Float32Array.from(xs), minus = Float32Array.from(xs);
    plus[i] += h;
    minus[i] -= h;
    const fd = (at(plus) - at(minus)) / (2 * h);
    assert.ok(Math.abs(fd - dx[i]) < 5e-3 * Math.max(1, Math.abs(fd)), `dL/dx[${i}]: ${dx[i]} vs ${fd}`);
  }
  for (const [name, variable] of [["gamma", gammaVar], ["beta", betaVar]] as const) {
    const g = grads[variable.name].dataSync(), base = variable.dataSync().slice();
    for (let c = 0; c < 2; c++) {
      const value = (delta: number) => {
        const v = Float32Array.from(base);
        v[c] += delta;
        variable.assign(tf.tensor1d(v));
        return tf.tidy(() => loss(x).dataSync()[0]);
      };
      const fd = (value(h) - value(-h)) / (2 * h);
      variable.assign(tf.tensor1d(base));
      assert.ok(
        Math.abs(fd - g[c]) < 5e-3 * Math.max(1, Math.abs(fd)),
        `dL/d${name}[${c}]: ${g[c]} vs ${fd}`,
      );
    }
  }
  tf.dispose([x, r, ...Object.values(grads)]);
  layer.dispose();
});

Deno.test("BatchNorm3d serialises: a model holding it saves and loads with equal outputs", async () => {
  const model = tfl.sequential({
    layers: [
      tfl.layers.inputLayer({ inputShape: [2, 3, 3, 2] }),
      new BatchNorm3d({ momentum: 0.8, epsilon: 1e-3 }),
    ],
  });
  model.setWeights([
    tf.tensor1d([1.5, 0.5]),
    tf.tensor1d([0.1, 0.2]),
    tf.tensor1d([0.3, -1]),
    tf.tensor1d([2, 0.5]),
  ]);
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((a) => {
    artifacts = a;
    return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } });
  }));
  assert.match(JSON.stringify(artifacts!.modelTopology), /"class_name":"BatchNorm3d"/);
  const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
  const layer = loaded.layers.find((l) => l instanceof BatchNorm3d) as BatchNorm3d;
  assert.ok(layer, "the loaded model holds a BatchNorm3d");
  assert.equal(layer.momentum, 0.8);
  assert.equal(layer.epsilon, 1e-3);
  const x = randomTensor([2, 2, 3, 3, 2], 5);
  const a = (model.predict(x) as tf.Tensor).dataSync(), b = (loaded.predict(x) as tf.Tensor).dataSync();
  assert.deepEqual(Array.from(b), Array.from(a));
  model.dispose();
  loaded.dispose();
});

Deno.test("BatchNorm3d rejects input that is not rank 5 and bad options", () => {
  const layer = new BatchNorm3d();
  assert.throws(() => layer.apply(tfl.input({ shape: [4, 4, 2] })), /\[N, D, H, W, C\]/);
  assert.throws(() => new BatchNorm3d({ momentum: 1 }), RangeError);
  assert.throws(() => new BatchNorm3d({ epsilon: 0 }), RangeError);
});
