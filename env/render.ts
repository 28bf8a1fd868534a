/**
 * Rendering of a game's state: `"ansi"` text, `"rgb_array"` frames (Gymnasium's H x W x 3 uint8
 * array, {@link RgbFrame}) and `"rgba_array"` frames (the same picture as RGBA, {@link RgbaFrame}).
 * The picture: an axial slice through the centre of each agent's window, side by side (a's panel
 * left, b's right, 4 px apart): the image in grey, the probability map in colour, both windows
 * outlined, the labels' target contour when the case has labels. `rgb_array` is the RGBA frame
 * with alpha dropped (every pixel is opaque; see `rgbaToRgb`).
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { AGENT_COLORS, renderSlice, sideBySide } from "./frame.ts";
import type { SparsGame } from "./game.ts";
import { MOVE_NAMES } from "./geometry.ts";
import { type RgbaFrame, rgbaToRgb, type RgbFrame } from "./png.ts";

/** Render modes of the envs: text, H x W x 3 RGB, H x W x 4 RGBA. */
export type RenderMode = "ansi" | "rgb_array" | "rgba_array";

/** Every render mode, in the order of the envs' metadata. */
export const RENDER_MODES: readonly RenderMode[] = ["ansi", "rgb_array", "rgba_array"];

/** What `render()` returns in each mode. */
export type Rendered = string | RgbFrame | RgbaFrame;

/**
 * The game rendered in `mode`.
 * @throws {InvalidArgumentError} for frames before the first reset
 */
export function renderGame(game: SparsGame, mode: RenderMode, options: RenderOptions = {}): Rendered {
  if (mode === "ansi") return renderAnsi(game);
  const frame = renderRgb(game, options);
  return mode === "rgb_array" ? rgbaToRgb(frame) : frame;
}

/** Options of {@link renderGame}. */
export interface RenderOptions {
  /** Label values drawn as the target contour (default: every nonzero label). */
  readonly target?: number | readonly number[];
  /** Integer upscaling of the frame (default 2). */
  readonly scale?: number;
  /** Grey mapping of intensities (default: the slice's 1st..99th percentile). */
  readonly intensityRange?: readonly [number, number];
}

/** One line per agent: step, corner, score; then map statistics. */
export function renderAnsi(game: SparsGame): string {
  if (!game.case) return "SparsEnv: not reset";
  const [ca, cb] = game.corners, [sa, sb] = game.scores;
  const m = game.map!;
  const status = game.done ? (Math.max(sa, sb) >= game.config.tau ? "terminated" : "truncated") : "running";
  return [
    `case ${game.case.id}  step ${game.step}/${game.config.maxSteps}  tau ${game.config.tau}  ${status}`,
    `  a  corner ${ca.join(",").padEnd(12)} score ${sa.toFixed(4)}${sa > sb ? "  wins" : ""}`,
    `  b  corner ${cb.join(",").padEnd(12)} score ${sb.toFixed(4)}${sb > sa ? "  wins" : ""}`,
    `  map ${m.events} scores, ${m.uniqueWindows} windows, score sum ${m.scoreSum.toFixed(3)}  (moves: ${
      MOVE_NAMES.join(" ")
    })`,
  ].join("\n");
}

/**
 * Two axial slices side by side (through the centre z of a's window, then b's), RGBA.
 * @throws {InvalidArgumentError} before the first reset
 */
export function renderRgb(game: SparsGame, options: RenderOptions = {}): RgbaFrame {
  const c = game.case;
  if (!c) throw new InvalidArgumentError("render", "called before reset", "reset() first");
  const size = game.config.window;
  const overlay = game.map!.toArray();
  let contour: Uint8Array | undefined;
  if (c.labels) {
    const lut = new Uint8Array(256);
    const t = options.target;
    if (t === undefined) lut.fill(1, 1);
    else for (const v of typeof t === "number" ? [t] : t) lut[v] = 1;
    contour = new Uint8Array(c.labels.data.length);
    for (let i = 0; i < contour.length; i++) contour[i] = lut[c.labels.data[i]];
  }
  const windows = [
    { corner: game.corners[0], size, color: AGENT_COLORS.a },
    { corner: game.corners[1], size, color: AGENT_COLORS.b },
  ];
  const frames = game.corners.map((corner) =>
    renderSlice({
      image: c.image.data,
      shape: c.image.shape,
      z: corner[0] + (size[0] >> 1),
      overlay,
      contour,
      windows,
      scale: options.scale ?? 2,
      intensityRange: options.intensityRange,
    })
  );
  return sideBySide(frames);
}
