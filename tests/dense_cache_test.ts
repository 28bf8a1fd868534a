/**
 * Dense-map caching across evaluations (issue 12): a second dense map of the same case reads the
 * stored lattice scores instead of calling the scorer (counted by a counting scorer); any change of
 * the key (scorer, window, stride, image voxels, case id, settings) misses; a corrupt, truncated or
 * foreign entry is ignored with a warning and recomputed. Expected scores are a formula of the
 * corner, computed here by hand, never read from the code under test.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { phantomDataset } from "../data/dataset.ts";
import type { Case, Vec3, Volume } from "../data/types.ts";
import type { Scorer } from "../env/scorer.ts";
import { denseBaseline } from "../eval/dense_baseline.ts";
import { DenseScoreCache, hashCheckpointFolder } from "../eval/dense_cache.ts";
import { runEvaluation } from "../eval/evaluate.ts";
import { evaluateRun } from "../eval/run_eval.ts";
import { scratchDir } from "./_helpers.ts";

/** A scorer whose score is a formula of the corner (and the first voxel), counting windows and calls. */
class CountingScorer implements Scorer {
  readonly id = "counting";
  windows = 0;
  calls = 0;
  score(volume: Volume, corners: Int32Array, _size: Vec3): Promise<Float32Array> {
    this.calls++;
    this.windows += corners.length / 3;
    const out = new Float32Array(corners.length / 3);
    for (let i = 0; i < out.length; i++) {
      out[i] = expectedScore(volume, corners[3 * i], corners[3 * i + 1], corners[3 * i + 2]);
    }
    return Promise.resolve(out);
  }
}

const expectedScore = (v: Volume, z: number, y: number, x: number): number =>
  Math.fround(((z * 7 + y * 3 + x + Math.floor(Math.abs(v.data[0]))) % 11) / 10);

const SHAPE: Vec3 = [6, 10, 12];
function volume(id = "case-a", first = 0): Volume {
  const data = new Float32Array(SHAPE[0] * SHAPE[1] * SHAPE[2]);
  data[0] = first;
  return { id, shape: SHAPE, spacing: [1, 1, 1], affine: new Float64Array(16), data } as Volume;
}

/** Lattice axis by hand: 0, s, 2s, ... below extent - size, then extent - size. */
function axis(extent: number, size: number, stride: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < extent - size; c += stride) out.push(c);
  out.push(extent - size);
  return out;
}

function cacheIn(dir: string, extra: Partial<{ scorerKey: string; settings: unknown }> = {}) {
  const warnings: string[] = [];
  const cache = new DenseScoreCache({
    dir,
    scorerKey: extra.scorerKey ?? "counting:abc",
    settings: extra.settings ?? { intensity: "window" },
    warn: (m) => warnings.push(m),
  });
  return { cache, warnings };
}

const WINDOW: Vec3 = [2, 4, 4];

Deno.test("dense cache: the second dense map reads every lattice score from the cache (no scorer call)", async () => {
  const dir = join(await scratchDir("dense-cache"), "cache");
  const v = volume();
  const scorer = new CountingScorer();
  const first = await denseBaseline(v, {
    scorer,
    window: WINDOW,
    stride: 2,
    batchSize: 7,
    cache: cacheIn(dir).cache,
  });
  const lattice = axis(6, 2, 2).length * axis(10, 4, 2).length * axis(12, 4, 2).length; // 3 * 4 * 5
  assert.equal(scorer.windows, lattice);
  assert.equal(first.fromCache, false);
  assert.equal([...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".dense")).length, 1);

  const again = cacheIn(dir);
  const second = await denseBaseline(v, {
    scorer,
    window: WINDOW,
    stride: 2,
    batchSize: 5,
    cache: again.cache,
  });
  assert.equal(scorer.windows, lattice, "the scorer was called again");
  assert.equal(second.fromCache, true);
  assert.equal(again.cache.hits, 1);
  assert.deepEqual(second.map, first.map);
  assert.deepEqual(second.mask, first.mask);
  // The stored scores are the formula's, corner by corner in z, y, x order.
  const stored = await again.cache.load(v, WINDOW, 2, lattice);
  const expected: number[] = [];
  for (const z of axis(6, 2, 2)) {
    for (const y of axis(10, 4, 2)) for (const x of axis(12, 4, 2)) expected.push(expectedScore(v, z, y, x));
  }
  assert.deepEqual([...stored!], expected);
  assert.deepEqual(again.warnings, []);
});

