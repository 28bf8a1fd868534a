import assert from "node:assert/strict";
import { Rng } from "../data/random.ts";

Deno.test("Rng: same seed gives the same stream; state round-trips", () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const sa = Array.from({ length: 8 }, () => a.nextUint32());
  const sb = Array.from({ length: 8 }, () => b.nextUint32());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, Array.from({ length: 8 }, () => c.nextUint32()));
  const state = a.getState();
  const next = [a.nextUint32(), a.nextUint32()];
  a.setState(state);
  assert.deepEqual([a.nextUint32(), a.nextUint32()], next);
});

Deno.test("Rng: int is unbiased enough and in range; normal has mean 0, variance 1", () => {
  const r = new Rng(7);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60000; i++) counts[r.int(6)]++;
  for (const k of counts) assert.ok(Math.abs(k - 10000) < 400, `count ${k}`);
  let s = 0, s2 = 0;
  const n = 50000;
  for (let i = 0; i < n; i++) {
    const x = r.normal();
    s += x;
    s2 += x * x;
  }
  assert.ok(Math.abs(s / n) < 0.02);
  assert.ok(Math.abs(s2 / n - 1) < 0.03);
  assert.throws(() => r.int(0), RangeError);
});

Deno.test("Rng: every state word is a uint32 that setState accepts, at any point of the stream", () => {
  const r = new Rng(123);
  for (let i = 0; i < 1000; i++) {
    r.nextUint32();
    const s = r.getState();
    assert.ok(s.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32), `state ${s}`);
    new Rng(0).setState(s);
  }
});
