import assert from "node:assert/strict";
import { join } from "node:path";
import UPNG from "upng-js";
import type { Vec3, Volume } from "../data/types.ts";
import { encodeApng } from "../env/apng.ts";
import { encodePng, type RgbaFrame } from "../env/png.ts";
import { runDemo } from "../eval/demo_cli.ts";
import { captionHeight } from "../eval/episode_frames.ts";
import { OVERLAY_PANEL_TITLES, overlayCaption, overlayLayout } from "../eval/overlay_figure.ts";
import { overlayFrame } from "../eval/report.ts";
import { scratchDir } from "./_helpers.ts";

/** CRC-32 bit by bit (reflected 0xEDB88320), independent of env/png.ts' table. */
function bitwiseCrc(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** Chunk types in order, each CRC checked by hand, with the sequence number of fcTL/fdAT chunks. */
function chunks(png: Uint8Array): { type: string; sequence?: number; body: Uint8Array }[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  const out = [];
  for (let at = 8; at < png.length;) {
    const length = view.getUint32(at), type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    assert.equal(
      view.getUint32(at + 8 + length),
      bitwiseCrc(png.subarray(at + 4, at + 8 + length)),
      `${type} CRC`,
    );
    const body = png.subarray(at + 8, at + 8 + length);
    const sequence = type === "fcTL" || type === "fdAT" ? view.getUint32(at + 8) : undefined;
    out.push({ type, sequence, body });
    at += 12 + length;
  }
  return out;
}

/** A w x h frame of one colour with pixel (k, 0) white, so each frame differs. */
function solid(w: number, h: number, rgb: readonly number[], k: number): RgbaFrame {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([...rgb, 255], 4 * i);
  data.set([255, 255, 255, 255], 4 * k);
  return { width: w, height: h, data };
}

/** RGBA frames of a PNG or APNG decoded by upng-js (an independent decoder). */
function upngFrames(
  bytes: Uint8Array,
): { width: number; height: number; delays: number[]; frames: Uint8Array[] } {
  const img = UPNG.decode(bytes.slice().buffer);
  return {
    width: img.width,
    height: img.height,
    delays: img.frames.map((f: { delay: number }) => f.delay),
    frames: UPNG.toRGBA8(img).map((b: ArrayBuffer) => new Uint8Array(b)),
  };
}

Deno.test("APNG: chunk order, sequence numbers and CRCs by hand; upng-js reads every frame and delay", () => {
  const frames = [solid(5, 4, [255, 0, 0], 0), solid(5, 4, [0, 255, 0], 1), solid(5, 4, [0, 0, 255], 2)];
  const bytes = encodeApng(frames, { delayMs: [100, 200, 300] });
  const list = chunks(bytes);
  assert.deepEqual(
    list.map((c) => c.type),
    ["IHDR", "acTL", "fcTL", "IDAT", "fcTL", "fdAT", "fcTL", "fdAT", "IEND"],
  );
  assert.deepEqual(list.filter((c) => c.sequence !== undefined).map((c) => c.sequence), [0, 1, 2, 3, 4]);
  const actl = new DataView(list[1].body.buffer, list[1].body.byteOffset);
  assert.deepEqual([actl.getUint32(0), actl.getUint32(4)], [3, 0]); // 3 frames, loop forever
  const decoded = upngFrames(bytes);
  assert.deepEqual([decoded.width, decoded.height, decoded.frames.length], [5, 4, 3]);
  assert.deepEqual(decoded.delays, [100, 200, 300]);
  decoded.frames.forEach((f, k) => assert.deepEqual([...f], [...frames[k].data], `frame ${k}`));
  assert.throws(() => encodeApng([frames[0], solid(4, 4, [0, 0, 0], 0)]), /4x4/);
  assert.throws(() => encodeApng([]), /at least one frame/);
  assert.throws(() => encodeApng(frames, { delayMs: 0 }), /delayMs/);
});

Deno.test("deno task demo: an animated episode (reset + one frame per step) and its last frame, captioned", async () => {
  const root = await scratchDir("demo");
  const out = join(root, "demo");
  const log = console.log;
  console.log = () => {};
  try {
    assert.equal(
      await runDemo(["--episodes", "1", "--max-steps", "5", "--frame-ms", "120", "--out", out]),
      0,
    );
  } finally {
    console.log = log;
  }
  const anim = await Deno.readFile(join(out, "episode-0-animated.png"));
  const decoded = upngFrames(anim);
  // The oracle scores stay below tau on this phantom, so the game is truncated at 5 steps: 6 frames.
  assert.equal(decoded.frames.length, 6);
  assert.ok(decoded.delays.every((d) => d === 120), `${decoded.delays}`);
  const still = upngFrames(await Deno.readFile(join(out, "episode-0.png")));
  assert.deepEqual([still.width, still.height], [decoded.width, decoded.height]);
  assert.deepEqual(still.frames[0], decoded.frames[5], "the still PNG is the last animation frame");
  // The caption band: 4 lines of text on white above the game.
  const band = captionHeight(4);
  const darkRows = new Set<number>();
  for (let y = 0; y < band; y++) {
    for (let x = 0; x < decoded.width; x++) {
      const d = 4 * (y * decoded.width + x), f = decoded.frames[5];
      if (f[d] + f[d + 1] + f[d + 2] < 600) darkRows.add(y);
    }
  }
  // 4 lines of 10 rows each (3x5 glyphs at scale 2) starting at row 6, 4 rows apart.
  const expected = [0, 1, 2, 3].flatMap((k) => Array.from({ length: 10 }, (_, r) => 6 + 14 * k + r));
  assert.deepEqual([...darkRows].sort((a, b) => a - b), expected);
  // Frames differ from step to step (the windows move, the caption changes).
  assert.notDeepEqual(decoded.frames[0], decoded.frames[1]);
  await Deno.remove(root, { recursive: true });
});

/** A 3-slice 32x40 ramp image; truth a 10x10 square on slice 1, prediction the same square shifted 5 right. */
function overlayCase(): { image: Volume; truth: Uint8Array; mask: Uint8Array; map: Float32Array } {
  const shape: Vec3 = [3, 32, 40], n = 3 * 32 * 40, plane = 32 * 40;
  const image: Volume = {
    id: "ramp",
    shape,
    spacing: [1, 1, 1],
    affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
    data: Float32Array.from({ length: n }, (_, i) => (i % 40) + Math.floor(i / 40) % 32),
  } as unknown as Volume;
  const truth = new Uint8Array(n), mask = new Uint8Array(n), map = new Float32Array(n);
  for (let y = 10; y < 20; y++) {
    for (let x = 10; x < 20; x++) {
      truth[plane + y * 40 + x] = 1;
      mask[plane + y * 40 + x + 5] = 1;
    }
  }
  for (let x = 0; x < 40; x++) for (let y = 0; y < 32; y++) map[plane + y * 40 + x] = 0.02 * x; // max 0.78
  return { image, truth, mask, map };
}

/** Columns [first, last] of pixels darker than grey 100 in rows [top, top + rows) and columns [left, right). */
function inkSpan(f: RgbaFrame, top: number, rows: number, left: number, right: number): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let y = top; y < top + rows; y++) {
    for (let x = left; x < right; x++) {
      const d = 4 * (y * f.width + x);
      if (f.data[d] < 100 && f.data[d + 1] < 100 && f.data[d + 2] < 100) {
        [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
      }
    }
  }
  return [lo, hi];
}

