/**
 * A built-in 3x5 bitmap font for text on raster figures (plots, overlays, animation frames), so that
 * labels need no font file: upper-case letters, digits and common punctuation; other characters are
 * drawn as '?'. Text is drawn upper case, each glyph pixel as a `scale` x `scale` block.
 *
 * @module
 */
import type { RgbaFrame } from "../env/png.ts";

/** Glyphs 3 wide, 5 tall: one octal digit per row, 4 = left pixel, 2 = middle, 1 = right. */
// deno-fmt-ignore
const FONT: Readonly<Record<string, string>> = {
  "0": "75557", "1": "26227", "2": "71747", "3": "71317", "4": "55711",
  "5": "74717", "6": "74757", "7": "71122", "8": "75757", "9": "75717",
  A: "25755", B: "65656", C: "34443", D: "65556", E: "74647", F: "74644", G: "34553",
  H: "55755", I: "72227", J: "11152", K: "55655", L: "44447", M: "57755", N: "65555",
  O: "25552", P: "65644", Q: "25563", R: "65655", S: "34216", T: "72222", U: "55557",
  V: "55552", W: "55775", X: "55255", Y: "55222", Z: "71247",
  " ": "00000", ".": "00002", ",": "00024", "-": "00700", "+": "02720", ":": "02020",
  "_": "00007", "/": "11244", "(": "12221", ")": "42224", "=": "07070", "%": "51245",
  "[": "64446", "]": "31113", "?": "71202", "<": "12421", ">": "42124", "#": "57575",
};

/** Default magnification: 3x5 glyphs drawn as 6x10 pixels. */
export const TEXT_SCALE = 2;

/** Height in pixels of a line of text at `scale` (5 glyph rows). */
export function textHeight(scale: number = TEXT_SCALE): number {
  return 5 * scale;
}

/** Width in pixels of `text` at `scale`: 4 * scale per character (a 1-column gap), less the last gap; 0 when empty. */
export function textWidth(text: string, scale: number = TEXT_SCALE): number {
  const n = [...text].length;
  return n === 0 ? 0 : n * 4 * scale - scale;
}

/**
 * Draws `text` (upper-cased) into `frame` with its top-left corner at pixel (x, y), in RGB `color`
 * (alpha set to 255). Pixels outside the frame are skipped (text is clipped, never wrapped).
 */
export function drawText(
  frame: RgbaFrame,
  text: string,
  x: number,
  y: number,
  color: readonly number[],
  scale: number = TEXT_SCALE,
): void {
  const { width, height, data } = frame;
  [...text.toUpperCase()].forEach((ch, k) => {
    const glyph = FONT[ch] ?? FONT["?"];
    for (let row = 0; row < 5; row++) {
      const bits = glyph.charCodeAt(row) - 48;
      for (let col = 0; col < 3; col++) {
        if (!(bits & (4 >> col))) continue;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const px = x + k * 4 * scale + col * scale + dx, py = y + row * scale + dy;
            if (px < 0 || py < 0 || px >= width || py >= height) continue;
            const d = 4 * (py * width + px);
            data[d] = color[0];
            data[d + 1] = color[1];
            data[d + 2] = color[2];
            data[d + 3] = 255;
          }
        }
      }
    }
  });
}
