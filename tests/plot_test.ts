import assert from "node:assert/strict";
import { plotLines, type Series } from "../eval/plot.ts";
import type { RgbaFrame } from "../env/png.ts";
import { InvalidArgumentError } from "../data/errors.ts";

const COLOR = [200, 0, 100] as const;

function pixel(f: RgbaFrame, x: number, y: number): number[] {
  const d = 4 * (y * f.width + x);
  return Array.from(f.data.subarray(d, d + 3));
}

function isRgb(f: RgbaFrame, x: number, y: number, c: readonly number[]): boolean {
  const d = 4 * (y * f.width + x);
  return f.data[d] === c[0] && f.data[d + 1] === c[1] && f.data[d + 2] === c[2];
}

const isColor = (f: RgbaFrame, x: number, y: number): boolean => isRgb(f, x, y, COLOR);

/** The axis box, found independently of the plot code: the long black rows and columns. */
function findBox(f: RgbaFrame): { left: number; right: number; top: number; bottom: number } {
  const black = (x: number, y: number) => isRgb(f, x, y, [0, 0, 0]);
  const cols: number[] = [], rows: number[] = [];
  for (let x = 0; x < f.width; x++) {
    let n = 0;
    for (let y = 0; y < f.height; y++) if (black(x, y)) n++;
    if (n > f.height / 2) cols.push(x);
  }
  for (let y = 0; y < f.height; y++) {
    let n = 0;
    for (let x = 0; x < f.width; x++) if (black(x, y)) n++;
    if (n > f.width / 2) rows.push(y);
  }
  assert.equal(cols.length, 2, `box columns ${cols}`);
  assert.equal(rows.length, 2, `box rows ${rows}`);
  return { left: cols[0], right: cols[1], top: rows[0], bottom: rows[1] };
}

Deno.test("plotLines: size, white background, data range mapped onto the axis box", () => {
  const series: Series[] = [{ name: "flat", x: [0, 10], y: [0.5, 0.5], color: COLOR }];
  const f = plotLines(series, { yRange: [0, 1] });
  assert.equal(f.width, 640);
  assert.equal(f.height, 400);
  assert.equal(f.data.length, 640 * 400 * 4);
  assert.deepEqual(pixel(f, 0, 0), [255, 255, 255]);
  assert.deepEqual(pixel(f, 639, 399), [255, 255, 255]);
  assert.ok(f.data.every((v, i) => i % 4 !== 3 || v === 255), "opaque");
  const { left, right, top, bottom } = findBox(f);
  assert.ok(left > 0 && right < 639 && top > 0 && bottom < 399 && right - left > 300 && bottom - top > 200);
  const midRow = Math.round(bottom - 0.5 * (bottom - top));
  for (const x of [left, Math.round((left + right) / 2), right]) {
    assert.ok(isColor(f, x, midRow), `(${x}, ${midRow})`);
  }
  assert.ok(!isColor(f, Math.round((left + right) / 2), midRow - 2));
  // Legend swatch right of the box.
  let legend = 0;
  for (let y = 0; y < f.height; y++) for (let x = right + 1; x < f.width; x++) if (isColor(f, x, y)) legend++;
  assert.ok(legend >= 16, `legend pixels ${legend}`);

  const small = plotLines(series, { width: 300, height: 200 });
  assert.equal(small.width, 300);
  assert.equal(small.height, 200);
});

