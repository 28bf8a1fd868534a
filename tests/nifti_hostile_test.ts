/**
 * Hostile and inconsistent NIfTI inputs (issue 11): gzip bombs, trailing gzip members and garbage,
 * headers that contradict the file (shrunk dims, datatype vs bitpix, vox_offset inside a header
 * extension). Each case was accepted by the reader before this issue.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { gzipSync } from "node:zlib";
import { NiftiError } from "../data/errors.ts";
import { readNifti, readNiftiLabels, readNiftiWithInfo } from "../data/nifti_read.ts";
import { scratchDir } from "./_helpers.ts";
import { build, gzipBomb } from "./_nifti_build.ts";

/** Asserts a NiftiError whose message starts with `name: ` and matches `pattern`. */
async function rejectsTyped(read: () => Promise<unknown>, name: string, pattern: RegExp): Promise<void> {
  await assert.rejects(read, (e: Error) => {
    assert.ok(e instanceof NiftiError, `${name}: untyped ${e}`);
    assert.ok(e.message.startsWith(`${name}: `), e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), at += p.length);
  return out;
};

const TEN_CUBED = build({
  type: "uint8",
  values: Array.from({ length: 1000 }, (_, i) => i % 7),
  size: [10, 10, 10],
});

Deno.test("gzip bomb: 10x10x10 header over 256 MiB of zeros is refused early, in bounded time and memory", async () => {
  const bomb = gzipBomb(TEN_CUBED, 256 * 2 ** 20);
  assert.ok(bomb.length < 400_000);
  const dir = await scratchDir("nifti-bomb");
  const path = `${dir}/bomb.nii.gz`;
  await Deno.writeFile(path, bomb);
  const rss0 = Deno.memoryUsage().rss, t0 = performance.now();
  await rejectsTyped(
    () => readNifti(bomb, { id: "bomb" }),
    "bomb",
    /inflates to more data after the 1352 bytes/,
  );
  await rejectsTyped(() => readNiftiLabels(path), path, /inflates to more data after the 1352 bytes/);
  const ms = performance.now() - t0, grownMiB = (Deno.memoryUsage().rss - rss0) / 2 ** 20;
  assert.ok(ms < 2000, `took ${ms} ms`);
  assert.ok(grownMiB < 100, `rss grew by ${grownMiB} MiB`);
  // The same stream is read when the trailing bytes are explicitly allowed: only 1352 bytes inflated.
  const { volume } = await readNiftiWithInfo(bomb, { allowTrailingBytes: true });
  assert.deepEqual(volume.shape, [10, 10, 10]);
  assert.equal(volume.data[8], 1);
});

Deno.test("gzip: a second member, trailing garbage or zeros, and a bad CRC are refused", async () => {
  const gz = new Uint8Array(gzipSync(TEN_CUBED)); // a copy: Buffer's slice() would alias it
  assert.deepEqual(Array.from((await readNifti(gz)).data.subarray(0, 8)), [0, 1, 2, 3, 4, 5, 6, 0]);
  const badCrc = gz.slice();
  badCrc[badCrc.length - 6] ^= 1;
  const cases: [string, Uint8Array, RegExp][] = [
    [
      "member",
      concat(gz, gzipSync(new Uint8Array(16))),
      /bytes after the gzip member \(another gzip member\)/,
    ],
    ["garbage", concat(gz, Uint8Array.of(1, 2, 3)), /3 bytes after the gzip member \(trailing garbage\)/],
    ["zeros", concat(gz, new Uint8Array(8)), /8 bytes after the gzip member/],
    ["crc", badCrc, /CRC-32 or length check failed/],
    ["cut", gz.subarray(0, gz.length - 3), /truncated gzip stream: 5 of 8 trailer bytes/],
    ["method", Uint8Array.of(0x1f, 0x8b, 7, 0, 0, 0, 0, 0, 0, 3, 1), /compression method 7/],
    // A valid member that holds more than the header describes (the bomb, small).
    ["longer", gzipSync(concat(TEN_CUBED, new Uint8Array(1))), /inflates to more data after the 1352 bytes/],
  ];
  for (const [id, bytes, pattern] of cases) await rejectsTyped(() => readNifti(bytes, { id }), id, pattern);
});

/** `bytes` with int16 `value` written at `offset` (little-endian), as a mutation would. */
function patch16(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setInt16(offset, value, true);
  return out;
}

Deno.test("header vs file: dims shrunk so voxels are left unread are refused (unless trailing bytes allowed)", async () => {
  const full = build({ type: "int16", values: [1, 2, 3, 4, 5, 6, 7, 8], size: [2, 2, 2] });
  const shrunk = patch16(full, 44, 1); // dim[2] = 1: 8 of 16 voxel bytes left unread
  await rejectsTyped(
    () => readNifti(shrunk, { id: "shrunk" }),
    "shrunk",
    /8 bytes of trailing data after the 360/,
  );
  await rejectsTyped(
    () => readNifti(gzipSync(shrunk), { id: "gz" }),
    "gz",
    /inflates to more data after the 360/,
  );
  const dir = await scratchDir("nifti-hostile");
  await Deno.writeFile(`${dir}/shrunk.nii`, shrunk);
  await rejectsTyped(
    () => readNiftiLabels(`${dir}/shrunk.nii`),
    `${dir}/shrunk.nii`,
    /8 bytes of trailing data/,
  );
  for (const source of [shrunk, gzipSync(shrunk), `${dir}/shrunk.nii`]) {
    const v = await readNifti(source, { allowTrailingBytes: true });
    assert.deepEqual(v.shape, [2, 1, 2]);
    assert.deepEqual(Array.from(v.data), [1, 2, 3, 4]);
  }
  // A path whose file is far longer than its header: refused from the header and the file size.
  await Deno.writeFile(`${dir}/long.nii`, concat(full, new Uint8Array(4 << 20)));
  await rejectsTyped(() => readNifti(`${dir}/long.nii`), `${dir}/long.nii`, /4194304 bytes of trailing data/);
});

Deno.test("header vs file: bitpix must match the datatype", async () => {
  const int16 = build({ type: "int16", values: [1, 2, 3, 4] });
  const cases: [string, Uint8Array, RegExp][] = [
    ["as-uint8", patch16(int16, 70, 2), /bitpix 16 contradicts datatype 2 \(uint8, 8 bits\)/],
    ["as-float64", patch16(int16, 70, 64), /bitpix 16 contradicts datatype 64 \(float64, 64 bits\)/],
    ["bitpix-0", patch16(int16, 72, 0), /bitpix 0 contradicts datatype 4 \(int16, 16 bits\)/],
  ];
  for (const [id, bytes, pattern] of cases) await rejectsTyped(() => readNifti(bytes, { id }), id, pattern);
  const both = patch16(patch16(int16, 70, 2), 72, 8); // consistent header over a longer file
  await rejectsTyped(() => readNifti(both, { id: "both" }), "both", /4 bytes of trailing data/);
});

/** A uint8 label file with an XML-like header extension (esize 64) before the voxels at 416. */
function withExtension(): Uint8Array {
  const ext = new Uint8Array(64);
  new DataView(ext.buffer).setInt32(0, 64, true);
  new DataView(ext.buffer).setInt32(4, 32, true); // ecode 32 (CIFTI, XML)
  ext.set(new TextEncoder().encode("<Label Key='5'>liver</Label>"), 8);
  return build({ type: "uint8", values: [0, 5, 5, 0], voxOffset: 416, extension: ext });
}

Deno.test("header vs file: vox_offset inside a header extension and malformed extensions are refused", async () => {
  const good = withExtension();
  assert.deepEqual(Array.from((await readNiftiLabels(good)).data), [0, 5, 5, 0]);
  const moved = good.slice();
  new DataView(moved.buffer).setFloat32(108, 368, true); // inside the extension (352..416)
  const exact = moved.subarray(0, 368 + 4); // file length consistent with the moved offset
  await rejectsTyped(
    () => readNiftiLabels(exact, { id: "xml" }),
    "xml",
    /vox_offset 368 lies inside the header extension at bytes 352\.\.416 \(ecode 32\)/,
  );
  await rejectsTyped(
    () => readNiftiLabels(moved, { id: "xml2", allowTrailingBytes: true }),
    "xml2",
    /inside/,
  );
  await rejectsTyped(() => readNiftiLabels(moved, { id: "xml3" }), "xml3", /trailing data/);
  const malformed = good.slice();
  new DataView(malformed.buffer).setInt32(352, 4, true);
  await rejectsTyped(
    () => readNifti(malformed, { id: "esize" }),
    "esize",
    /malformed header extension.*esize 4/,
  );
  // Extender byte 0: the bytes up to vox_offset are not extensions and are not checked.
  const none = good.slice();
  none[348] = 0;
  assert.deepEqual(Array.from((await readNiftiLabels(none)).data), [0, 5, 5, 0]);
});

Deno.test("maxBytes: a header describing more than maxBytes is refused before inflating", async () => {
  const big = build({ type: "float64", values: [1], dim: [3, 1000, 1000, 1000, 1, 1, 1, 1] });
  await rejectsTyped(
    () => readNifti(gzipSync(big), { id: "big" }),
    "big",
    /header describes a 8000000352-byte file \(expected at most maxBytes = 2147483648/,
  );
  await rejectsTyped(() => readNifti(TEN_CUBED, { id: "small", maxBytes: 1000 }), "small", /1352-byte file/);
});

Deno.test("a Node Buffer source is never modified (big-endian voxels are swapped in a copy)", async () => {
  const bytes = Buffer.from(build({ type: "int16", values: [1, -2, 300], little: false }));
  const before = Uint8Array.from(bytes);
  for (let i = 0; i < 2; i++) assert.deepEqual(Array.from((await readNifti(bytes)).data), [1, -2, 300]);
  assert.deepEqual(Uint8Array.from(bytes), before);
});