Deno.test("dense cache: a changed scorer, window, stride, image voxel, case id or setting misses", async () => {
  const dir = join(await scratchDir("dense-cache"), "cache");
  const scorer = new CountingScorer();
  const run = async (v: Volume, window: Vec3, stride: number, extra = {}) => {
    const before = scorer.windows;
    await denseBaseline(v, { scorer, window, stride, cache: cacheIn(dir, extra).cache });
    return scorer.windows - before;
  };
  assert.ok(await run(volume(), WINDOW, 2) > 0);
  assert.equal(await run(volume(), WINDOW, 2), 0, "same key: a hit");
  assert.ok(await run(volume(), WINDOW, 2, { scorerKey: "counting:other-weights" }) > 0, "scorer");
  assert.ok(await run(volume(), [2, 4, 6], 2) > 0, "window");
  assert.ok(await run(volume(), WINDOW, 4) > 0, "stride");
  assert.ok(await run(volume("case-a", 5), WINDOW, 2) > 0, "image voxels");
  assert.ok(await run(volume("case-b"), WINDOW, 2) > 0, "case id");
  assert.ok(await run(volume(), WINDOW, 2, { settings: { intensity: "zscore" } }) > 0, "settings");
  assert.equal(await run(volume("case-a", 5), WINDOW, 2), 0, "each new key was stored");
});

Deno.test("dense cache: corrupt, truncated, foreign or out-of-range entries are recomputed with a warning", async () => {
  const dir = join(await scratchDir("dense-cache"), "cache");
  const scorer = new CountingScorer();
  const v = volume();
  const { cache } = cacheIn(dir);
  const path = cache.pathOf(cache.keyText(v, WINDOW, 2));
  await denseBaseline(v, { scorer, window: WINDOW, stride: 2, cache });
  const good = await Deno.readFile(path);
  const lattice = scorer.windows;
  const recompute = async (bytes: Uint8Array, reason: RegExp) => {
    await Deno.writeFile(path, bytes);
    const before = scorer.windows;
    const c = cacheIn(dir);
    const r = await denseBaseline(v, { scorer, window: WINDOW, stride: 2, cache: c.cache });
    assert.equal(scorer.windows - before, lattice, `${reason}: not recomputed`);
    assert.equal(r.fromCache, false);
    assert.equal(c.warnings.length, 1);
    assert.match(c.warnings[0], reason);
    assert.ok(c.warnings[0].includes(path), "the warning names the file");
    assert.deepEqual(await Deno.readFile(path), good, "the entry was rewritten");
  };
  const flipped = good.slice();
  flipped[flipped.length - 2] ^= 0x40; // a score byte
  await recompute(flipped, /checksum mismatch/);
  await recompute(good.slice(0, good.length - 4), /score bytes/);
  await recompute(good.slice(0, 10), /not a dense cache entry/);
  const header = good.slice();
  header[20] = "!".charCodeAt(0); // inside the header JSON
  await recompute(header, /corrupt header|another key/);
  // An entry of another case copied under this key: its header names another key.
  const other = cacheIn(join(dir, "other"));
  await denseBaseline(volume("case-z"), { scorer, window: WINDOW, stride: 2, cache: other.cache });
  const otherPath = other.cache.pathOf(other.cache.keyText(volume("case-z"), WINDOW, 2));
  await recompute(await Deno.readFile(otherPath), /another key/);
  // A well-formed entry (right key and checksum) holding a score of 2 is still not trusted.
  const bad = new Float32Array(lattice).fill(0.5);
  bad[3] = 2;
  await other.cache.save(v, WINDOW, 2, bad); // written by a second cache object in another folder
  const forged = await Deno.readFile(other.cache.pathOf(other.cache.keyText(v, WINDOW, 2)));
  await recompute(forged, /outside \[0, 1\]/);
});