Deno.test("plotLines: diagonal endpoints on box corners, quarter point within a pixel", () => {
  const f = plotLines([{ name: "d", x: [0, 10], y: [0, 1], color: COLOR }], { title: "Dice vs step" });
  const { left, right, top, bottom } = findBox(f);
  assert.ok(isColor(f, left, bottom));
  assert.ok(isColor(f, right, top));
  const x = Math.round(left + 0.25 * (right - left)), y = bottom - 0.25 * (bottom - top);
  assert.ok([Math.floor(y), Math.ceil(y)].some((row) => isColor(f, x, row)), `near (${x}, ${y})`);
  // The title puts black pixels above the box; the frame without a title has none in those rows.
  const dark = (g: RgbaFrame, rows: number) => {
    let n = 0;
    for (let r = 0; r < rows; r++) for (let c = 0; c < g.width; c++) if (pixel(g, c, r)[0] === 0) n++;
    return n;
  };
  assert.ok(dark(f, 20) > 20);
  assert.equal(dark(plotLines([{ name: "d", x: [0, 10], y: [0, 1] }]), 8), 0);
});

Deno.test("plotLines: NaN breaks the line; an isolated point is a dot; lines clipped to yRange", () => {
  const f = plotLines([{ name: "gap", x: [0, 1, 2, 3, 4], y: [0.5, 0.5, NaN, 0.5, 0.5], color: COLOR }], {
    yRange: [0, 1],
  });
  const { left, right, top, bottom } = findBox(f);
  const row = Math.round((top + bottom) / 2), px = (x: number) => Math.round(left + (x / 4) * (right - left));
  assert.ok(isColor(f, px(0.5), row));
  assert.ok(isColor(f, px(1), row));
  assert.ok(!isColor(f, px(2), row));
  assert.ok(!isColor(f, px(1) + 2, row));
  assert.ok(isColor(f, px(3.5), row));

  // Points 0, 2 and 4 have no finite neighbour: each is a dot, and they are not joined.
  const dot = plotLines([{ name: "dot", x: [0, 1, 2, 3, 4], y: [0, NaN, 0.5, NaN, 1], color: COLOR }], {
    yRange: [0, 1],
  });
  const b = findBox(dot);
  const at = (
    x: number,
    y: number,
  ) => [b.left + (x / 4) * (b.right - b.left), b.bottom - y * (b.bottom - b.top)];
  const [dx, dy] = at(2, 0.5).map(Math.round);
  assert.ok(isColor(dot, dx, dy), `dot at (${dx}, ${dy})`);
  let count = 0;
  for (let y = b.top + 1; y < b.bottom; y++) {
    for (let x = b.left + 1; x < b.right; x++) count += isColor(dot, x, y) ? 1 : 0;
  }
  assert.equal(count, 1, "only the middle dot inside the box");

  const wild = plotLines([{ name: "w", x: [0, 1], y: [-5, 5], color: COLOR }], { yRange: [0, 1] });
  const w = findBox(wild);
  for (let y = 0; y < wild.height; y++) {
    for (let x = w.left; x <= w.right; x++) {
      if (isColor(wild, x, y)) assert.ok(y >= w.top && y <= w.bottom, `pixel (${x}, ${y}) outside the box`);
    }
  }
});

Deno.test("plotLines: no series draws just the axes; bad input throws InvalidArgumentError", () => {
  const empty = plotLines([], { xLabel: "step", yLabel: "return" });
  assert.ok(empty.data.every((v, i) => i % 4 === 3 || v === 0 || v === 255), "only black and white");
  assert.throws(() => plotLines([{ name: "a", x: [1, 2], y: [1] }]), InvalidArgumentError);
  assert.throws(() => plotLines([], { yRange: [1, 0] }), InvalidArgumentError);
  assert.throws(() => plotLines([], { width: 10 }), InvalidArgumentError);
  assert.throws(() => plotLines([], { height: 100.5 }), InvalidArgumentError);
  assert.throws(() => plotLines([{ name: "a", x: [1], y: [1], color: [0, 0, 300] }]), InvalidArgumentError);
  assert.throws(
    () => plotLines([{ name: "x".repeat(80), x: [1], y: [1] }], { width: 200 }),
    InvalidArgumentError,
  );
  const many = Array.from({ length: 40 }, (_, i) => ({ name: `s${i}`, x: [0], y: [i] }));
  assert.throws(() => plotLines(many, { height: 200 }), InvalidArgumentError);
});
