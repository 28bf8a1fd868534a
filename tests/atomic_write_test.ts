import assert from "node:assert/strict";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { scratchDir } from "./_helpers.ts";

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

Deno.test("writeFileAtomic: bytes, UTF-8 text and parts are written exactly; no temporary file left", async () => {
  const dir = await scratchDir("atomic");
  const bytes = Uint8Array.from([0, 1, 2, 253, 254, 255]);
  await writeFileAtomic(`${dir}/a.bin`, bytes);
  assert.deepEqual(await Deno.readFile(`${dir}/a.bin`), bytes);
  // "é" is two UTF-8 bytes (c3 a9), "€" three (e2 82 ac).
  await writeFileAtomic(`${dir}/b.txt`, "é€\n");
  assert.deepEqual(
    await Deno.readFile(`${dir}/b.txt`),
    Uint8Array.from([0xc3, 0xa9, 0xe2, 0x82, 0xac, 0x0a]),
  );
  // Parts are concatenated in order; an empty part adds nothing; views write only their window.
  const big = Uint8Array.from({ length: 10 }, (_, i) => i * 10);
  await writeFileAtomic(`${dir}/c.bin`, [big.subarray(2, 5), new Uint8Array(0), Uint8Array.of(7)]);
  assert.deepEqual(await Deno.readFile(`${dir}/c.bin`), Uint8Array.from([20, 30, 40, 7]));
  // Replacing an existing file: the new content, whole, and still no stray file.
  await writeFileAtomic(`${dir}/a.bin`, "x");
  assert.equal(await Deno.readTextFile(`${dir}/a.bin`), "x");
  await writeFileAtomic(`${dir}/empty`, "");
  assert.equal((await Deno.stat(`${dir}/empty`)).size, 0);
  assert.deepEqual(await names(dir), ["a.bin", "b.txt", "c.bin", "empty"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeFileAtomic: a missing folder raises NotFound and creates nothing", async () => {
  const dir = await scratchDir("atomic");
  await assert.rejects(() => writeFileAtomic(`${dir}/missing/a.bin`, "data"), Deno.errors.NotFound);
  assert.deepEqual(await names(dir), []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeFileAtomic: a failed rename removes the temporary file and keeps the target", async () => {
  const dir = await scratchDir("atomic");
  // A file cannot be renamed over a non-empty folder: the write itself succeeds, the rename fails.
  await Deno.mkdir(`${dir}/target`);
  await Deno.writeTextFile(`${dir}/target/keep`, "old");
  await assert.rejects(() => writeFileAtomic(`${dir}/target`, "new"), Error);
  assert.deepEqual(await names(dir), ["target"]);
  assert.equal(await Deno.readTextFile(`${dir}/target/keep`), "old");
  await Deno.remove(dir, { recursive: true });
});
