import nodeAssert from "node:assert/strict";

const assert = (ok: boolean): void => nodeAssert.ok(ok);
const assertEquals = (a: unknown, b: unknown): void => nodeAssert.deepEqual(a, b);
const assertThrows = (fn: () => unknown, cls: new (...a: never[]) => Error): void =>
  nodeAssert.throws(fn, cls);
import { InvalidArgumentError } from "../data/errors.ts";
import { EnvStateError } from "../env/errors.ts";
import {
  checkPixelEnv,
  KEEP,
  phantomPixelSlices,
  pixelRewardMap,
  PixelSegEnv,
  type PixelSlice,
  renderPixelEnv,
  SET_BACKGROUND,
  SET_FOREGROUND,
} from "../env/pixel/mod.ts";

// G: a 2x2 square in the middle of a 4x4 slice.
const G = Uint8Array.from([
  0,
  0,
  0,
  0,
  0,
  1,
  1,
  0,
  0,
  1,
  1,
  0,
  0,
  0,
  0,
  0,
]);
const slice = (id: string, v = 0.5): PixelSlice => ({
  id,
  shape: [4, 4],
  spacing: [1, 1],
  image: new Float32Array(16).fill(v),
  truth: G,
});

Deno.test("pixel env: reward map by hand over two steps (paper actions, then with set-foreground)", () => {
  const env = new PixelSegEnv({ slices: [slice("a")], actions: [SET_BACKGROUND, KEEP, SET_FOREGROUND] });
  env.reset({ seed: 0 });
  assertEquals(env.mask, new Uint8Array(16).fill(1)); // starts all foreground
  // Step 1: set background on row 0 and on (1,1); keep elsewhere.
  const a1 = Int32Array.from([
    0,
    0,
    0,
    0,
    1,
    0,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
  ]);
  const r1 = env.step(a1);
  // (f0 - G)^2 - (f1 - G)^2: background pixels set to 0 gain 1; tumour pixel (1,1) loses 1.
  assertEquals(Array.from(r1.rewardMap), [
    1,
    1,
    1,
    1,
    0,
    -1,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  assertEquals(r1.reward, 3 / 16);
  assertEquals(Array.from(env.mask), [0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  // Step 2: (1,1) back to foreground (+1), row 3 to background (+4), (1,2) to background (-1),
  // (0,0) set foreground (-1).
  const a2 = Int32Array.from([
    2,
    1,
    1,
    1,
    1,
    2,
    0,
    1,
    1,
    1,
    1,
    1,
    0,
    0,
    0,
    0,
  ]);
  const r2 = env.step(a2);
  assertEquals(Array.from(r2.rewardMap), [
    -1,
    0,
    0,
    0,
    0,
    1,
    -1,
    0,
    0,
    0,
    0,
    0,
    1,
    1,
    1,
    1,
  ]);
  assertEquals(r2.reward, 3 / 16);
  // Observation: channels last (image, mask).
  assertEquals(r2.observation[2 * 5], 0.5);
  assertEquals(r2.observation[2 * 5 + 1], 1);
  assertEquals(r2.observation[2 * 6 + 1], 0);
  assertEquals(Array.from(env.lastActions), Array.from(a2));
});

Deno.test("pixel env: pixelRewardMap equals the squared-error difference, brute force", () => {
  const prev = [0, 1, 1, 0, 1], next = [1, 0, 1, 0, 0], truth = [1, 1, 0, 0, 0];
  const want = prev.map((p, i) => (p - truth[i]) ** 2 - (next[i] - truth[i]) ** 2);
  assertEquals(Array.from(pixelRewardMap(prev, next, truth)), want);
  assertEquals(want, [1, -1, 0, 0, 1]);
  assertThrows(() => pixelRewardMap([0], [0, 1], [0, 1]), InvalidArgumentError);
});

Deno.test("pixel env: keep never changes the mask; set-background is absorbing with the paper's actions", () => {
  const env = new PixelSegEnv({ slices: [slice("a")], tMax: 3 });
  env.reset();
  const keep = new Int32Array(16).fill(1);
  const r = env.step(keep);
  assertEquals(env.mask, new Uint8Array(16).fill(1));
  assertEquals(r.reward, 0);
  env.step(new Int32Array(16).fill(0));
  assertEquals(env.mask, new Uint8Array(16));
  env.step(keep);
  assertEquals(env.mask, new Uint8Array(16));
});

Deno.test("pixel env: episodes of tMax steps end by truncation; misuse throws typed errors", () => {
  const env = new PixelSegEnv({ slices: [slice("a")], tMax: 3 });
  assertThrows(() => env.step(new Int32Array(16)), EnvStateError);
  env.reset({ seed: 1 });
  const flags: [boolean, boolean][] = [];
  for (let t = 0; t < 3; t++) {
    const r = env.step(new Int32Array(16).fill(1));
    flags.push([r.terminated, r.truncated]);
  }
  assertEquals(flags, [[false, false], [false, false], [false, true]]);
  assertThrows(() => env.step(new Int32Array(16)), EnvStateError);
  env.reset();
  assertThrows(() => env.step(new Int32Array(15)), InvalidArgumentError);
  assertThrows(() => env.step(new Int32Array(16).fill(2)), InvalidArgumentError);
  assertThrows(() => new PixelSegEnv({ slices: [slice("a")], tMax: 0 }), InvalidArgumentError);
  assertThrows(() => new PixelSegEnv({ slices: [] }), InvalidArgumentError);
  assertThrows(() => new PixelSegEnv({ slices: [slice("a", 2)] }), InvalidArgumentError);
});

Deno.test("pixel env: initial masks (background, custom) and the observation space", () => {
  const env = new PixelSegEnv({ slices: [slice("a")], initialMask: "background" });
  const { observation } = env.reset();
  assertEquals(env.mask, new Uint8Array(16));
  assert(env.observationSpace.contains(observation));
  assertEquals(env.observationSpace.shape, [4, 4, 2]);
  assertEquals(env.actionSpace.shape, [4, 4]);
  const custom = new PixelSegEnv({ slices: [slice("a")], initialMask: (s) => s.truth.slice() });
  custom.reset();
  assertEquals(custom.mask, G);
  assertEquals(custom.step(new Int32Array(16).fill(1)).reward, 0);
});

Deno.test("pixel env: seeded resets pick the same slices; checkEnv passes", async () => {
  const slices = Array.from({ length: 5 }, (_, i) => slice(`s${i}`, i / 5));
  const ids = (seed: number) => {
    const env = new PixelSegEnv({ slices });
    env.reset({ seed });
    return Array.from({ length: 6 }, () => env.reset().info.sliceId);
  };
  assertEquals(ids(7), ids(7));
  assert(
    JSON.stringify(ids(7)) !== JSON.stringify(ids(8)) || JSON.stringify(ids(7)) !== JSON.stringify(ids(9)),
  );
  await checkPixelEnv(() => new PixelSegEnv({ slices, tMax: 4 }));
});

Deno.test("pixel env: render has four panels; phantom slices hold the target and split deterministically", () => {
  const env = new PixelSegEnv({ slices: [slice("a")] });
  env.reset();
  env.step(new Int32Array(16).fill(1));
  const f = renderPixelEnv(env, 2);
  assertEquals([f.width, f.height], [4 * 8 + 3 * 4, 8]);
  // Action panel (4th): keep everywhere = navy.
  const o = (0 * f.width + 3 * 12) * 4;
  assertEquals(Array.from(f.data.slice(o, o + 3)), [20, 30, 120]);
  const a = phantomPixelSlices({ count: 4, seed: 3 }), b = phantomPixelSlices({ count: 4, seed: 3 });
  const all = [...a.train, ...a.val, ...a.test];
  assertEquals(all.length, 4);
  assertEquals(all.map((s) => s.id), [...b.train, ...b.val, ...b.test].map((s) => s.id));
  for (const s of all) {
    assertEquals(s.shape, [64, 64]);
    assert(s.truth.some((v) => v === 1));
    assert(s.image.every((v) => v >= 0 && v <= 1));
  }
});
