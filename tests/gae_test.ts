import assert from "node:assert/strict";
import { computeGae, explainedVariance, type GaeInputs } from "../agents/gae.ts";

function close(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

function inputs(p: Partial<GaeInputs> & { steps: number; columns: number }): GaeInputs {
  const n = p.steps * p.columns;
  return {
    rewards: new Float32Array(n),
    values: new Float32Array(n),
    terminations: new Uint8Array(n),
    truncations: new Uint8Array(n),
    valid: new Uint8Array(n).fill(1),
    bootstrapValues: new Float32Array(p.columns),
    gamma: 0.99,
    lambda: 0.95,
    ...p,
  };
}

Deno.test("GAE on a 5-step rollout with termination, autoreset and truncation matches hand computation", () => {
  // t0 normal, t1 terminates, t2 autoreset (invalid), t3 truncated, t4 autoreset (its observation is
  // the final observation of the truncated episode: V = 0.6 is what t3 bootstraps from).
  const r = computeGae(inputs({
    steps: 5,
    columns: 1,
    rewards: Float32Array.of(1, 0, 0, -1, 0),
    values: Float32Array.of(0.5, 0.4, 0.3, 0.2, 0.6),
    terminations: Uint8Array.of(0, 1, 0, 0, 0),
    truncations: Uint8Array.of(0, 0, 0, 1, 0),
    valid: Uint8Array.of(1, 1, 0, 1, 0),
    bootstrapValues: Float32Array.of(0.7),
    gamma: 0.9,
    lambda: 0.8,
  }));
  // t3: -1 + 0.9 * 0.6 - 0.2 = -0.66 (bootstrapped, chain cut)
  // t1: 0 - 0.4 = -0.4 (terminated: no bootstrap)
  // t0: delta = 1 + 0.9 * 0.4 - 0.5 = 0.86; A = 0.86 + 0.9 * 0.8 * (-0.4) = 0.572
  close(r.advantages, [0.572, -0.4, 0, -0.66, 0]);
  close(r.returns, [1.072, 0, 0, -0.46, 0]);
});

Deno.test("GAE with lambda 1 equals the discounted return plus the bootstrap at the rollout end", () => {
  const base = { steps: 3, columns: 1, rewards: Float32Array.of(1, 1, 1), gamma: 0.5, lambda: 1 };
  const open = computeGae(inputs({ ...base, bootstrapValues: Float32Array.of(2) }));
  // 1 + 0.5 + 0.25 + 0.125 * 2 = 2 at every step (values are 0)
  close(open.advantages, [2, 2, 2]);
  const ended = computeGae(inputs({
    ...base,
    bootstrapValues: Float32Array.of(2),
    terminations: Uint8Array.of(0, 0, 1),
  }));
  close(ended.advantages, [1.75, 1.5, 1]);
  const truncated = computeGae(inputs({
    ...base,
    bootstrapValues: Float32Array.of(2),
    truncations: Uint8Array.of(0, 0, 1),
  }));
  close(truncated.advantages, [2, 2, 2], 1e-6); // truncation at the last row still bootstraps
});

Deno.test("GAE columns are independent (t-major layout)", () => {
  const r = computeGae(inputs({
    steps: 2,
    columns: 2,
    rewards: Float32Array.of(1, 0, 0, 1), // column 0: [1, 0]; column 1: [0, 1]
    terminations: Uint8Array.of(0, 0, 1, 1),
    gamma: 1,
    lambda: 1,
  }));
  close(r.advantages, [1, 1, 0, 1]);
});

Deno.test("GAE rejects inconsistent inputs", () => {
  assert.throws(() => computeGae(inputs({ steps: 2, columns: 1, rewards: new Float32Array(3) })), /rewards/);
  assert.throws(() => computeGae(inputs({ steps: 2, columns: 1, gamma: 1.5 })), /gamma/);
  assert.throws(
    () => computeGae(inputs({ steps: 2, columns: 2, bootstrapValues: new Float32Array(1) })),
    /bootstrapValues/,
  );
});

Deno.test("explained variance: perfect, constant and masked predictions", () => {
  const returns = Float32Array.of(1, 2, 3);
  assert.equal(explainedVariance(Float32Array.of(1, 2, 3), returns), 1);
  assert.equal(explainedVariance(Float32Array.of(0, 0, 0), returns), 0);
  // values off by a constant still explain everything
  assert.equal(explainedVariance(Float32Array.of(2, 3, 4), returns), 1);
  // 1 - var([0, 0, 3]) / var([1, 2, 3]) = 1 - 2 / (2/3) = -2
  assert.ok(Math.abs(explainedVariance(Float32Array.of(1, 2, 0), returns) - -2) < 1e-12);
  assert.ok(Number.isNaN(explainedVariance(Float32Array.of(1, 1), Float32Array.of(5, 5))));
  assert.equal(explainedVariance(Float32Array.of(1, 2, 9), returns, Uint8Array.of(1, 1, 0)), 1);
});
