import assert from "node:assert/strict";
import { deflateSync, inflateSync } from "node:zlib";
import { crc32, decodePng, encodePng, type RgbaFrame, writePng } from "../env/png.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import { scratchDir } from "./_helpers.ts";

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

function u32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

/** A chunk built by hand: length, type, body, CRC. */
function chunk(type: string, body: number[] | Uint8Array): number[] {
  const typed = [...ascii(type), ...body];
  return [...u32(body.length), ...typed, ...u32(crc32(Uint8Array.from(typed)))];
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** A PNG built by hand from already-filtered scanlines (each starting with its filter byte). */
function handPng(
  width: number,
  height: number,
  colourType: number,
  scanlines: number[],
  extra: number[] = [],
) {
  const ihdr = [...u32(width), ...u32(height), 8, colourType, 0, 0, 0];
  return Uint8Array.from([
    ...SIGNATURE,
    ...chunk("IHDR", ihdr),
    ...extra,
    ...chunk("IDAT", deflateSync(Uint8Array.from(scanlines))),
    ...chunk("IEND", []),
  ]);
}

/** Forward PNG filter of one row (written here independently of env/png.ts). */
function filterRowByHand(type: number, row: number[], prev: number[], bpp: number): number[] {
  return row.map((v, i) => {
    const a = i >= bpp ? row[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
    let pred = 0;
    if (type === 1) pred = a;
    if (type === 2) pred = b;
    if (type === 3) pred = Math.floor((a + b) / 2);
    if (type === 4) {
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    return (v - pred + 256) % 256;
  });
}

Deno.test("crc32: check value of '123456789', empty input, and the IEND chunk constant", () => {
  assert.equal(crc32(ascii("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(crc32(ascii("IEND")), 0xae426082); // every PNG ends in 49 45 4E 44 AE 42 60 82
});

Deno.test("encodePng: signature and IHDR of a 1x1 RGBA image are byte-exact", () => {
  const png = encodePng({ width: 1, height: 1, data: new Uint8ClampedArray([1, 2, 3, 4]) });
  assert.deepEqual(Array.from(png.subarray(0, 8)), SIGNATURE);
  // The well-known 1x1 RGBA header: length 13, "IHDR", 1, 1, depth 8, type 6, 0, 0, 0, CRC 1F15C489.
  const ihdr = [0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89];
  assert.deepEqual(Array.from(png.subarray(8, 33)), ihdr);
  assert.deepEqual(Array.from(png.subarray(png.length - 12)), [
    0,
    0,
    0,
    0,
    ...ascii("IEND"),
    0xae,
    0x42,
    0x60,
    0x82,
  ]);
  // IDAT holds one scanline: filter byte + the 4 bytes of the pixel (any filter reproduces them).
  const view = new DataView(png.buffer, png.byteOffset);
  const idatLength = view.getUint32(33);
  assert.equal(new TextDecoder().decode(png.subarray(37, 41)), "IDAT");
  const scanline = new Uint8Array(inflateSync(png.subarray(41, 41 + idatLength)));
  assert.equal(scanline.length, 5);
  assert.ok(scanline[0] <= 4);
});

Deno.test("encodePng/decodePng: random 37x23 frame round-trips exactly; IHDR size fields", () => {
  const rng = new Rng(1234);
  const width = 37, height = 23;
  const data = new Uint8ClampedArray(width * height * 4);
  // Half noise, half smooth gradients, so that several filter types get chosen.
  for (let i = 0; i < data.length; i++) data[i] = i < data.length / 2 ? rng.int(256) : (i >> 2) % 97;
  const png = encodePng({ width, height, data });
  const view = new DataView(png.buffer, png.byteOffset);
  assert.equal(view.getUint32(16), width);
  assert.equal(view.getUint32(20), height);
  const back = decodePng(png);
  assert.equal(back.width, width);
  assert.equal(back.height, height);
  assert.deepEqual(back.data, data);
});

Deno.test("decodePng: hand-filtered RGBA rows with None/Sub/Up/Average/Paeth", () => {
  const width = 3, height = 5, bpp = 4;
  const rows = Array.from(
    { length: height },
    (_, y) => Array.from({ length: width * bpp }, (_, i) => (y * 53 + i * 29 + ((i * y) % 7) * 31) % 256),
  );
  const scanlines: number[] = [];
  rows.forEach((row, y) => {
    const type = [1, 2, 3, 4, 0][y]; // row 0 with Sub, then Up, Average, Paeth, None
    const prev = y === 0 ? new Array(row.length).fill(0) : rows[y - 1];
    scanlines.push(type, ...filterRowByHand(type, row, prev, bpp));
  });
  const frame = decodePng(handPng(width, height, 6, scanlines));
  assert.deepEqual(Array.from(frame.data), rows.flat());
});

Deno.test("decodePng: RGB and greyscale with Paeth/Average; IDAT split in two; ancillary chunk skipped", () => {
  // RGB 2x2: row 0 Average, row 1 Paeth.
  const rgbRows = [[10, 20, 30, 200, 100, 50], [255, 0, 128, 7, 8, 9]];
  const rgbLines = [
    3,
    ...filterRowByHand(3, rgbRows[0], [0, 0, 0, 0, 0, 0], 3),
    4,
    ...filterRowByHand(4, rgbRows[1], rgbRows[0], 3),
  ];
  const rgb = decodePng(handPng(2, 2, 2, rgbLines, chunk("tEXt", ascii("Comment\0hi"))));
  assert.deepEqual(Array.from(rgb.data), [
    10,
    20,
    30,
    255,
    200,
    100,
    50,
    255,
    255,
    0,
    128,
    255,
    7,
    8,
    9,
    255,
  ]);

  // Grey 3x2: row 0 Sub, row 1 Up; IDAT data split over two chunks.
  const grey = [[0, 100, 250], [5, 100, 10]];
  const lines = [
    1,
    ...filterRowByHand(1, grey[0], [0, 0, 0], 1),
    2,
    ...filterRowByHand(2, grey[1], grey[0], 1),
  ];
  const z = deflateSync(Uint8Array.from(lines));
  const ihdr = [...u32(3), ...u32(2), 8, 0, 0, 0, 0];
  const bytes = Uint8Array.from([
    ...SIGNATURE,
    ...chunk("IHDR", ihdr),
    ...chunk("IDAT", z.subarray(0, 5)),
    ...chunk("IDAT", z.subarray(5)),
    ...chunk("IEND", []),
  ]);
  const g = decodePng(bytes);
  assert.equal(g.width, 3);
  assert.deepEqual(Array.from(g.data.filter((_, i) => i % 4 === 0)), grey.flat());
  assert.deepEqual(Array.from(g.data.filter((_, i) => i % 4 === 3)), [255, 255, 255, 255, 255, 255]);
});

Deno.test("decodePng: rejects bad signature, bad CRC, truncation, 16-bit, palette, interlace, short data", () => {
  const good = encodePng({ width: 2, height: 2, data: new Uint8ClampedArray(16).fill(9) });
  const bad = (bytes: Uint8Array, pattern: RegExp) =>
    assert.throws(() => decodePng(bytes), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError);
      assert.match(e.message, pattern);
      return true;
    });
  bad(Uint8Array.from([1, 2, 3]), /signature/);
  const flipped = good.slice();
  flipped[20] ^= 1; // inside IHDR's height field
  bad(flipped, /bad CRC/);
  bad(good.subarray(0, good.length - 6), /truncated/);
  const scan = [0, 1, 2, 3, 4, 5, 6];
  const ihdr = (
    depth: number,
    type: number,
    interlace: number,
  ) => [...u32(1), ...u32(1), depth, type, 0, 0, interlace];
  const withHeader = (h: number[]) =>
    Uint8Array.from([...SIGNATURE, ...chunk("IHDR", h), ...chunk("IEND", [])]);
  bad(withHeader(ihdr(16, 6, 0)), /bit depth 16/);
  bad(withHeader(ihdr(8, 3, 0)), /colour type 3/);
  bad(withHeader(ihdr(8, 6, 1)), /interlaced/);
  bad(handPng(2, 1, 6, scan), /inflates to 7 bytes/);
  bad(handPng(1, 1, 6, [5, 1, 2, 3, 4]), /filter type 5/);
});

Deno.test("writePng writes atomically a file that decodes back; bad frames throw before writing", async () => {
  const dir = await scratchDir("png");
  const frame: RgbaFrame = {
    width: 2,
    height: 1,
    data: new Uint8ClampedArray([255, 0, 0, 255, 0, 0, 255, 128]),
  };
  const path = `${dir}/out.png`;
  await writePng(path, frame);
  assert.deepEqual(decodePng(await Deno.readFile(path)), frame);
  const names = [...Deno.readDirSync(dir)].map((e) => e.name);
  assert.deepEqual(names, ["out.png"]); // no temporary file left behind
  await assert.rejects(
    () => writePng(`${dir}/bad.png`, { width: 2, height: 2, data: new Uint8ClampedArray(3) }),
    InvalidArgumentError,
  );
  assert.throws(
    () => encodePng({ width: 0, height: 1, data: new Uint8ClampedArray(0) }),
    InvalidArgumentError,
  );
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["out.png"]);
  await Deno.remove(dir, { recursive: true });
});
