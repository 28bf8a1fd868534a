/**
 * The NIfTI fuzzer's parts (scripts/fuzz_nifti_*.ts) and a small in-process run of it: the reference
 * decoder refuses what the reader must refuse, agrees with the reader on valid files, and 400
 * generated cases give no crash and no accepted-inconsistent result. The full run (10,000+ files,
 * workers with a hang timeout, 4 GiB bombs) is `deno run --allow-read --allow-write=.tmp
 * scripts/fuzz_nifti.ts`.
 */
import assert from "node:assert/strict";
import { readNiftiWithInfo } from "../data/nifti_read.ts";
import { classifyCase, type Outcome } from "../scripts/fuzz_nifti_classify.ts";
import { makeCase } from "../scripts/fuzz_nifti_cases.ts";
import { compareWithReference, referenceDecode } from "../scripts/fuzz_nifti_reference.ts";
import { scratchDir } from "./_helpers.ts";
import { build } from "./_nifti_build.ts";

Deno.test("reference decoder: decodes a valid file as the reader does, refuses inconsistent ones", async () => {
  const good = build({ type: "int16", values: [1, -2, 3, 4, 5, 6], size: [3, 2, 1], slope: 2, inter: 1 });
  const ref = referenceDecode(good, false);
  assert.ok(ref.ok);
  assert.deepEqual(Array.from(ref.values), [3, -3, 7, 9, 11, 13]);
  const { volume } = await readNiftiWithInfo(good);
  assert.equal(compareWithReference(volume, ref, "error"), undefined);
  // The comparison can fail: one voxel off, or a shape that differs.
  const off = { ...volume, data: Float32Array.from(volume.data, (v, i) => i === 4 ? v + 1 : v) };
  assert.match(compareWithReference(off, ref, "error") ?? "", /voxel 4: 12 vs 11/);
  assert.match(compareWithReference({ ...volume, shape: [1, 3, 2] }, ref, "error") ?? "", /shape/);
  const longer = new Uint8Array(good.length + 2);
  longer.set(good);
  const bitpix = good.slice();
  new DataView(bitpix.buffer).setInt16(72, 8, true);
  const reasons = [
    referenceDecode(longer, false),
    referenceDecode(bitpix, false),
    referenceDecode(good.subarray(0, 300), false),
  ].map((r) => r.ok ? "ok" : r.reason);
  assert.deepEqual(reasons, ["trailing bytes", "bitpix", "truncated header"]);
  assert.ok(referenceDecode(longer, true).ok);
});

Deno.test("generator: case i of a seed is always the same file; bombs are capped by maxBombMiB", () => {
  const a = makeCase(5, 123), b = makeCase(5, 123);
  assert.deepEqual([a.kind, a.bytes], [b.kind, b.bytes]);
  assert.notDeepEqual(makeCase(5, 124).bytes, a.bytes);
  let bombs = 0;
  for (let i = 0; i < 800 && bombs < 2; i++) {
    const c = makeCase(2, i, 1);
    if (!c.kind.startsWith("bomb")) continue;
    bombs++;
    assert.equal(c.kind, "bomb-1MiB");
    assert.ok(c.gzipMustReject);
  }
  assert.ok(bombs > 0);
});

Deno.test("fuzz, in process: 400 cases, no crash and no accepted-inconsistent result", async () => {
  const dir = await scratchDir("fuzz-nifti");
  const counts: Record<Outcome, number> = {
    "accepted-consistent": 0,
    "rejected-typed": 0,
    crash: 0,
    hang: 0,
    "accepted-inconsistent": 0,
  };
  const failures: string[] = [];
  for (let i = 0; i < 400; i++) {
    const r = await classifyCase({ seed: 11, pathEvery: 25, dir, maxBombMiB: 16 }, i, () => {});
    counts[r.outcome]++;
    if (r.outcome === "crash" || r.outcome === "accepted-inconsistent") {
      failures.push(`${r.outcome} ${i} ${r.kind}: ${r.detail}`);
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(counts["accepted-consistent"] > 50 && counts["rejected-typed"] > 50, JSON.stringify(counts));
});