Deno.test("dense cache: a second evaluation of the same cases calls the scorer for no dense window", async () => {
  const dir = join(await scratchDir("dense-cache"), "cache");
  const dataset = phantomDataset({ count: 6, seed: 3, shape: [12, 24, 24] });
  const cases: Case[] = [];
  for await (const c of dataset.cases()) cases.push(c);
  const evaluate = async (scorer: CountingScorer, cache: DenseScoreCache | undefined) =>
    await runEvaluation({
      cases: cases.slice(0, 2),
      target: 2,
      scorer,
      methods: ["dense"],
      game: { window: [4, 8, 8], stride: 4, maxSteps: 4 },
      validation: { cases: cases.slice(2, 4) },
      denseCache: cache,
    });
  const first = new CountingScorer(), second = new CountingScorer(), off = new CountingScorer();
  const r1 = await evaluate(first, cacheIn(dir).cache);
  const c2 = cacheIn(dir).cache;
  const r2 = await evaluate(second, c2);
  const r3 = await evaluate(off, undefined);
  assert.ok(first.windows > 0);
  assert.equal(second.calls, 0, "the second evaluation scored dense windows");
  assert.equal(c2.hits, 4); // 2 val + 2 test cases
  assert.equal(off.windows, first.windows, "without a cache every window is scored");
  const dice = (r: typeof r1) => r.cases.map((c) => c.methods.dense!.scores);
  assert.deepEqual(dice(r2), dice(r1));
  assert.deepEqual(dice(r3), dice(r1));
});

Deno.test("hashCheckpointFolder changes with any file's bytes or name, not with hidden files", async () => {
  const dir = await scratchDir("dense-cache");
  await Deno.writeTextFile(join(dir, "classifier.json"), "{}");
  await Deno.writeFile(join(dir, "weights.bin"), new Uint8Array([1, 2, 3]));
  const h = await hashCheckpointFolder(dir);
  assert.match(h, /^[0-9a-f]{64}$/);
  await Deno.writeTextFile(join(dir, ".dense-cache"), "x");
  assert.equal(await hashCheckpointFolder(dir), h);
  await Deno.writeFile(join(dir, "weights.bin"), new Uint8Array([1, 2, 4]));
  assert.notEqual(await hashCheckpointFolder(dir), h);
});

Deno.test("evaluateRun: an in-memory scorer is cached only with the checkpoint folder it was loaded from", async () => {
  const root = await scratchDir("dense-cache");
  const run = join(root, "run"), checkpoint = join(root, "classifier"), dir = join(root, "cache");
  await Deno.mkdir(run);
  await Deno.mkdir(checkpoint);
  await Deno.writeFile(join(checkpoint, "weights.bin"), new Uint8Array([9, 9]));
  const dataset = phantomDataset({ count: 6, seed: 3, shape: [12, 24, 24] });
  const evaluate = async (scorer: CountingScorer, out: string, denseCacheClassifier?: string) =>
    await evaluateRun({
      run,
      out: join(run, out),
      dataset,
      scorer,
      methods: ["dense"],
      game: { window: [4, 8, 8], stride: 4, maxSteps: 4 },
      sweep: false,
      nifti: "none",
      overlays: 0,
      denseCache: dir,
      ...(denseCacheClassifier ? { denseCacheClassifier } : {}),
    });
  const uncached = new CountingScorer();
  await evaluate(uncached, "e0");
  assert.equal(await Deno.stat(dir).then(() => true, () => false), false, "an unvouched scorer was cached");
  const first = new CountingScorer(), second = new CountingScorer();
  await evaluate(first, "e1", checkpoint);
  const { notes } = await evaluate(second, "e2", checkpoint);
  assert.equal(first.windows, uncached.windows);
  assert.equal(second.calls, 0);
  assert.ok(notes.some((n) => n.includes("read from the dense cache")), notes.join("\n"));
  await Deno.writeFile(join(checkpoint, "weights.bin"), new Uint8Array([9, 8])); // new weights: a miss
  const third = new CountingScorer();
  await evaluate(third, "e3", checkpoint);
  assert.equal(third.windows, uncached.windows);
});