Deno.test("overlay figure: caption with Dice, four titled panels, boundary legend and colour bar (read back by upng-js)", () => {
  const c = overlayCase();
  const frame = overlayFrame(c.image, c.truth, c.mask, c.map, 1, { caseId: "ramp-1", method: "greedy" });
  const decoded = upngFrames(encodePng(frame));
  const f: RgbaFrame = {
    width: decoded.width,
    height: decoded.height,
    data: new Uint8ClampedArray(decoded.frames[0]),
  };
  // Slices 40 px wide are upscaled x5 (>= 192 px): panels 200x160; 8 px margins and gaps.
  const layout = overlayLayout(200, 160);
  assert.deepEqual([f.width, f.height], [8 + 4 * 200 + 3 * 8 + 8, layout.height]);
  // Dice of the shifted square: overlap 5x10 of 100 + 100 voxels = 2 * 50 / 200 = 0.5.
  const caption = overlayCaption("ramp-1", "greedy", 0.5, 1);
  assert.equal(caption, "case ramp-1  greedy  dice 0.500  slice z=1");
  // Caption ink from x = 8 over 4 px per character less the last gap, at scale 2: 8 * 41 - 2 - 1.
  assert.deepEqual(inkSpan(f, 8, 10, 0, f.width), [8, 8 + 8 * caption.length - 2 - 1]);
  // Each panel title centred above its panel: 8 px per character less 2.
  OVERLAY_PANEL_TITLES.forEach((title, k) => {
    const left = 8 + k * 208, width = 8 * title.length - 2;
    const first = left + Math.round((200 - width) / 2);
    assert.deepEqual(inkSpan(f, layout.titleTop, 10, left, left + 200), [first, first + width - 1], title);
  });
  assert.deepEqual(OVERLAY_PANEL_TITLES, ["image", "ground truth", "prediction", "probability map"]);
  // Colour bar under the map panel: black at 0; at the right end the map maximum in yellow at
  // opacity 0.7 over black: (round(255 * .7), round(255 * .7), 0) = (179, 179, 0).
  const bar = (
    x: number,
  ): number[] => [
    ...f.data.subarray(4 * (layout.barTop * f.width + x), 4 * (layout.barTop * f.width + x) + 3),
  ];
  assert.deepEqual(bar(8 + 3 * 208), [0, 0, 0]);
  assert.deepEqual(bar(8 + 3 * 208 + 199), [179, 179, 0]);
  // The bar's labels: "0" at its left, "0.78" (the slice maximum) flush right.
  const labelTop = layout.barTop + 12 + 4;
  assert.deepEqual(inkSpan(f, labelTop, 10, 8 + 3 * 208, 8 + 3 * 208 + 8), [632, 637]);
  assert.equal(inkSpan(f, labelTop, 10, 8 + 3 * 208 + 100, f.width)[1], 8 + 3 * 208 + 199);
  // The legend swatches: green (truth) and cyan (prediction) outlines under the first panel.
  const px = (
    x: number,
    y: number,
  ): number[] => [...f.data.subarray(4 * (y * f.width + x), 4 * (y * f.width + x) + 3)];
  assert.deepEqual(px(8, layout.legendTop + 1), [0, 255, 0]);
  assert.ok(
    Array.from({ length: 400 }, (_, x) => px(x, layout.legendTop + 1)).some((p) => p.join() === "0,255,255"),
    "cyan swatch",
  );
});
