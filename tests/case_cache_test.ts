import assert from "node:assert/strict";
import { CaseCache, stableJson } from "../data/case_cache.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { type Case, diagonalAffine, type Vec3 } from "../data/types.ts";
import { scratchDir } from "./_helpers.ts";

function makeCase(withLabels = true): Case {
  const shape: Vec3 = [3, 4, 5];
  const spacing: Vec3 = [2.5, 0.75, 0.75];
  const n = 60;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (i - 17) * 0.1 + (i % 3 === 0 ? -1e-7 : 0);
  data[7] = -1024.5;
  const affine = diagonalAffine(spacing, [-10.25, 3.1, 7]);
  affine[1] = 0.01; // a non-diagonal term must survive too
  const image = { id: "c1", shape, spacing, data, affine };
  if (!withLabels) return { id: "c1", image };
  const labels = { id: "c1", shape, spacing, data: new Uint8Array(n).map((_, i) => i % 4), affine };
  return { id: "c1", image, labels, presence: 1 };
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

Deno.test("CaseCache: put then get round-trips every field exactly; miss is undefined", async () => {
  const dir = await scratchDir("cache");
  const cache = new CaseCache(`${dir}/entries`);
  const key = cache.key({ path: "/x/volume-1.nii", contentHash: "ab", params: { shape: [8, 8, 8] } });
  assert.equal(await cache.get(key), undefined, "miss before put (folder not even created)");
  const c = makeCase();
  await cache.put(key, c);
  const back = await cache.get(key);
  assert.ok(back);
  assert.equal(back.id, "c1");
  assert.equal(back.presence, 1);
  assert.deepEqual([...back.image.shape], [3, 4, 5]);
  assert.deepEqual([...back.image.spacing], [2.5, 0.75, 0.75]);
  assert.deepEqual(back.image.data, c.image.data);
  assert.deepEqual(back.image.affine, c.image.affine);
  assert.ok(back.image.data instanceof Float32Array && back.image.data.byteOffset === 0);
  assert.ok(back.labels);
  assert.deepEqual(back.labels.data, c.labels!.data);
  assert.deepEqual(back.labels.affine, c.labels!.affine);
  // Only the entry is left: no temporary file.
  assert.deepEqual(await listDir(`${dir}/entries`), [`${key}.case`]);
  // The file has the documented size: 12 + header, padded to 8, + 60*4 + 60 + 32.
  const size = (await Deno.stat(cache.pathOf(key))).size;
  assert.equal((size - 60 * 4 - 60 - 32) % 8, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("CaseCache: a case without labels or presence round-trips without them", async () => {
  const dir = await scratchDir("cache");
  const cache = new CaseCache(dir);
  const key = cache.key({ path: "p", contentHash: "h", params: null });
  await cache.put(key, makeCase(false));
  const back = await cache.get(key);
  assert.ok(back);
  assert.equal(back.labels, undefined);
  assert.equal("presence" in back, false);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("CaseCache: truncated or corrupted entries are misses and are removed", async () => {
  const dir = await scratchDir("cache");
  const cache = new CaseCache(dir);
  const c = makeCase();
  const corruptions: Array<[string, (b: Uint8Array) => Uint8Array]> = [
    ["truncated by 1 byte", (b) => b.slice(0, b.length - 1)],
    ["truncated mid-payload", (b) => b.slice(0, 100)],
    ["truncated in the header", (b) => b.slice(0, 20)],
    ["empty", () => new Uint8Array(0)],
    ["one voxel byte flipped", (b) => {
      const x = b.slice();
      x[x.length - 50] ^= 0x01;
      return x;
    }],
    ["a header byte flipped", (b) => {
      const x = b.slice();
      x[14] ^= 0x20;
      return x;
    }],
    ["one byte appended", (b) => Uint8Array.from([...b, 0])],
  ];
  for (const [what, corrupt] of corruptions) {
    const key = cache.key({ path: what, contentHash: "h", params: {} });
    await cache.put(key, c);
    const path = cache.pathOf(key);
    await Deno.writeFile(path, corrupt(await Deno.readFile(path)));
    assert.equal(await cache.get(key), undefined, what);
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound, `${what}: corrupt entry removed`);
    // The cache heals: a new put is read back.
    await cache.put(key, c);
    assert.ok(await cache.get(key), what);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("CaseCache.key: stable over key order, sensitive to every part", () => {
  const cache = new CaseCache(".tmp/unused");
  const base = {
    path: "/d/a.nii.gz",
    contentHash: "abc",
    params: { intensity: { kind: "window", lo: -200, hi: 250 } },
  };
  const k = cache.key(base);
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.equal(
    cache.key({
      params: { intensity: { hi: 250, kind: "window", lo: -200 } },
      contentHash: "abc",
      path: "/d/a.nii.gz",
    }),
    k,
  );
  assert.notEqual(cache.key({ ...base, path: "/d/b.nii.gz" }), k);
  assert.notEqual(cache.key({ ...base, contentHash: "abd" }), k);
  assert.notEqual(cache.key({ ...base, params: { intensity: { kind: "window", lo: -200, hi: 251 } } }), k);
  assert.notEqual(cache.key({ ...base, params: [1, 2] }), cache.key({ ...base, params: [2, 1] }));
  assert.equal(
    stableJson({ b: [1, { d: 2, c: undefined, a: "x" }], a: null }),
    '{"a":null,"b":[1,{"a":"x","d":2}]}',
  );
  assert.throws(() => cache.key({ ...base, params: { lo: NaN } }), InvalidArgumentError);
  assert.throws(() => cache.key({ ...base, params: { f: () => 1 } }), InvalidArgumentError);
  assert.throws(() => cache.pathOf("../etc/passwd"), InvalidArgumentError);
});

Deno.test("CaseCache.put: rejects arrays that do not match their shape", async () => {
  const cache = new CaseCache(".tmp/unused");
  const c = makeCase();
  const key = cache.key({ path: "p", contentHash: "h", params: 1 });
  const bad = { ...c, image: { ...c.image, data: new Float32Array(59) } };
  await assert.rejects(cache.put(key, bad), InvalidArgumentError);
  const bad2 = { ...c, labels: { ...c.labels!, data: new Float32Array(60) as unknown as Uint8Array } };
  await assert.rejects(cache.put(key, bad2), InvalidArgumentError);
});

Deno.test("CaseCache.hashFile: SHA-256 of the bytes (known vector)", async () => {
  const dir = await scratchDir("cache");
  await Deno.writeFile(`${dir}/abc.bin`, new TextEncoder().encode("abc"));
  assert.equal(
    await CaseCache.hashFile(`${dir}/abc.bin`),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  await Deno.remove(dir, { recursive: true });
});
